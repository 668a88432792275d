"""Windows: a label with its own event target — each terminal pane is one.

A window's listeners belong to it: `close()` removes every one of them, so a
closed pane leaves nothing behind on the bus (Tauri leaked them: tauri#15583).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ._errors import PermissionDenied
from ._events import Event, EventTarget, Unlisten

if TYPE_CHECKING:
    from ._app import AppHandle

__all__ = ["Window"]


class Window:
    """The calling side of `invoke` and the receiving side of `emit_to(label)`."""

    def __init__(self, app: "AppHandle", label: str) -> None:
        self.app = app
        self.label = label
        self.target = EventTarget.window(label)
        self.closed = False

    # ---- events --------------------------------------------------------------------
    def listen(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """Listen on this window's own target (`emit`, `emit_to(label)`, matching filters);
        options as `AppHandle.listen` (`once`, `debounce`, `throttle`). Removed on `close()`."""
        self._check_open()
        return self.app.bus.listen(event, handler, target=self.target, owner=self.label, **kw)

    def once(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """`listen` for the next `event` only."""
        return self.listen(event, handler, once=True, **kw)

    def once_any(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """`listen_any` for the next `event` only."""
        return self.listen_any(event, handler, once=True, **kw)

    def listen_any(self, event: str, handler: Callable[[Event], Any], **kw: Any) -> Unlisten:
        """Catch-all: every `event`, whatever it was emitted to (explicit, never the default)."""
        self._check_open()
        return self.app.bus.listen(event, handler, owner=self.label, **kw)

    def emit(self, event: str, payload: Any = None) -> None:
        """To everyone, as this window (its capabilities decide which events it may emit)."""
        self._check_open()
        self.app._emit_checked(event, payload, None, self.label, None)

    def emit_to(self, target: EventTarget | str, event: str, payload: Any = None) -> None:
        """To one target (a label or an `EventTarget`), as this window."""
        self._check_open()
        self.app._emit_checked(event, payload, EventTarget.coerce(target), self.label, None)

    def emit_filter(self, event: str, payload: Any, predicate: Callable[[EventTarget], bool]) -> None:
        """To every target `predicate` accepts, as this window."""
        self._check_open()
        self.app._emit_checked(event, payload, None, self.label, predicate)

    # ---- commands and state ---------------------------------------------------------
    async def invoke(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Call command `name` as this window. A closed window can do nothing (as a
        destroyed Tauri webview): `PermissionDenied`, and the command does not run."""
        if self.closed:
            raise PermissionDenied(f"Command {name} not allowed: window {self.label!r} is closed",
                                   command=name)
        return await self.app.invoke(name, args, window=self)

    def sync(self, name: str):
        """A readable store mirroring the backend's shared state `name` (see `core.shared`);
        `KeyError` if the backend has no such state (a typo would otherwise mirror None)."""
        from .shared import sync_store

        return sync_store(self, name)

    def close(self) -> None:
        """Remove this window's listeners and announce `window-closed`. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.app.bus.unlisten_owner(self.label)
        self.app._forget_window(self)
        self.app.emit("window-closed", self.label)

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError(f"window {self.label!r} is closed")

    def __repr__(self) -> str:
        return f"Window({self.label!r}{', closed' if self.closed else ''})"
