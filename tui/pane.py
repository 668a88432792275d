"""`Pane`: a Textual widget that is a window of the core runtime.

A pane creates its core `Window` (label = pane id) when mounted and closes it when
unmounted, so its listeners go with it. It calls commands with `invoke`, receives
events with `listen` — delivered through its own message queue, so handlers run
on the UI loop in order — and mirrors stores into reactive attributes with
`bind`. A *linked* pane follows the shared selection; a *pinned* one keeps its own.

Names from data (workspaces, wells, curves, payloads) may hold `[`, which markup reads
as a tag: they reach the screen as `Content`/`Text`, never spliced into markup.
"""

from __future__ import annotations

import inspect
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Awaitable, Callable, ClassVar

from pydantic import TypeAdapter
from textual import on
from textual.actions import SkipAction
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Input, Static

from core import Event, InvokeError, Window
from core.dataforge.api import Selection, Settings
from core.stores import derived, writable

if TYPE_CHECKING:
    from core import AppHandle

__all__ = ["Pane", "PaneError", "PANE_KINDS", "register_pane", "first_control"]

PANE_KINDS: dict[str, type["Pane"]] = {}


def register_pane(cls: type["Pane"]) -> type["Pane"]:
    PANE_KINDS[cls.KIND] = cls
    return cls


def first_control(pane: Widget, *, text_fields: bool = True) -> Widget | None:
    """The control Tab would reach first in `pane`, skipping the plain scroll containers
    around forms (Enter does nothing there), and text fields unless allowed: focused, they
    swallow the app's keys (z, o, x typed into a filter)."""
    inside = [w for w in pane.screen.focus_chain if pane in w.ancestors]
    controls = [w for w in inside if isinstance(w, ScrollView) or not isinstance(w, ScrollableContainer)]
    keys_safe = [w for w in controls if not isinstance(w, Input)]
    if keys_safe:
        return keys_safe[0]
    if text_fields and controls:
        return controls[0]
    return None


@cache
def _adapter(expected: Any) -> TypeAdapter:
    return TypeAdapter(expected)


