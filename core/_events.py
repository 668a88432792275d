"""Events: Tauri's emit/listen with explicit targets, in-order and crash-proof.

Delivery rules (see the README table):

* `emit` reaches every listener; `emit_to(target)` reaches listeners on that
  target plus the catch-all (`listen_any`) ones; `emit_filter` asks a predicate
  per target.
* Sync handlers of one emit run in registration order; each listener sees events
  in emit order, also when its handler is `async` (one call at a time per listener).
* An emit made inside a handler is queued and delivered after the current
  delivery (breadth-first, never recursive).
* `emit` from another thread is handed to the loop; progress-like events can be
  *coalesced* (latest wins) so a fast producer cannot grow memory without bound.
* A handler that raises is isolated: logged, reported once as `listener-error`,
  and every other listener still gets the event.

Speed matters here (it is the hot path of every pane): one `Event` object is
made per emit and its `.id` is set per listener before each call — until a
handler keeps it (seen from its reference count): the next handler then gets a
fresh one, so every handler may keep the event it received.

An async listener owns a *host task*, made on its first event and kept until it is
removed. An idle listener's handler is stepped during the emit, up to its first real
suspension, *as* that task (asyncio's current task and the listener's own context are
swapped in, as Python 3.12's eager tasks do); if it suspends, the host task carries
on with it. So `asyncio.timeout`, `TaskGroup` and `current_task()` in a handler see
the handler's task, never the emitter's, and context variables a handler sets stay
in its listener — while a handler that never suspends (most) costs one step, not a
task (~10x).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import itertools
import logging
import re
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal

__all__ = ["Event", "EventTarget", "EventBus", "Unlisten", "validate_event_name"]

try:  # what 3.12's eager tasks use to run a step as a task; C functions since 3.7
    from asyncio.tasks import _enter_task, _leave_task
except ImportError:  # pragma: no cover - another asyncio: every step runs in its task
    _enter_task = _leave_task = None
_current_task = asyncio.current_task
_coro_send = types.CoroutineType.send  # unbound: no bound method made per step
_DONE = object()  # what a stepper yields when the handler it ran has returned


@types.coroutine
def _stepper() -> Any:
    """Runs the handler coroutines it is sent, one after another, inline in `send`: one that
    returns makes `send` return `_DONE` (no StopIteration raised and caught per call: half
    the cost of stepping each handler by hand); one that suspends makes it return what the
    handler waits on, and the stepper, still inside that handler, goes to the host task."""
    while True:
        yield from (yield _DONE)


def _new_stepper() -> Callable[[Any], Any]:
    """A primed stepper's `send`."""
    stepper = _stepper()
    stepper.send(None)
    return stepper.send

log = logging.getLogger("core.events")

_NAME_RE = re.compile(r"[A-Za-z0-9\-/:_]+")
_valid_names: set[str] = set()

TargetKind = Literal["any", "app", "window"]


def validate_event_name(name: Any, what: str = "event name") -> str:
    """Letters, digits, `-`, `/`, `:`, `_` — Tauri's rule; anything else is a ValueError."""
    if name in _valid_names:
        return name
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"invalid {what} {name!r}: use letters, digits and '-', '/', ':', '_' only"
        )
    if len(_valid_names) < 10_000:
        _valid_names.add(name)
    return name


@dataclass(frozen=True, slots=True)
class EventTarget:
    """Where an event is emitted to (or what a listener listens on)."""

    kind: TargetKind
    label: str | None = None

    @staticmethod
    def any() -> "EventTarget":
        """Every listener, whatever it listens on (Tauri's `EventTarget::Any`)."""
        return _ANY

    @staticmethod
    def app() -> "EventTarget":
        """The backend's own listeners (`app.listen`), not the windows'."""
        return _APP

    @staticmethod
    def window(label: str) -> "EventTarget":
        """The window labelled `label` (`emit_to("settings", ...)` is short for this)."""
        return EventTarget("window", validate_event_name(label, "window label"))

    @staticmethod
    def coerce(target: "EventTarget | str") -> "EventTarget":
        """A plain string means `EventTarget.window(label)`."""
        if isinstance(target, EventTarget):
            return target
        if isinstance(target, str):
            return EventTarget.window(target)
        raise TypeError(f"event target must be an EventTarget or a window label, not {target!r}")

    def __str__(self) -> str:
        return self.kind if self.label is None else f"{self.kind}:{self.label}"


