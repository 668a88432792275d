"""Svelte's store contract in Python: `writable`, `readable`, `derived`, `get`, `readonly`.

A port of Svelte 4's `store/index.js` that keeps its rules — a subscriber is called
at once with the current value, a store starts with its first subscriber and stops
with its last, `set` of an equal primitive is ignored, one breadth-first subscriber
queue, derived stores as glitch-free as Svelte's. Two deliberate differences:

* a subscriber that raises is logged and skipped, and the queue is always emptied,
  so one bad subscriber never freezes every other store (svelte#11555, #7618);
* the queue is per thread, so two threads setting stores at once cannot deliver
  each other's values.
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable, Protocol, Sequence, TypeVar, runtime_checkable

__all__ = ["Readable", "Writable", "writable", "readable", "derived", "get", "readonly", "safe_not_equal"]

T = TypeVar("T")
Subscriber = Callable[[Any], Any]
Invalidator = Callable[[], Any]
Unsubscriber = Callable[[], None]

log = logging.getLogger("core.stores")

# Immutable values: an equal one cannot hide a mutation, so setting it again is no change.
_BY_VALUE = frozenset({type(None), bool, int, float, complex, str, bytes})


def _noop(*_: Any) -> None:
    return None


def safe_not_equal(a: Any, b: Any) -> bool:
    """Svelte's change test. Primitives compare by value *and* type (`1`, `1.0` and `True`
    differ; NaN equals NaN); anything else counts as changed, since it may have been
    mutated in place and `set(same_list)` is how callers say so."""
    if type(a) is not type(b) or type(a) not in _BY_VALUE:
        return True
    return not (a == b or (a != a and b != b))


class _Queue:
    """Svelte's module-level `subscriber_queue`, one per thread: (run, value) pairs that
    are delivered breadth-first, so a set made inside a subscriber waits its turn."""

    __slots__ = ("items", "running")

    def __init__(self) -> None:
        self.items: list[tuple[Subscriber, Any]] = []
        self.running = False


class _PerThread(threading.local):
    # One threading.local lookup per set(), then plain slots: local attributes are slow.
    def __init__(self) -> None:
        self.queue = _Queue()


_local = _PerThread()


def _flush(q: _Queue) -> None:
    """Deliver everything queued, including what deliveries queue meanwhile. Always leaves
    the queue empty and idle — Svelte's stays dirty after a throw and freezes every store."""
    items = q.items
    i = 0
    try:
        while i < len(items):
            run, value = items[i]
            i += 1
            try:
                run(value)
            except Exception:
                log.exception("store subscriber %r raised", run)
    finally:
        items.clear()
        q.running = False


def _arity(fn: Callable) -> tuple[int, int]:
    """(required, accepted) positional parameters: JS's `fn.length` decides what a callback
    means, and Python, unlike JS, fails if given more arguments than it accepts."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # some builtins have no signature
        return 1, 1
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in positional)
    accepted = 99 if any(p.kind is p.VAR_POSITIONAL for p in params) else len(positional)
    return required, accepted


@runtime_checkable
class Readable(Protocol[T]):
    """A store: anything with `subscribe(run, invalidate=None) -> unsubscribe`."""

    __slots__ = ()

    def subscribe(self, run: Subscriber, invalidate: Invalidator | None = None) -> Unsubscriber: ...


def _subscribe(store: Any, run: Subscriber, invalidate: Invalidator | None = None) -> Unsubscriber:
    """Subscribe to any store: ours, a foreign one whose `subscribe` takes only `run`, or an
    RxJS-style one that returns an object with `.unsubscribe()` (as Svelte's helper does)."""
    if invalidate is None or (not isinstance(store, (Writable, _ReadOnly)) and _arity(store.subscribe)[1] < 2):
        unsubscribe = store.subscribe(run)
    else:
        unsubscribe = store.subscribe(run, invalidate)
    return getattr(unsubscribe, "unsubscribe", unsubscribe)


class Writable(Readable[T]):
    """A value with subscribers; `start(set[, update])` runs when the first one arrives and
    may return `stop`, run when the last one leaves."""

    __slots__ = ("_value", "_start", "_start_args", "_stop", "_subs", "_runs", "_watched")

    def __init__(self, value: T | None = None, start: Callable | None = None) -> None:
        self._value = value
        self._start = start
        self._start_args = 0 if start is None else min(_arity(start)[1], 2)
        self._stop: Callable[[], Any] | None = None  # set while started
        self._subs: dict[object, tuple[Subscriber, Invalidator | None]] = {}
        self._runs: tuple[Subscriber, ...] | None = ()  # fast-path snapshot; None = stale
        self._watched = 0  # subscribers with an invalidate callback (derived stores)

    def set(self, value: T) -> None:
        if not safe_not_equal(self._value, value):
            return
        self._value = value
        if self._stop is None:
            return  # not started (or inside start): stored, delivered by subscribe
        q = _local.queue
        if self._watched or q.running:
            self._enqueue(q, value)
            return
        # Fast path (nothing queued, nobody to invalidate): the same order Svelte's queue
        # gives, without building it. Sets made by these subscribers queue up behind them.
        runs = self._runs
        if runs is None:
            runs = self._runs = tuple(run for run, _ in self._subs.values())
        q.running = True
        try:
            for run in runs:
                try:
                    run(value)
                except Exception:
                    log.exception("store subscriber %r raised", run)
        finally:
            if q.items:
                _flush(q)
            else:
                q.running = False

    def _enqueue(self, q: _Queue, value: T) -> None:
        """Svelte's two phases: invalidate every subscriber (a derived store marks itself
        pending and waits), queue the deliveries; the outermost set delivers them."""
        outermost = not q.running
        q.running = True
        try:
            for run, invalidate in tuple(self._subs.values()):
                if invalidate is not None:
                    try:
                        invalidate()
                    except Exception:
                        log.exception("store invalidator %r raised", invalidate)
                q.items.append((run, value))
        finally:
            if outermost:
                _flush(q)

    def update(self, fn: Callable[[T], T]) -> None:
        self.set(fn(self._value))

    def subscribe(self, run: Subscriber, invalidate: Invalidator | None = None) -> Unsubscriber:
        token = object()
        self._subs[token] = (run, invalidate)
        self._runs = None
        self._watched += invalidate is not None

        def unsubscribe() -> None:
            if self._subs.pop(token, None) is None:
                return  # twice is harmless
            self._runs = None
            self._watched -= invalidate is not None
            if not self._subs and self._stop is not None:
                stop, self._stop = self._stop, None
                stop()

        try:
            if len(self._subs) == 1:
                # `_stop` is still None, so a set() inside start is stored, not delivered:
                # the first subscriber is called exactly once (svelte#3022).
                start = self._start
                stop = start(*(self.set, self.update)[: self._start_args]) if start else None
                self._stop = stop if callable(stop) else _noop
            run(self._value)
        except BaseException:
            unsubscribe()  # the caller never gets `unsubscribe`: leave nothing behind
            raise
        return unsubscribe

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._value!r}, subscribers={len(self._subs)})"


