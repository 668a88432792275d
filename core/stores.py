"""Svelte's store contract in Python: `writable`, `readable`, `derived`, `get`, `readonly`.

A port of `svelte/src/store/shared/index.js` that keeps its rules — a subscriber is
called at once with the current value, start/stop are lazy, `set` of an equal
primitive is ignored, one breadth-first subscriber queue, glitch-free derived
stores — with one deliberate difference: a subscriber that raises is logged and
skipped, and the queue is always cleared, so one bad subscriber never freezes every
other store (svelte#11555). The queue is per thread, so two threads setting stores
at once cannot interleave each other's deliveries.
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable, Generic, Sequence, TypeVar

__all__ = ["Readable", "Writable", "writable", "readable", "derived", "get", "readonly", "safe_not_equal"]

T = TypeVar("T")
Subscriber = Callable[[Any], Any]
Unsubscriber = Callable[[], None]

log = logging.getLogger("core.stores")

_BY_VALUE = frozenset({type(None), bool, int, float, complex, str, bytes})


def _noop(*_: Any) -> None:
    return None


def safe_not_equal(a: Any, b: Any) -> bool:
    """Svelte's change test: primitives compare by value *and* type (NaN equals NaN);
    any other value counts as changed, because it may have been mutated in place."""
    if type(a) is not type(b) or type(a) not in _BY_VALUE:
        return True
    return not (a == b or (a != a and b != b))


class _Queue(threading.local):
    """The subscriber queue (one per thread): (run, value) pairs delivered breadth-first."""

    def __init__(self) -> None:
        self.items: list[tuple[Subscriber, Any]] = []
        self.running = False


_queue = _Queue()


def _call(run: Subscriber, value: Any) -> None:
    try:
        run(value)
    except Exception:  # isolated: the other subscribers and stores keep working
        log.exception("store subscriber %r raised", run)


def _drain(q: _Queue) -> None:
    """Deliver everything queued, including what deliveries queue meanwhile."""
    items = q.items
    i = 0
    try:
        while i < len(items):
            run, value = items[i]
            i += 1
            _call(run, value)
    finally:
        items.clear()
        q.running = False


def _positional_arity(fn: Callable) -> int:
    """How many positional arguments `fn` takes (a large number for *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 99
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


class Readable(Generic[T]):
    """Anything with `subscribe(run, invalidate=None) -> unsubscribe`."""

    def subscribe(self, run: Subscriber, invalidate: Callable[[], Any] | None = None) -> Unsubscriber:
        raise NotImplementedError


class Writable(Readable[T]):
    """A value with subscribers; `start(set[, update])` runs on the first subscriber."""

    __slots__ = ("_value", "_start", "_stop", "_subs", "_runs", "_invalidators", "_next")

    def __init__(self, value: T | None = None, start: Callable | None = None) -> None:
        self._value = value
        if start is None:
            self._start: Callable = _noop
        elif _positional_arity(start) >= 2:
            self._start = lambda: start(self.set, self.update)
        else:
            self._start = lambda: start(self.set)
        self._stop: Callable | None = None  # None = not started
        self._subs: dict[int, tuple[Subscriber, Callable | None]] = {}
        self._runs: list[Subscriber] = []  # rebuilt on (un)subscribe: delivery iterates a snapshot
        self._invalidators = 0
        self._next = 0

    def set(self, new_value: T) -> None:
        if not safe_not_equal(self._value, new_value):
            return
        self._value = new_value
        if self._stop is None:
            return  # no subscribers (or inside start): store silently
        q = _queue
        if not self._invalidators and not q.running:
            # Fast path (no derived stores listening, nothing queued): deliver directly;
            # sets made by these subscribers are queued and delivered after them.
            q.running = True
            try:
                for run in self._runs:
                    try:
                        run(new_value)
                    except Exception:
                        log.exception("store subscriber %r raised", run)
            finally:
                _drain(q)
            return
        run_queue = not q.running
        items = q.items
        for run, invalidate in list(self._subs.values()):
            if invalidate is not None:
                invalidate()
            items.append((run, new_value))
        if run_queue:
            q.running = True
            _drain(q)

    def update(self, fn: Callable[[T], T]) -> None:
        self.set(fn(self._value))

    def subscribe(self, run: Subscriber, invalidate: Callable[[], Any] | None = None) -> Unsubscriber:
        token = self._next
        self._next += 1
        self._subs[token] = (run, invalidate)
        self._runs = [r for r, _ in self._subs.values()]
        if invalidate is not None:
            self._invalidators += 1
        if len(self._subs) == 1:
            # `_stop` is still None here, so a set() inside start is stored, not delivered:
            # the first subscriber is called exactly once (svelte#3022).
            self._stop = self._start() or _noop
        run(self._value)

        def unsubscribe() -> None:
            entry = self._subs.pop(token, None)
            if entry is None:
                return  # twice is harmless
            self._runs = [r for r, _ in self._subs.values()]
            if entry[1] is not None:
                self._invalidators -= 1
            if not self._subs and self._stop is not None:
                stop, self._stop = self._stop, None
                stop()

        return unsubscribe

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._value!r}, subscribers={len(self._subs)})"