_ANY = EventTarget("any")
_APP = EventTarget("app")


class Event:
    """What a handler receives. `.id` is the receiving listener's id."""

    __slots__ = ("event", "payload", "id", "target", "source", "seq")

    def __init__(
        self,
        event: str,
        payload: Any,
        id: int,
        target: EventTarget,
        source: str | None,
        seq: int,
    ) -> None:
        self.event = event
        self.payload = payload
        self.id = id
        self.target = target
        self.source = source
        self.seq = seq

    def copy(self) -> "Event":
        return Event(self.event, self.payload, self.id, self.target, self.source, self.seq)

    def __repr__(self) -> str:
        return (
            f"Event({self.event!r}, payload={self.payload!r}, id={self.id}, "
            f"target={self.target}, source={self.source!r}, seq={self.seq})"
        )


class Unlisten:
    """Returned by `listen`: call it (as often as you like) to stop listening."""

    __slots__ = ("id", "_bus")

    def __init__(self, bus: "EventBus", id: int) -> None:
        self.id = id
        self._bus = bus

    def __call__(self) -> None:
        self._bus.unlisten(self.id)

    def __repr__(self) -> str:
        return f"Unlisten(id={self.id})"


class _Listener:
    __slots__ = (
        "id", "event", "target", "fn", "is_async", "once", "owner", "alive",
        "queue", "running", "flow", "ctx", "host", "wake", "handoff",
    )

    def __init__(self, id, event, target, fn, is_async, once, owner):
        self.id = id
        self.event = event
        self.target: EventTarget = target
        self.fn = fn
        self.is_async = is_async
        self.once = once
        self.owner = owner
        self.alive = True
        self.queue: deque[Event] | None = deque() if is_async else None
        self.running = False  # a call is under way (stepping, suspended or queued)
        self.flow: _Flow | None = None
        self.ctx = contextvars.copy_context() if is_async else None  # the handler's own context
        self.host: asyncio.Task | None = None  # the task the handler runs as
        self.wake: asyncio.Future | None = None  # the idle host waits on it
        self.handoff: tuple | None = None  # (event, coroutine, what it waits on) for the host

    def accepts(self, target: EventTarget, pred: Callable[[EventTarget], bool] | None) -> bool:
        mine = self.target
        if mine.kind == "any":
            return True
        if pred is not None:
            return bool(pred(mine))
        if target.kind == "any":
            return True
        if target.kind == "app":
            return mine.kind == "app"
        return mine.kind == "window" and mine.label == target.label


class _Flow:
    """Debounce / throttle state of one listener: the last payload always lands."""

    __slots__ = ("mode", "seconds", "pending", "timer", "last_fire")

    def __init__(self, mode: str, seconds: float) -> None:
        self.mode = mode
        self.seconds = seconds
        self.pending: Event | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.last_fire = float("-inf")


class _Driven(Coroutine):
    """A hand-written coroutine a task can drive: the protocol around `send`/`throw`."""

    __slots__ = ()

    def close(self) -> None:
        self._inner().close()

    def __await__(self) -> Any:
        return self

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> Any:
        return self.send(None)