class _ReadOnly(Readable[T]):
    """Only `subscribe`: `set` and `update` do not exist (AttributeError)."""

    __slots__ = ("_store",)

    def __init__(self, store: Readable[T]) -> None:
        self._store = store

    def subscribe(self, run: Subscriber, invalidate: Invalidator | None = None) -> Unsubscriber:
        return _subscribe(self._store, run, invalidate)

    def __getattr__(self, name: str):
        if name in ("set", "update"):  # say it in the store's words, not "_ReadOnly has no set"
            raise AttributeError(f"a readable store has no {name}(): only the code that created "
                                 f"it (its start function, or the writable behind readonly()) sets it")
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"readonly({self._store!r})"


def writable(value: T | None = None, start: Callable | None = None) -> Writable[T]:
    return Writable(value, start)


def readable(value: T | None = None, start: Callable | None = None) -> Readable[T]:
    """A store only `start` can set."""
    return _ReadOnly(Writable(value, start))


def readonly(store: Readable[T]) -> Readable[T]:
    return _ReadOnly(store)


def get(store: Readable[T]) -> T:
    """The current value: subscribe and unsubscribe at once (so a lazy store starts and
    stops). Meant for occasional reads, not hot paths."""
    box: list[Any] = []
    _subscribe(store, box.append)()
    return box[0] if box else None  # a store that never called back: Svelte's `undefined`


def _is_store(value: Any) -> bool:
    return callable(getattr(value, "subscribe", None))


def derived(stores: Readable | Sequence[Readable], fn: Callable, initial_value: Any = None) -> Readable:
    """A store computed from others, recomputed once per change, never from a mix of old
    and new values: a pending bitmask waits for every invalidated dependency. As in
    Svelte 4, invalidation reaches one level only, so with unequal paths to a shared
    ancestor, subscribe the longer path first — list `[derived_of_a, a]`, not
    `[a, derived_of_a]` (svelte#10376).

    `fn(value)` (or `fn([values])` for a list) returns the value. `fn(values, set)` and
    `fn(values, set, update)` set it themselves, possibly later, starting from
    `initial_value`, and may return a cleanup run before the next call and on stop.
    """
    single = _is_store(stores)
    deps = [stores] if single else list(stores) if isinstance(stores, (list, tuple)) else None
    if deps is None or not all(map(_is_store, deps)):
        raise TypeError(f"derived() expects a store or a list of stores, got {stores!r}")
    required, accepted = _arity(fn)
    auto = required < 2
    n_args = min(accepted, 1 if auto else 3)

    def start(set_value: Callable, update: Callable) -> Callable[[], None]:
        values: list[Any] = [None] * len(deps)
        pending = 0
        started = False
        cleanup: Callable[[], Any] = _noop
        unsubscribers: list[Unsubscriber] = []

        def sync() -> None:
            nonlocal cleanup
            if pending:
                return  # glitch-free: another changed dependency has yet to deliver
            done, cleanup = cleanup, _noop
            done()
            result = fn(*(values[0] if single else list(values), set_value, update)[:n_args])
            if auto:
                set_value(result)
            elif callable(result):
                cleanup = result

        def dependency(i: int) -> tuple[Subscriber, Invalidator]:
            bit = 1 << i

            def run(value: Any) -> None:
                nonlocal pending
                values[i] = value
                pending &= ~bit
                if started:  # False once stopped: deliveries already queued must not recompute
                    sync()

            def invalidate() -> None:
                nonlocal pending
                pending |= bit

            return run, invalidate

        def stop() -> None:
            nonlocal started, cleanup
            started = False
            for unsubscribe in unsubscribers:
                unsubscribe()
            done, cleanup = cleanup, _noop
            done()

        try:
            for i, store in enumerate(deps):
                unsubscribers.append(_subscribe(store, *dependency(i)))
            started = True
            sync()
        except BaseException:
            stop()
            raise
        return stop

    return readable(initial_value, start)