class _ReadOnly(Readable[T]):
    """Only `subscribe`: `set` and `update` do not exist (AttributeError)."""

    __slots__ = ("_store",)

    def __init__(self, store: Readable[T]) -> None:
        self._store = store

    def subscribe(self, run: Subscriber, invalidate: Callable[[], Any] | None = None) -> Unsubscriber:
        return self._store.subscribe(run, invalidate)

    def __repr__(self) -> str:
        return f"readonly({self._store!r})"


def writable(value: T | None = None, start: Callable | None = None) -> Writable[T]:
    return Writable(value, start)


def readable(value: T | None = None, start: Callable | None = None) -> Readable[T]:
    return _ReadOnly(Writable(value, start))


def readonly(store: Readable[T]) -> Readable[T]:
    return _ReadOnly(store)


def get(store: Readable[T]) -> T:
    """The current value: subscribe and unsubscribe at once (so a lazy store starts and stops)."""
    box: list[Any] = []
    store.subscribe(box.append)()
    return box[0]


def _is_store(value: Any) -> bool:
    return callable(getattr(value, "subscribe", None))


def derived(stores: Readable | Sequence[Readable], fn: Callable, initial_value: Any = None) -> Readable:
    """A store computed from others, recomputed once per change of any of them.

    `fn(values)` returns the value; `fn(values, set)` / `fn(values, set, update)` sets it
    itself (possibly later) and may return a cleanup run before the next call and on stop.
    """
    single = _is_store(stores)
    if single:
        deps = [stores]
    elif isinstance(stores, (list, tuple)) and stores and all(_is_store(s) for s in stores):
        deps = list(stores)
    else:
        raise TypeError(f"derived() expects a store or a list of stores, got {stores!r}")
    auto = _positional_arity(fn) < 2

    def start(set_value: Callable, update: Callable) -> Callable[[], None]:
        values: list[Any] = [None] * len(deps)
        state = {"pending": 0, "started": False, "cleanup": _noop}

        def sync() -> None:
            if state["pending"]:
                return  # glitch-free: wait until every changed dependency has delivered
            state["cleanup"]()
            state["cleanup"] = _noop
            arg = values[0] if single else list(values)
            result = fn(arg) if auto else fn(arg, set_value, update) if _arity >= 3 else fn(arg, set_value)
            if auto:
                set_value(result)
            elif callable(result):
                state["cleanup"] = result

        def dependency(i: int) -> tuple[Callable, Callable]:
            bit = 1 << i

            def run(value: Any) -> None:
                values[i] = value
                state["pending"] &= ~bit
                if state["started"]:
                    sync()

            def invalidate() -> None:
                state["pending"] |= bit

            return run, invalidate

        unsubscribers = [store.subscribe(*dependency(i)) for i, store in enumerate(deps)]
        state["started"] = True
        sync()

        def stop() -> None:
            for unsubscribe in unsubscribers:
                unsubscribe()
            state["cleanup"]()
            state["cleanup"] = _noop
            state["started"] = False

        return stop

    _arity = _positional_arity(fn)
    return readable(initial_value, start)