class _Resumed(_Driven):
    """The rest of an async handler that suspended during its inline step, awaited by
    the listener's host task: its first step hands the task what the handler waits on
    (or throws in a cancel that reached the host first)."""

    __slots__ = ("bus", "lst", "ev", "coro", "pending", "exc")

    def __init__(self, bus: "EventBus", lst: "_Listener", ev: Event, coro: Any, yielded: Any,
                 exc: BaseException | None = None) -> None:
        self.bus, self.lst, self.ev, self.coro, self.exc = bus, lst, ev, coro, exc
        self.pending: Any = (yielded,)  # what the handler is waiting on, until the task takes it

    def send(self, value: Any) -> Any:
        if self.pending is not None:
            (yielded,), self.pending = self.pending, None
            if self.exc is None:
                return yielded
            exc, self.exc = self.exc, None
            return self._step(self.coro.throw, exc)
        return self._step(self.coro.send, value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self.pending = None
        return self._step(self.coro.throw, typ if val is None else val)


    def _inner(self) -> Any:
        return self.coro

    def _step(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        try:
            yielded = fn(arg)
        except StopIteration:
            raise StopIteration from None
        except Exception as exc:
            self.bus._report(self.lst, self.ev, exc)
            raise StopIteration from None
        if yielded is _DONE:  # a stepper's handler returned
            raise StopIteration
        return yielded


class _Started(_Driven):
    """A listener's host coroutine, under way by the time its task first steps it: a
    cancel that lands before then (a handler cancelling `current_task()` in its inline
    step) still reaches the handler's `except` and the host's `finally` — a native
    coroutine that never started would just end, skipping both."""

    __slots__ = ("inner", "started")

    def __init__(self, inner: Any) -> None:
        self.inner, self.started = inner, False

    def send(self, value: Any) -> Any:
        self.started = True
        return self.inner.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        if not self.started:
            self.started = True
            self.inner.send(None)  # to its first suspension: the handoff, or idle
        return self.inner.throw(typ if val is None else val)

    def _inner(self) -> Any:
        return self.inner


    @property
    def __name__(self) -> str:  # what asyncio shows in a task's repr
        return "event-listener-host"


# References to an event held only by `_deliver`'s local and `_refs`'s argument: more means
# a handler kept it (stored it, or a suspended coroutine holds it).
_refs = getattr(sys, "getrefcount", None) or (lambda obj: 1 << 30)  # no refcounts: never reuse
_UNKEPT = 2


def _is_async_callable(fn: Callable) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)
    )