class PaneError(Static):
    """A pane's latest error, one line at its foot (the notification fades; this stays
    until the next success or Escape). Styled by the app's `.pane-error` rule."""

    DEFAULT_CSS = """
    PaneError { dock: bottom; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, message: str | None) -> None:
        self.display = bool(message)
        self.update(Content(f"⚠ {message}") if message else "")
        self.tooltip = Content(message) if message else None  # the whole of a cut message


class Pane(Vertical, can_focus=False):
    """Base of every pane kind. Subclasses set `KIND`, `TITLE` and compose their body."""

    ALLOW_MAXIMIZE = True

    KIND: ClassVar[str] = "pane"
    TITLE: ClassVar[str] = "Pane"

    BINDINGS = [
        Binding("p", "toggle_pinned", "Pin/link", tooltip="Follow the shared selection, or keep this pane's own"),
        Binding("escape", "leave_field", "Leave the field / hide the error", show=False),
    ]

    SETTINGS: ClassVar[dict[str, Any]] = {"linked": bool, "selection": Selection}
    """The type each saved setting must have (checked strictly: JSON as the pane saved it). A
    saved value that has not (a hand-edited or older layout.json) is dropped: the default applies."""

    linked: reactive[bool] = reactive(True)
    """True: follows the shared selection (and depth window); False: pinned."""
    selection: reactive[Selection] = reactive(Selection, always_update=False, repaint=False)
    """The selection this pane shows: the shared one when linked, its own when pinned."""
    settings: reactive[Settings] = reactive(Settings)
    """App-wide settings (theme, units), mirrored from the backend."""
    error: reactive[str | None] = reactive(None)
    """The last error shown in the pane (also sent as a notification)."""
    _error_command: str | None = None  # the command `error` is about (None: any success clears it)

    class CoreEvent(Message):
        """A core event routed through this pane's message queue."""

        def __init__(self, handler: Callable[[Event], Any], event: Event) -> None:
            super().__init__()
            self.handler = handler
            self.event = event

    class SettingsChanged(Message):
        """Posted (bubbling) when a pane wants its saved settings updated."""

        def __init__(self, pane: "Pane", changes: dict[str, Any]) -> None:
            super().__init__()
            self.pane = pane
            self.changes = changes

    def __init__(self, pane_id: str, *, settings: dict[str, Any] | None = None) -> None:
        super().__init__(id=pane_id, classes="pane")
        self.pane_id = pane_id
        self.pane_settings, self._bad_settings = self._checked_settings(settings or {})
        self.window: Window | None = None
        self._unsubscribers: list[Callable[[], None]] = []
        self._error_strip = PaneError(classes="pane-error")
        self.local_selection = writable(Selection.model_validate(self.pane_settings.get("selection") or {}))
        self.set_reactive(Pane.linked, bool(self.pane_settings.get("linked", True)))
        self.link = writable(self.linked)  # `linked` as a store: what the pane shows derives from it

    def _checked_settings(self, saved: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """`(usable, dropped)`: the saved settings that are what `SETTINGS` says, and the keys
        of those that are not — a bad one must cost its own default, never the start."""
        usable, dropped = {}, []
        for key, value in saved.items():
            expected = self.SETTINGS.get(key)
            try:
                if value is not None and expected is not None:
                    _adapter(expected).validate_python(value, strict=True)
                usable[key] = value
            except (TypeError, ValueError):
                dropped.append(key)
        return usable, dropped

    def _report_bad_settings(self) -> None:
        """Say which saved settings were dropped, and drop them from the saved layout too,
        so this is said once, not at every start."""
        if not self._bad_settings:
            return
        keys = ", ".join(self._bad_settings)
        self.notify(f"Saved settings of {self.pane_id} ignored ({keys}): not valid; using the defaults.",
                    title=self.TITLE, severity="warning", timeout=8, markup=False)
        self.post_message(self.SettingsChanged(self, dict.fromkeys(self._bad_settings)))
        self._bad_settings = []

    # ---- lifecycle ----------------------------------------------------------------
    @property
    def core(self) -> "AppHandle":
        return self.app.core  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.window = self.core.create_window(self.pane_id)
        self.mount(self._error_strip)
        self._error_strip.show(self.error)
        self._report_bad_settings()
        self.bind(self.window.sync("settings"), "settings")
        self.bind(self.followed(self.window.sync("selection"), self.local_selection), "selection")
        self._update_title()
        self.on_core_ready()

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        if self.window is not None:
            self.window.close()
            self.window = None

    def on_core_ready(self) -> None:
        """Hook: the window exists; register listeners and load data here."""

    @property
    def is_gone(self) -> bool:
        """Being removed (or the app exiting): children may already be gone."""
        return self._pruning or self._closing or self._closed or not self.is_attached

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        """`Widget.run_worker` (and so `@work`), except that async work interrupted by the
        pane's removal ends quietly: a pane's children are removed before its workers are
        cancelled, so a load in flight could find its table gone and crash the app."""
        if kwargs.get("thread"):
            return super().run_worker(work, *args, **kwargs)
        return super().run_worker(partial(self._unless_gone, work), *args, **kwargs)  # lazy: may never start

    async def _unless_gone(self, work: Any) -> Any:
        try:
            result = work() if callable(work) else work
            return await result if inspect.isawaitable(result) else result
        except NoMatches:
            if self.is_gone:
                return None
            raise

    def palette_commands(self) -> list:
        """Hook: `SystemCommand`s this pane adds to the command palette."""
        return []

    # ---- the three IPC verbs -------------------------------------------------------
    async def invoke(self, name: str, args: dict[str, Any] | None = None, *, quiet: bool = False) -> Any:
        """Call a command as this window. Errors become a notification and `self.error`."""
        if self.window is None:
            return None
        try:
            result = await self.window.invoke(name, args)
        except InvokeError as exc:
            if not quiet:
                self.show_error(str(exc), command=name)
            raise
        if self._error_command in (None, name):  # another command's success says nothing of it
            self.error = None
        return result

    async def try_invoke(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """`invoke` that returns None instead of raising (the error is shown)."""
        try:
            return await self.invoke(name, args)
        except InvokeError:
            return None

    async def invoke_as(self, label: str, name: str, args: dict[str, Any] | None = None) -> Any:
        """Call a command from a dialog that is its own window (e.g. `curve-editor`, which
        may rename and delete while the curve list itself is read-only). Errors are shown."""
        core = self.core
        window = core.get_window(label) or core.create_window(label)
        try:
            return await window.invoke(name, args)
        except InvokeError as exc:
            self.show_error(str(exc))
            return None

    def listen(self, event: str, handler: Callable[[Event], Any | Awaitable[Any]], **kw: Any) -> None:
        """Receive `event` on this window; `handler` runs from this pane's message queue."""
        assert self.window is not None, "listen() before the pane is mounted"
        self.window.listen(event, lambda ev: self.post_message(self.CoreEvent(handler, ev)), **kw)

    @on(CoreEvent)
    async def _dispatch_core_event(self, message: CoreEvent) -> None:
        message.stop()
        try:
            result = message.handler(message.event)
            if hasattr(result, "__await__"):
                await result
        except NoMatches:
            if not self.is_gone:  # an event that arrived while the pane was being removed
                raise

    def bind(self, store: Any, attribute: str, transform: Callable[[Any], Any] | None = None) -> None:
        """Mirror `store` into the reactive `attribute` for as long as the pane is mounted."""
        if transform is None:
            unsubscribe = store.subscribe(lambda value: setattr(self, attribute, value))
        else:
            unsubscribe = store.subscribe(lambda value: setattr(self, attribute, transform(value)))
        self._unsubscribers.append(unsubscribe)

    def show_error(self, message: str, *, command: str | None = None) -> None:
        """Show `message` as a notification and in the pane (as written: it may quote a name),
        until Escape or the next success (of `command`, when the error is about one)."""
        self.error = message
        self._error_command = command
        self.notify(message, title=self.TITLE, severity="error", timeout=6, markup=False)

    def watch_error(self, error: str | None) -> None:
        self._error_strip.show(error)

    # ---- linked / pinned ------------------------------------------------------------
    def followed(self, shared: Any, own: Any) -> Any:
        """A derived store of what this pane shows: `shared` (a store every window syncs)
        while linked, `own` while pinned. One subscription for the pane's life: pinning and
        linking switch the value, and the reactive bound to it changes only if it differs."""
        return derived([self.link, shared, own], lambda values: values[1] if values[0] else values[2])

    def action_leave_field(self) -> None:
        """Escape in a text field hands the keys back to the pane (z, o, x act again);
        elsewhere in the pane it hides the error shown in it."""
        focused = self.app.focused
        if not isinstance(focused, Input) or self not in focused.ancestors:
            if self.error is None:
                raise SkipAction()  # not ours: the app's escape (e.g. unzoom) applies
            self.error = None
            return
        target = first_control(self, text_fields=False)
        if target is not None:
            target.focus()
        else:
            self.app.set_focus(None)

    def action_toggle_pinned(self) -> None:
        if self.linked:
            self.on_pinning()  # pin what is shown now
        self.linked = not self.linked

    def on_pinning(self) -> None:
        """Hook: about to pin — copy what is shown into the pane's own stores. Panes with
        more linked state (the log tracks' depth window) extend it."""
        self.local_selection.set(self.selection)

    def watch_linked(self, linked: bool) -> None:
        self.link.set(linked)
        if self.window is None:
            return
        self._update_title()
        self.save_settings(linked=linked, selection=self.selection.model_dump() if not linked else None)

    async def choose(self, **changes: int | None) -> None:
        """Select something: through the backend when linked, locally when pinned."""
        if self.linked:
            command = {"workspace_id": "select_workspace", "well_id": "select_well",
                       "curve_id": "select_curve"}[next(iter(changes))]
            await self.try_invoke(command, {k: v for k, v in changes.items()})
        else:
            current = self.local_selection
            if "workspace_id" in changes:
                new = Selection(workspace_id=changes["workspace_id"])
            elif "well_id" in changes:
                new = Selection(workspace_id=self.selection.workspace_id, well_id=changes["well_id"])
            else:
                new = self.selection.model_copy(update=changes)
            current.set(new)
            self.save_settings(selection=new.model_dump())

    def save_settings(self, **changes: Any) -> None:
        self.pane_settings.update(changes)
        self.post_message(self.SettingsChanged(self, changes))

    def title_details(self) -> list[str]:
        """Hook: what the title says after the pane id (a count, the well shown)."""
        return []

    def _update_title(self) -> None:
        """'Curves · curves-1 · 12 curves  ◇ linked': rebuilt whole from `title_details`, so
        pinning keeps a pane's count, and as plain text, so a name with `[` shows as written."""
        state = "◇ linked" if self.linked else "◆ pinned"
        self.border_title = Content(" · ".join([self.TITLE, self.pane_id, *self.title_details()]) + f"  {state}")
