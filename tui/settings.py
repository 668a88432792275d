"""The settings screen: a window of its own (label `settings`).

Only this window may call `update_settings` (see the capabilities); every pane
mirrors `state:settings`, so a change here applies everywhere at once. Other
windows talk to it with `emit_to("settings", "settings:focus", {"field": ...})`.

The backend takes any theme name (another terminal may have themes this one lacks): a
theme not installed here is shown as not applied, and the current theme stays.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from core import InvokeError, Window
from core.dataforge.api import Settings

__all__ = ["SettingsScreen", "SETTINGS_LABEL"]

SETTINGS_LABEL = "settings"
_FIELDS = ("theme", "depth_unit")


class SettingsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss_settings", "Close"), Binding("f2", "dismiss_settings", "Close")]

    def __init__(self, focus_field: str | None = None) -> None:
        super().__init__()
        self.window: Window | None = None
        self._focus_field = focus_field
        self._shown: dict[str, Any] = {}  # what each select was given: its echo is no choice

    def compose(self) -> ComposeResult:
        settings: Settings = self.app.core.shared("settings").get()
        themes = sorted(self.app.available_themes)
        theme = settings.theme if settings.theme in themes else self.app.theme
        self._shown = {"theme": theme, "depth_unit": settings.depth_unit}
        with Vertical(id="settings-box") as box:
            box.border_title = "Settings · window settings"
            yield Static("Changes apply to every pane at once and are kept in the data dir.",
                         classes="settings-help")
            with Horizontal(classes="form-row"):
                yield Label("Theme", classes="form-label")
                yield Select([(t, t) for t in themes], value=theme, allow_blank=False, id="set-theme")
            with Horizontal(classes="form-row"):
                yield Label("Depth unit", classes="form-label")
                yield Select([("metres (m)", "m"), ("feet (ft)", "ft")], value=settings.depth_unit,
                             allow_blank=False, id="set-depth_unit")
            yield Static(self._theme_note(settings.theme), id="settings-error", classes="field-error")
            yield Static("", id="settings-inbox", classes="settings-help")
            yield Button("Close", id="settings-close", variant="primary")

    def on_mount(self) -> None:
        core = self.app.core
        existing = core.get_window(SETTINGS_LABEL)
        if existing is not None:  # a stale window (e.g. after a crash in a handler)
            existing.close()
        self.window = core.create_window(SETTINGS_LABEL)
        self.window.listen("settings:focus", lambda ev: self.call_later(self._on_focus_request, ev.payload))
        self.window.listen("state:settings", lambda ev: self.call_later(self._mirror, ev.payload["value"]))
        if self._focus_field:
            self._on_focus_request({"field": self._focus_field})

    def on_unmount(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window = None

    def _on_focus_request(self, payload: Any) -> None:
        field = (payload or {}).get("field") if isinstance(payload, dict) else None
        self.query_one("#settings-inbox", Static).update(
            Content.from_markup("[dim]asked to show: $field[/]", field=str(field)) if field else "")
        widgets = self.query(f"#set-{field}") if field in _FIELDS else None  # sent by anyone: not a selector
        if widgets:
            widgets.first().focus()

    def _mirror(self, settings: Settings) -> None:
        """Another window (or the CLI) changed settings: show the new values."""
        self.query_one("#settings-error", Static).update(self._theme_note(settings.theme))
        for name in _FIELDS:
            value = getattr(settings, name)
            if name == "theme" and value not in self.app.available_themes:
                continue  # not an option here: the select keeps showing the theme in use
            self._shown[name] = value
            self.query_one(f"#set-{name}", Select).value = value

    def _theme_note(self, theme: str) -> Content | str:
        """What to say about a theme this terminal does not have (it is not applied)."""
        if theme in self.app.available_themes:
            return ""
        return Content(f"⚠ theme {theme!r} is not installed here; keeping {self.app.theme}")

    @on(Select.Changed)
    async def _changed(self, event: Select.Changed) -> None:
        """The user chose a value. A select announcing the value it was given (on mount, or
        mirrored from another window) is not a choice: sending it back would, for a theme not
        installed here, overwrite the setting just by opening the screen."""
        field = (event.select.id or "").removeprefix("set-")
        if event.value is Select.NULL or self.window is None or event.value == self._shown.get(field):
            return
        self._shown[field] = event.value
        error = self.query_one("#settings-error", Static)
        try:
            await self.window.invoke("update_settings", {"changes": {field: event.value}})
            error.update("")
        except InvokeError as exc:
            error.update(Content(f"⚠ {exc}"))

    @on(Button.Pressed, "#settings-close")
    def action_dismiss_settings(self) -> None:
        self.dismiss(None)