class EventBus:
    """A pub-sub bus with Tauri's targets, usable on its own or inside an `AppHandle`.

    Single-loop by design: handlers run on the loop that first used the bus;
    `emit` from other threads is marshalled there.
    """

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._sync: dict[str, list[_Listener]] = {}
        self._async: dict[str, list[_Listener]] = {}
        self._by_id: dict[int, _Listener] = {}
        self._by_owner: dict[str, dict[int, None]] = {}  # a window's listeners, in order: closing is O(own)
        self._delivering = False
        self._pending: deque[tuple] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._inbox: deque[tuple] = deque()
        self._coalesced: dict[tuple, list] = {}
        self._inbox_lock = threading.Lock()
        self._inbox_scheduled = False
        self._busy: set[_Listener] = set()  # async listeners with a call under way
        self._step_send = _new_stepper()  # steps idle async listeners' handlers inline
        self._quiet: asyncio.Future | None = None  # drain() waits on it
        self._timers = 0
        self._coalesce_keys: dict[str, Callable[[Any], Any] | None] = {}
        self.taps: list[Callable[[dict[str, Any]], None]] = []
        self.on_error: Callable[[str, BaseException, int], None] | None = None

    # ---- loop binding -------------------------------------------------------------
    def bind(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Deliver on `loop` (default: the running loop)."""
        self._loop = loop or asyncio.get_running_loop()
        self._thread = threading.get_ident()

    def _on_loop_thread(self) -> bool:
        tid = threading.get_ident()
        if tid == self._thread:
            return True
        loop = asyncio._get_running_loop()  # not get_running_loop: no exception per emit
        if loop is None:
            return self._loop is None  # no loop anywhere: deliver synchronously
        if self._loop is None or self._loop.is_closed() or not self._loop.is_running():
            self._loop, self._thread = loop, tid
            return True
        return loop is self._loop

    # ---- listening ----------------------------------------------------------------
    def listen(
        self,
        event: str,
        handler: Callable[[Event], Any],
        *,
        target: EventTarget | str | None = None,
        once: bool = False,
        owner: str | None = None,
        debounce: float | None = None,
        throttle: float | None = None,
    ) -> Unlisten:
        """Register `handler` for `event` on `target`. The bare bus's default is the
        catch-all (it has no windows); `AppHandle.listen` and `Window.listen` always pass
        their own target, so there the catch-all is explicit (`listen_any`)."""
        validate_event_name(event)
        if not callable(handler):
            raise TypeError(f"handler for {event!r} must be callable, not {handler!r}")
        if debounce is not None and throttle is not None:
            raise ValueError("use debounce or throttle, not both")
        tgt = _ANY if target is None else EventTarget.coerce(target)
        lst = _Listener(next(self._ids), event, tgt, handler, _is_async_callable(handler), once, owner)
        for mode, secs in (("debounce", debounce), ("throttle", throttle)):
            if secs is not None:
                if not secs >= 0:
                    raise ValueError(f"{mode} must be a number of seconds >= 0, not {secs!r}")
                lst.flow = _Flow(mode, float(secs))
        self._by_id[lst.id] = lst
        if owner is not None:
            self._by_owner.setdefault(owner, {})[lst.id] = None
        table = self._async if lst.is_async else self._sync
        table[event] = [*table.get(event, ()), lst]  # copy-on-write: emits iterate safely
        if self._loop is None:
            # Listening from inside a loop binds the bus to it, so that an emit from a worker
            # thread is handed to this loop rather than run in the thread (where an
            # asyncio.Event.set() in the handler would never wake the loop: the CLI hung).
            self._on_loop_thread()
        return Unlisten(self, lst.id)

    def once(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        return self.listen(event, handler, once=True, **kw)

    def unlisten(self, listener_id: int | Unlisten) -> None:
        """Remove a listener; unknown or already removed ids are ignored."""
        if isinstance(listener_id, Unlisten):
            listener_id = listener_id.id
        lst = self._by_id.get(listener_id)
        if lst is None:
            return
        if lst.owner is not None:
            own = self._by_owner.get(lst.owner)
            if own is not None:
                own.pop(lst.id, None)
                if not own:
                    del self._by_owner[lst.owner]
        self._forget(lst)
        table = self._async if lst.is_async else self._sync
        remaining = [x for x in table.get(lst.event, ()) if x is not lst]
        if remaining:
            table[lst.event] = remaining
        else:
            table.pop(lst.event, None)

    def _forget(self, lst: _Listener) -> None:
        """Drop `lst` from the id index and stop what it has pending (not from the tables)."""
        self._by_id.pop(lst.id, None)
        lst.alive = False
        if lst.queue:
            lst.queue.clear()
        if lst.wake is not None and not lst.wake.done():
            lst.wake.set_result(None)  # the idle host sees it is gone and ends
        if lst.flow and lst.flow.timer:
            lst.flow.timer.cancel()
            lst.flow.timer = None
            self._timers -= 1

    def unlisten_owner(self, owner: str) -> int:
        """Remove every listener registered by `owner` (a window label)."""
        ids = list(self._by_owner.get(owner, ()))  # its own listeners: no scan of everyone's
        for i in ids:
            self.unlisten(i)
        return len(ids)

    def listener_count(self, event: str | None = None) -> int:
        if event is None:
            return len(self._by_id)
        return len(self._sync.get(event, ())) + len(self._async.get(event, ()))

    def coalesce(self, event: str, key: Callable[[Any], Any] | None = None) -> None:
        """Mark `event` as progress-like: undelivered ones with the same key are
        replaced by the newest (latest wins), bounding memory under floods."""
        self._coalesce_keys[validate_event_name(event)] = key

    # ---- emitting -----------------------------------------------------------------
    def emit(
        self,
        event: str,
        payload: Any = None,
        *,
        target: EventTarget | str | None = None,
        source: str | None = None,
        predicate: Callable[[EventTarget], bool] | None = None,
    ) -> None:
        """Emit to `target` (default: everyone). Safe from any thread."""
        if event not in _valid_names:
            validate_event_name(event)
        tgt = _ANY if target is None else EventTarget.coerce(target)
        if self._thread == threading.get_ident() or self._on_loop_thread():
            self._dispatch(event, payload, tgt, source, predicate)
        else:
            self._post(event, payload, tgt, source, predicate)

    def post(
        self,
        event: str,
        payload: Any = None,
        *,
        target: EventTarget | str | None = None,
        source: str | None = None,
    ) -> None:
        """Like `emit`, but always queued behind earlier posts, from any thread —
        for producers on several threads whose events must stay in one order."""
        if event not in _valid_names:
            validate_event_name(event)
        tgt = _ANY if target is None else EventTarget.coerce(target)
        if self._loop is None:
            self._on_loop_thread()  # bind to the running loop if there is one
        if self._loop is None:
            self._dispatch(event, payload, tgt, source, None)
        else:
            self._post(event, payload, tgt, source, None)

    def _dispatch(self, event, payload, target, source, predicate) -> None:
        if self._delivering:
            self._pending.append((event, payload, target, source, predicate))
            return
        self._delivering = True
        try:
            self._deliver(event, payload, target, source, predicate)
            pending = self._pending
            while pending:
                self._deliver(*pending.popleft())
        finally:
            self._delivering = False

    def _deliver(self, name, payload, target, source, predicate) -> None:
        ev = Event(name, payload, 0, target, source, next(self._seq))
        if self.taps:
            self._tap({"kind": "emit", "event": name, "target": str(target),
                       "source": source, "payload": payload, "seq": ev.seq})
        sync = self._sync.get(name)
        if sync:
            everyone = target is _ANY and predicate is None
            for lst in sync:
                if not (everyone or lst.accepts(target, predicate)) or not lst.alive:
                    continue
                if lst.once and lst.flow is None:  # a delayed once goes when it fires
                    self.unlisten(lst.id)
                if lst.flow is not None:
                    self._flow(lst, ev)
                    continue
                if _refs(ev) > _UNKEPT:  # the last handler kept it: it keeps its own
                    ev = Event(name, payload, lst.id, target, source, ev.seq)
                else:
                    ev.id = lst.id
                try:
                    lst.fn(ev)
                except Exception as exc:  # isolate: the others still get the event
                    self._report(lst, ev, exc)
        asyncs = self._async.get(name)
        if asyncs:
            loop = self._loop if self._loop is not None else asyncio._get_running_loop()
            outer = _current_task(loop) if loop is not None and _enter_task is not None else None
            if outer is not None:  # inline steps run as their listener's task, not the emitter's
                _leave_task(loop, outer)
            try:
                self._deliver_async(asyncs, name, payload, target, source, predicate, ev.seq, loop)
            finally:
                if outer is not None:
                    _enter_task(loop, outer)

    def _deliver_async(self, asyncs, name, payload, target, source, predicate, seq, loop) -> None:
        everyone = target is _ANY and predicate is None
        mine = None
        enter, leave = _enter_task, _leave_task
        for lst in asyncs:
            if not lst.alive or not (everyone or lst.accepts(target, predicate)):
                continue
            if lst.once and lst.flow is None:  # a delayed once goes when it fires
                self.unlisten(lst.id)
            # Each async handler gets an event of its own. One that nobody kept (the
            # handler finished and stored nothing) is reused: only `.id` differs.
            if mine is None or _refs(mine) > _UNKEPT:
                mine = Event(name, payload, lst.id, target, source, seq)
            else:
                mine.id = lst.id
            if lst.flow is not None:
                self._flow(lst, mine)
            elif lst.running or lst.queue:
                self._enqueue(lst, mine)
            elif lst.host is None or _enter_task is None:
                self._step(lst, mine, loop)
            else:  # _step, inlined and run by the stepper: the hot path of every async listener
                host = lst.host
                lst.running = True
                enter(loop, host)
                step = self._step_send
                try:
                    yielded = lst.ctx.run(step, lst.fn(mine))
                except (Exception, asyncio.CancelledError) as exc:
                    leave(loop, host)
                    self._step_send = _new_stepper()  # the handler's error ended this one
                    self._report(lst, mine, exc)
                    lst.running = False
                    if lst.queue:
                        self._run_host(lst)
                    continue
                leave(loop, host)
                if yielded is _DONE:
                    lst.running = False
                    if lst.queue:
                        self._run_host(lst)
                    continue
                # Suspended: the stepper is inside the handler; the host finishes it.
                self._step_send = _new_stepper()
                lst.handoff = (mine, step.__self__, yielded)
                self._run_host(lst)

    # ---- async delivery (one call at a time per listener, FIFO, as its host task) ----
    def _enqueue(self, lst: _Listener, ev: Event) -> None:
        """Queue `ev` behind the listener's call under way (or step it now if idle)."""
        q = lst.queue
        if not lst.running and not q:
            self._step_outside_tasks(lst, ev)
            return
        key_fn = self._coalesce_keys.get(ev.event, _MISSING)
        if key_fn is not _MISSING and q:
            key = key_fn(ev.payload) if key_fn else None
            for i in range(len(q) - 1, -1, -1):
                old = q[i]
                if old.event == ev.event and (key_fn is None or key_fn(old.payload) == key):
                    del q[i]
                    break
        q.append(ev)
        if not lst.running:
            self._run_host(lst)

    def _step_outside_tasks(self, lst: _Listener, ev: Event) -> None:
        """`_step` from a callback that may run inside some task (a timer, a flow)."""
        loop = self._loop if self._loop is not None else asyncio._get_running_loop()
        outer = _current_task(loop) if loop is not None and _enter_task is not None else None
        if outer is not None:
            _leave_task(loop, outer)
        try:
            self._step(lst, ev, loop)
        finally:
            if outer is not None:
                _enter_task(loop, outer)

    def _step(self, lst: _Listener, ev: Event, loop) -> None:
        """Run an idle listener's handler now, as its host task, up to its first real
        suspension; only then does the host take over. No task may be current."""
        lst.running = True  # an emit made by the step queues, never re-enters
        host = lst.host
        if host is None and loop is not None:
            host = lst.host = loop.create_task(_Started(self._host(lst)), context=lst.ctx)
        entered = host is not None and _enter_task is not None
        if entered:
            _enter_task(loop, host)
        try:
            coro = lst.fn(ev)
            yielded = lst.ctx.run(coro.send, None)
        except StopIteration:
            lst.running = False
            if lst.queue:  # the step queued an event for its own listener
                self._run_host(lst)
            return
        except (Exception, asyncio.CancelledError) as exc:
            self._report(lst, ev, exc)
            lst.running = False
            if lst.queue:
                self._run_host(lst)
            return
        finally:
            if entered:
                _leave_task(loop, host)
        if host is None:
            coro.close()
            raise RuntimeError(f"async listener {lst.id} for {ev.event!r} suspended with no "
                               "event loop to finish it on")
        lst.handoff = (ev, coro, yielded)
        self._run_host(lst)

    def _run_host(self, lst: _Listener) -> None:
        """Have the host take over the handoff or the queue (made if there is none)."""
        lst.running = True
        self._busy.add(lst)
        if lst.host is None or lst.host.done():
            loop = self._loop or asyncio.get_running_loop()
            lst.host = loop.create_task(_Started(self._host(lst)), context=lst.ctx)
        elif lst.wake is not None and not lst.wake.done():
            lst.wake.set_result(None)

    async def _host(self, lst: _Listener) -> None:
        """The listener's task: finishes suspended steps and queued calls, else waits."""
        me = asyncio.current_task()
        q = lst.queue
        try:
            while True:
                job, lst.handoff = lst.handoff, None
                if job is not None:
                    await _Resumed(self, lst, *job)
                elif q and lst.alive:
                    ev = q.popleft()
                    try:
                        await lst.fn(ev)
                    except Exception as exc:
                        self._report(lst, ev, exc)
                else:
                    lst.running = False
                    self._idle(lst)
                    if not lst.alive:
                        return
                    wake = lst.wake = asyncio.get_running_loop().create_future()
                    try:
                        await wake
                    except asyncio.CancelledError as exc:
                        if lst.handoff is None:
                            raise  # cancelled while idle: the task ends, the next event makes one
                        job, lst.handoff = lst.handoff, None  # the cancel was meant for the step
                        await _Resumed(self, lst, *job, exc=exc)
                    finally:
                        lst.wake = None
        finally:
            if lst.host is me:
                lst.host = None
            if lst.running and (q or lst.handoff) and lst.alive:
                lst.host = None  # a cancel ended a call: the rest goes on in a new task
                self._run_host(lst)
            else:
                lst.running = False
                self._idle(lst)

    def _idle(self, lst: _Listener) -> None:
        self._busy.discard(lst)
        if not self._busy and self._quiet is not None:
            if not self._quiet.done():
                self._quiet.set_result(None)
            self._quiet = None

    # ---- debounce / throttle -------------------------------------------------------
    def _flow(self, lst: _Listener, ev: Event) -> None:
        flow = lst.flow
        ev = ev.copy()
        ev.id = lst.id
        flow.pending = ev
        loop = self._loop or asyncio.get_running_loop()
        now = loop.time()
        if flow.mode == "debounce":
            if flow.timer:
                flow.timer.cancel()
                self._timers -= 1
            delay = flow.seconds
        else:
            if flow.timer:
                return  # a trailing delivery is already scheduled: it takes the latest
            delay = max(0.0, flow.last_fire + flow.seconds - now)
        self._timers += 1
        flow.timer = loop.call_later(delay, self._flow_fire, lst)

    def _flow_fire(self, lst: _Listener) -> None:
        flow = lst.flow
        self._timers -= 1
        flow.timer = None
        ev, flow.pending = flow.pending, None
        if ev is None or not lst.alive:
            return
        if lst.once:
            self.unlisten(lst.id)
        flow.last_fire = (self._loop or asyncio.get_running_loop()).time()
        if lst.is_async:
            self._enqueue(lst, ev)  # an idle one steps now, as its own task
        else:
            try:
                lst.fn(ev)
            except Exception as exc:
                self._report(lst, ev, exc)

    # ---- other threads -------------------------------------------------------------
    def _post(self, event, payload, target, source, predicate) -> None:
        item = (event, payload, target, source, predicate)
        key_fn = self._coalesce_keys.get(event, _MISSING)
        with self._inbox_lock:
            if key_fn is not _MISSING:
                ckey = (event, key_fn(payload) if key_fn else None, target)
                slot = self._coalesced.get(ckey)
                if slot is not None:
                    slot[0] = item  # latest wins, keeps its place in the order
                    return
                slot = [item]
                self._coalesced[ckey] = slot
                self._inbox.append((ckey, slot))
            else:
                self._inbox.append((None, item))
            if self._inbox_scheduled:
                return
            self._inbox_scheduled = True
        loop = self._loop
        if loop is None:
            raise RuntimeError("emit from a thread before the bus is bound to an event loop")
        try:
            if threading.get_ident() == self._thread:
                loop.call_soon(self._drain_inbox)
            else:
                loop.call_soon_threadsafe(self._drain_inbox)
        except RuntimeError:  # loop closed: the app is shutting down
            with self._inbox_lock:
                self._inbox.clear()
                self._coalesced.clear()
                self._inbox_scheduled = False

    def _drain_inbox(self) -> None:
        with self._inbox_lock:
            items = list(self._inbox)
            self._inbox.clear()
            self._coalesced.clear()
            self._inbox_scheduled = False
        for ckey, item in items:
            if ckey is not None:
                item = item[0]
            self._dispatch(*item)

    # ---- quiescence ----------------------------------------------------------------
    async def drain(self, timeout: float | None = None) -> None:
        """Return once everything emitted so far is delivered and every handler finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._inbox:
                self._drain_inbox()
            if self._busy:
                loop = asyncio.get_running_loop()
                if self._quiet is None or self._quiet.get_loop() is not loop:
                    self._quiet = loop.create_future()
                await asyncio.wait([self._quiet], timeout=_remaining(deadline))
            elif self._timers:
                await asyncio.sleep(0.005)
            else:
                await asyncio.sleep(0)  # let call_soon_threadsafe callbacks land
                if not (self._inbox or self._busy or self._timers or self._inbox_scheduled):
                    return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("event bus did not drain in time")

    # ---- errors and taps -----------------------------------------------------------
    def _report(self, lst: _Listener, ev: Event, exc: BaseException) -> None:
        log.error("listener %s for %r raised: %r", lst.id, ev.event, exc, exc_info=exc)
        if self.on_error is not None:
            try:
                self.on_error(ev.event, exc, lst.id)
            except Exception:  # pragma: no cover - the reporter itself failed
                log.exception("error reporter failed")
        if ev.event != "listener-error":
            self.emit("listener-error", {"event": ev.event, "error": f"{type(exc).__name__}: {exc}",
                                         "listener": lst.id, "window": lst.owner})

    def _tap(self, record: dict[str, Any]) -> None:
        for tap in list(self.taps):
            try:
                tap(record)
            except Exception:
                log.exception("event tap failed")

    def iter_listeners(self) -> Iterable[tuple[int, str, EventTarget, str | None]]:
        for lst in self._by_id.values():
            yield lst.id, lst.event, lst.target, lst.owner


_MISSING = object()


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())
