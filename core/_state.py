"""Managed state: one value per type, injected into commands as `State[T]`.

`Mutex` and `RwLock` are the Python spellings of the locks Tauri apps wrap their
state in, for state shared with commands that run in worker threads.

Like Rust's std locks, they are not for holding across an `await`: Rust refuses to
compile that; here a second task of the same loop that reaches the lock meanwhile gets
a `LockHeldAcrossAwait` error instead of silently sharing a Mutex (an RLock lets the
whole loop thread in) or blocking the loop forever on an RwLock. Use `asyncio.Lock`
for state guarded across awaits.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Any, Generic, Iterator, TypeVar, get_args, get_origin

__all__ = ["State", "Mutex", "RwLock", "LockHeldAcrossAwait", "state_key", "annotation_key", "key_name"]

T = TypeVar("T")


class State(Generic[T]):
    """Marker: a command parameter annotated `State[T]` receives the managed `T`.

    The command gets the managed value itself, not a wrapper, so it reads like
    ordinary Python.
    """

    def __init__(self) -> None:  # pragma: no cover - never instantiated
        raise TypeError("State[T] is an annotation; the command receives the managed T itself")


class LockHeldAcrossAwait(RuntimeError):
    """A task reached a `Mutex`/`RwLock` that another task of the same thread holds
    across an `await`: sharing it or waiting for it would be wrong or a deadlock."""


def _task() -> Any:
    """The asyncio task running on this thread, or None outside a loop."""
    return asyncio.current_task() if asyncio._get_running_loop() is not None else None


def _held_across_await(kind: str) -> LockHeldAcrossAwait:
    return LockHeldAcrossAwait(
        f"{kind} is held across an await by another task on this thread; "
        "release it before awaiting, or guard this state with an asyncio.Lock")


class Mutex(Generic[T]):
    """A value behind a lock: `with m.lock() as value: ...`."""

    __slots__ = ("_value", "_lock", "_task")

    def __init__(self, value: T) -> None:
        self._value = value
        self._lock = threading.RLock()
        self._task: Any = None  # the task holding it, if one does

    @contextmanager
    def lock(self) -> Iterator[T]:
        with self._lock:
            task, holder = _task(), self._task
            if holder is not None and holder is not task:  # the RLock let a second task in
                raise _held_across_await("Mutex")
            self._task = task
            try:
                yield self._value
            finally:
                self._task = holder

    def replace(self, value: T) -> T:
        """Swap the guarded value (for immutable values); returns the old one."""
        with self._lock:
            old, self._value = self._value, value
            return old

    @property
    def inner_type(self) -> type:
        return type(self._value)

    def __repr__(self) -> str:
        return f"Mutex({self._value!r})"


class RwLock(Generic[T]):
    """Many readers or one writer; writers are preferred so they cannot starve."""

    __slots__ = ("_value", "_cond", "_readers", "_writer", "_waiting_writers", "_threads")

    def __init__(self, value: T) -> None:
        self._value = value
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0
        self._threads: dict[int, int] = {}  # thread id -> holds: waiting on our own would deadlock

    def _wait(self) -> None:
        if self._threads.get(threading.get_ident()):
            raise _held_across_await("RwLock")
        self._cond.wait()

    def _hold(self, delta: int) -> None:
        me = threading.get_ident()
        left = self._threads.get(me, 0) + delta
        if left:
            self._threads[me] = left
        else:
            del self._threads[me]

    @contextmanager
    def read(self) -> Iterator[T]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._wait()
            self._readers += 1
            self._hold(1)
        try:
            yield self._value
        finally:
            with self._cond:
                self._readers -= 1
                self._hold(-1)
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[T]:
        with self._cond:
            self._waiting_writers += 1
            try:
                while self._writer or self._readers:
                    self._wait()
            except BaseException:
                self._waiting_writers -= 1
                self._cond.notify_all()  # readers held back for this writer may go on
                raise
            self._waiting_writers -= 1
            self._writer = True
            self._hold(1)
        try:
            yield self._value
        finally:
            with self._cond:
                self._writer = False
                self._hold(-1)
                self._cond.notify_all()

    def replace(self, value: T) -> T:
        with self.write():
            old, self._value = self._value, value
            return old

    @property
    def inner_type(self) -> type:
        return type(self._value)

    def __repr__(self) -> str:
        return f"RwLock({self._value!r})"


_LOCKS = (Mutex, RwLock)


def state_key(value: Any) -> Any:
    """The key a managed value is stored under: its type, or (lock type, inner type)."""
    if isinstance(value, _LOCKS):
        return (type(value), value.inner_type)
    return type(value)


def annotation_key(tp: Any) -> Any:
    """The key `State[tp]` looks up: the same shape `state_key` produces."""
    origin = get_origin(tp)
    if origin in _LOCKS:
        args = get_args(tp)
        return (origin, args[0]) if args else origin
    return tp


def key_name(key: Any) -> str:
    if isinstance(key, tuple):
        return f"{key[0].__name__}[{key_name(key[1])}]"
    return getattr(key, "__name__", repr(key))
