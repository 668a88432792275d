"""`Builder` and `AppHandle`: Tauri's app object — commands, managed state, events, windows."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

import pydantic

from ._channel import Channel
from ._commands import CommandSpec, get_spec
from ._errors import (
    CommandFailed,
    CommandNotFound,
    InvalidArgs,
    InvokeError,
    PermissionDenied,
    StateNotManaged,
    close_matches,
)
from ._events import Event, EventBus, EventTarget, Unlisten, validate_event_name
from ._state import annotation_key, key_name, state_key
from ._window import Window

__all__ = ["Builder", "AppHandle"]

log = logging.getLogger("core.app")
T = TypeVar("T")
_MISSING = object()


def _bind(value: Any, app: "AppHandle") -> None:
    """Managed values that need the app (e.g. `TaskManager`) get it here."""
    hook = getattr(value, "__bind_app__", None)
    if hook is not None:
        hook(app)


class Builder:
    """Collect state and commands, then `build()` an `AppHandle`."""

    def __init__(self) -> None:
        self._states: dict[Any, Any] = {}
        self._commands: dict[str, CommandSpec] = {}
        self._setup: list[Callable[["AppHandle"], Any]] = []

    def manage(self, value: Any) -> "Builder":
        key = state_key(value)
        if key in self._states:
            raise ValueError(f"state for type '{key_name(key)}' is already being managed")
        self._states[key] = value
        return self

    def invoke_handler(self, *commands: Callable) -> "Builder":
        for fn in commands:
            spec = get_spec(fn)
            if spec.name in self._commands:
                raise ValueError(f"command `{spec.name}` is registered twice")
            self._commands[spec.name] = spec
        return self

    def setup(self, fn: Callable[["AppHandle"], Any]) -> "Builder":
        """Run `fn(app)` once the app is built (open resources, start watchers). Sync, as
        Tauri's: an `async def` here would never run, so it is refused — start async work
        from `fn` with `asyncio.get_running_loop().create_task(...)`."""
        import inspect

        if inspect.iscoroutinefunction(fn):
            raise TypeError(f"setup({getattr(fn, '__name__', fn)}) is async: build() cannot await "
                            "it; pass a sync function that starts a task instead")
        self._setup.append(fn)
        return self

    def build(self) -> "AppHandle":
        """The app. Built inside a running event loop, it is bound to it (see `AppHandle.bind`)."""
        app = AppHandle(dict(self._commands), dict(self._states))
        if asyncio._get_running_loop() is not None:
            app.bind()
        for fn in self._setup:
            fn(app)
        return app


class AppHandle:
    """The running app: invoke commands, emit and listen, manage state and windows."""

    def __init__(self, commands: dict[str, CommandSpec], states: dict[Any, Any]) -> None:
        self._commands = commands
        self._states = states
        self._injections: dict[str, dict[str, Any]] = {}  # command -> states + app to pass
        self.bus = EventBus()
        self.windows: dict[str, Window] = {}
        self._shared: dict[str, Any] = {}
        self._executor: ThreadPoolExecutor | None = None
        self.acl: Any = None  # set by core.capabilities; None = everyone may do everything
        self.invoke_taps: list[Callable[[dict[str, Any]], None]] = []
        for value in states.values():
            _bind(value, self)

    # ---- commands ---------------------------------------------------------------
    @property
    def commands(self) -> dict[str, CommandSpec]:
        return self._commands

    def register(self, *commands: Callable) -> None:
        """Add commands after build (plugins); duplicate names are a ValueError."""
        for fn in commands:
            spec = get_spec(fn)
            if spec.name in self._commands:
                raise ValueError(f"command `{spec.name}` is registered twice")
            self._commands[spec.name] = spec
        self._injections.clear()

    async def invoke(
        self, name: str, args: dict[str, Any] | None = None, *, window: Window | str | None = None
    ) -> Any:
        """Call command `name`; every failure is an `InvokeError`."""
        if self.invoke_taps:
            return await self._invoke_tapped(name, args, window)
        try:
            spec, kwargs = self._prepare(name, args, window)
        except InvokeError:
            _end_channels(args)  # a caller reading a channel must not wait forever
            raise
        if spec.plain:  # the common case, inline: no second coroutine per call
            try:
                return spec.fn(**kwargs)
            except CommandFailed:
                raise
            except Exception as exc:
                raise CommandFailed(name, exc) from exc
        return await self._call(spec, kwargs)

    def bind(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Deliver events on `loop` (default: the running one) and let `invoke_threadsafe` use
        it. Until the app is bound (or something listens or emits on a loop), an emit from a
        worker thread runs its sync handlers in that thread. `build()` inside a loop binds."""
        self.bus.bind(loop)

    def invoke_threadsafe(
        self, name: str, args: dict[str, Any] | None = None, *, window: Window | str | None = None
    ) -> "concurrent.futures.Future[Any]":
        """`invoke` from another thread: runs on the app's loop; `.result(timeout)` waits."""
        loop = self.bus._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the app is not bound to an event loop yet: call app.bind() "
                               "from inside the loop (e.g. at the start of your async main)")
        return asyncio.run_coroutine_threadsafe(self.invoke(name, args, window=window), loop)

    async def _invoke(self, name: str, args: Any, window: Window | str | None) -> Any:
        try:
            spec, kwargs = self._prepare(name, args, window)
        except InvokeError:
            _end_channels(args)
            raise
        return await self._call(spec, kwargs)

    def _prepare(self, name: str, args: Any, window: Window | str | None) -> tuple[CommandSpec, dict]:
        """Check the ACL and build the command's keyword arguments (raises `InvokeError`)."""
        spec = self._commands.get(name)
        if spec is None:
            raise CommandNotFound(name, known=self._callable_by(name, window))
        if window is not None:
            if type(window) is str:
                window = self._window_for(window, name)
            if self.acl is not None:
                self.acl.check_command(name, window)
        fast = spec.fast_validator
        if fast is not None and type(args) is dict:
            try:
                kwargs = fast.validate_python(args)  # the happy path: one pydantic call
            except pydantic.ValidationError:
                kwargs = self._bind_slow(spec, args, detailed=True)
        else:
            kwargs = self._bind_slow(spec, args, detailed=False)
        if spec.fill_none:
            for p in spec.fill_none:
                kwargs.setdefault(p, None)
        inject = self._injections.get(name)
        if inject is None:
            inject = self._injections[name] = self._injections_for(spec)
        if inject:
            kwargs.update(inject)
        if spec.window_params:
            if window is None:
                raise InvalidArgs(name, [{"param": spec.window_params[0], "message":
                    f"command {name} needs a calling window, but was invoked without one"}])
            for param in spec.window_params:
                kwargs[param] = window
        return spec, kwargs

    async def _call(self, spec: CommandSpec, kwargs: dict[str, Any]) -> Any:
        """Run the command body: awaited, in the thread pool, or directly."""
        channels = self._attach_channels(spec, kwargs) if spec.channel_params else ()
        try:
            if spec.is_async:
                return await spec.fn(**kwargs)
            if spec.thread:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._pool(), functools.partial(spec.fn, **kwargs))
            return spec.fn(**kwargs)
        except CommandFailed:
            raise
        except Exception as exc:
            raise CommandFailed(spec.name, exc) from exc
        finally:
            for ch in channels:
                ch.close()

    async def _invoke_tapped(self, name: str, args: Any, window: Window | str | None) -> Any:
        label = window.label if isinstance(window, Window) else window
        start = time.perf_counter()
        record: dict[str, Any] = {"kind": "invoke", "command": name, "args": args, "source": label,
                                  "started": time.time()}
        try:
            result = await self._invoke(name, args, window)
            record.update(ok=True, result=result)
            return result
        except asyncio.CancelledError:
            record.update(ok=False, cancelled=True, error="cancelled")
            raise
        except BaseException as exc:
            record.update(ok=False, error=str(exc) or type(exc).__name__)
            raise
        finally:
            record["duration_ms"] = (time.perf_counter() - start) * 1000
            for tap in list(self.invoke_taps):
                try:
                    tap(record)
                except Exception:
                    log.exception("invoke tap failed")

    def _attach_channels(self, spec: CommandSpec, kwargs: dict[str, Any]) -> list[Channel]:
        loop = asyncio.get_running_loop()
        out = []
        for param, item_type in spec.channel_params.items():
            ch = kwargs.get(param)
            problem = (f"`{param}` must be a core.Channel, got {type(ch).__name__}"
                       if not isinstance(ch, Channel) else
                       f"`{param}` is a channel another invoke already used: create a Channel per call"
                       if ch.used else None)
            if problem:
                _end_channels(kwargs)
                raise InvalidArgs(spec.name, [{"param": param, "message": problem}])
            ch._attach(item_type, loop)
            out.append(ch)
        return out

    def _injections_for(self, spec: CommandSpec) -> dict[str, Any]:
        """The managed states and app handle a command receives (cached until `manage`/`register`)."""
        inject: dict[str, Any] = {}
        for param, key in spec.states.items():
            value = self._states.get(key, _MISSING)
            inject[param] = self._find_state(key, param, spec.name) if value is _MISSING else value
        for param in spec.app_params:
            inject[param] = self
        return inject

    def _find_state(self, key: Any, param: str, command: str) -> Any:
        # `State[Mutex]` without an inner type: accept the one managed Mutex.
        if isinstance(key, type):
            hits = [v for k, v in self._states.items() if isinstance(k, tuple) and k[0] is key]
            if len(hits) == 1:
                return hits[0]
        wrapped = [key_name(k) for k in self._states if isinstance(k, tuple) and k[1] == key]
        if wrapped:  # managed, but behind a lock: the fix is the annotation, not .manage()
            raise StateNotManaged(
                f"state not managed for field `{param}` on command `{command}`: no "
                f"{key_name(key)} is managed, but {' and '.join(wrapped)} is — annotate it "
                f"State[{wrapped[0]}]", command=command)
        raise StateNotManaged(  # Tauri's own words
            f"state not managed for field `{param}` on command `{command}`. "
            "You must call `.manage()` before using this command",
            command=command,
        )

    def _window_for(self, label: str, command: str) -> Window:
        win = self.windows.get(label)
        if win is None:
            raise InvalidArgs(command, [{"param": "window", "message":
                f"no window labelled {label!r} (open windows: {', '.join(self.windows) or 'none'})"}])
        return win

    def _callable_by(self, name: str, window: Window | str | None) -> Any:
        """The names "did you mean" may offer `window` for `name`: the closest commands of
        all, kept if it may call them — never a forbidden one, nor a far one standing in for
        it (then none)."""
        if window is None or self.acl is None:
            return self._commands
        return [n for n in close_matches(name, self._commands) if self.acl.allows_command(n, window)]

    def _bind_slow(self, spec: CommandSpec, args: Any, *, detailed: bool) -> dict[str, Any]:
        """`spec.bind_args` off the fast path; a missing key that names a managed type gets
        the hint a Tauri user needs (`counter: Counter` where `State[Counter]` was meant)."""
        try:
            return spec.bind_args_detailed(args) if detailed else spec.bind_args(args)
        except InvalidArgs as exc:
            hinted = [self._state_hint(spec, e) for e in exc.errors]
            if hinted == exc.errors:
                raise
            raise InvalidArgs(spec.name, hinted) from None

    def _state_hint(self, spec: CommandSpec, error: dict[str, str]) -> dict[str, str]:
        arg = next((a for a in spec.args if a.name == error.get("param")), None)
        if arg is None or "missing required key" not in error.get("message", ""):
            return error
        key = annotation_key(arg.annotation)
        managed = [k for k in self._states if k == key or (isinstance(k, tuple) and k[1] == key)]
        if not managed:
            return error
        wanted = key_name(managed[0])
        return {**error, "message": f"{error['message']} (`{arg.name}` is a parameter of a managed "
                                    f"type: annotate it `State[{wanted}]` to receive the managed value)"}

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(thread_name_prefix="dataforge-command")
        return self._executor

    # ---- managed state ----------------------------------------------------------
    def manage(self, value: Any) -> bool:
        """Manage `value` by its type; False (old value kept) if that type is already managed."""
        key = state_key(value)
        if key in self._states:
            return False
        self._states[key] = value
        self._injections.clear()
        _bind(value, self)
        return True

    def state(self, tp: type[T]) -> T:
        value = self.try_state(tp)
        if value is None:
            raise StateNotManaged(
                f"state not managed for type `{key_name(annotation_key(tp))}`. "
                "You must call `.manage()` before using it"
            )
        return value

    def try_state(self, tp: type[T]) -> T | None:
        key = annotation_key(tp)
        value = self._states.get(key, _MISSING)
        if value is _MISSING:
            try:
                return self._find_state(key, "?", "?")
            except StateNotManaged:
                return None
        return value

    # ---- shared state synced to windows (core.shared) -----------------------------
    def shared(self, name: str, initial: Any = None):
        """The backend's shared state `name`, created with `initial` on first use."""
        from .shared import SharedState

        state = self._shared.get(name)
        if state is None:
            state = self._shared[name] = SharedState(self, name, initial)
        return state

    def get_shared(self, name: str):
        return self._shared.get(name)

    # ---- events -----------------------------------------------------------------
    def emit(self, event: str, payload: Any = None) -> None:
        """To every listener (app, every window, catch-all)."""
        self.bus.emit(event, payload)

    def emit_to(self, target: EventTarget | str, event: str, payload: Any = None) -> None:
        """To one target — a window label (`"settings"`), `EventTarget.app()` or
        `EventTarget.window(label)` — plus catch-all listeners."""
        self.bus.emit(event, payload, target=EventTarget.coerce(target))

    def emit_filter(self, event: str, payload: Any, predicate: Callable[[EventTarget], bool]) -> None:
        """To every target `predicate(target)` accepts (e.g. `lambda t: t.label.startswith
        ("log-tracks")`), plus catch-all listeners."""
        self.bus.emit(event, payload, predicate=predicate)

    def _emit_checked(self, event, payload, target, source, predicate) -> None:
        if event.startswith("state:"):  # even without an ACL: shared state speaks for itself
            raise PermissionDenied(f"Event {event} not allowed: window {source!r} cannot emit "
                                   f"state:* events (only the backend's shared state does)")
        if self.acl is not None:
            self.acl.check_event(event, self.windows.get(source) or source)
        self.bus.emit(event, payload, target=target, source=source, predicate=predicate)

    def listen(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """Listen on the App target: `emit`, `emit_to(app)`, and filters that accept the app.

        `handler(event)` may be sync or `async def`. Options: `once=True` (removed after the
        first event), `debounce=s` (only the last of a burst, `s` seconds after it) or
        `throttle=s` (at most one per `s` seconds; the last always lands). Returns an
        `Unlisten`: call it to stop listening."""
        return self.bus.listen(event, handler, target=EventTarget.app(), **kw)

    def listen_any(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """Catch-all: every `event`, whatever its target."""
        return self.bus.listen(event, handler, **kw)

    def once(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """`listen` for the next `event` only."""
        return self.listen(event, handler, once=True, **kw)

    def once_any(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """`listen_any` for the next `event` only."""
        return self.listen_any(event, handler, once=True, **kw)

    def unlisten(self, listener_id: int | Unlisten) -> None:
        """Remove a listener (unknown or removed ids are ignored)."""
        self.bus.unlisten(listener_id)

    def listener_count(self, event: str | None = None) -> int:
        """Listeners of `event`, or of every event (a closed window's are gone)."""
        return self.bus.listener_count(event)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every event emitted so far is delivered and handled."""
        await self.bus.drain(timeout)

    # ---- windows ----------------------------------------------------------------
    def create_window(self, label: str) -> Window:
        """Open a window labelled `label` (unique; its event target and ACL identity) and
        announce `window-created`. `ValueError` if the label is taken."""
        validate_event_name(label, "window label")
        if label in self.windows:
            raise ValueError(f"a window labelled {label!r} already exists")
        win = Window(self, label)
        self.windows[label] = win
        self.emit("window-created", label)
        return win

    def get_window(self, label: str) -> Window | None:
        """The open window labelled `label`, or None."""
        return self.windows.get(label)

    def _forget_window(self, win: Window) -> None:
        if self.windows.get(win.label) is win:
            del self.windows[win.label]

    def close(self) -> None:
        """Close every window and stop the worker threads (idempotent)."""
        for win in list(self.windows.values()):
            win.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _end_channels(args: Any) -> None:
    """End the stream of every fresh channel in `args`: the invoke failed before the command
    ran, and a caller iterating one would otherwise wait forever."""
    if isinstance(args, dict):
        for value in args.values():
            if isinstance(value, Channel) and not value.used:
                value._end_unused()
