"""The settings screen: a window of its own (label `settings`).

Only this window may call `update_settings` (see the capabilities); every pane
mirrors `state:settings`, so a change here applies everywhere at once. Other
windows talk to it with `emit_to("settings", "settings:focus", {"field": ...})`.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from core import InvokeError, Window
from core.dataforge.api import Settings

__all__ = ["SettingsScreen", "SETTINGS_LABEL"]

SETTINGS_LABEL = "settings"


class SettingsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss_settings", "Close"), Binding("f2", "dismiss_settings", "Close")]

    def __init__(self, focus_field: str | None = None) -> None:
        super().__init__()
        self.window: Window | None = None
        self._focus_field = focus_field
        self._applying = False

    def compose(self) -> ComposeResult:
        settings: Settings = self.app.core.shared("settings").get()
        themes = sorted(self.app.available_themes)
        with Vertical(id="settings-box") as box:
            box.border_title = "Settings · window settings"
            yield Static("Changes apply to every pane at once and are kept in the data dir.",
                         classes="settings-help")
            with Horizontal(classes="form-row"):
                yield Label("Theme", classes="form-label")
                yield Select([(t, t) for t in themes], value=settings.theme if settings.theme in themes
                             else Select.NULL, allow_blank=False, id="set-theme")
            with Horizontal(classes="form-row"):
                yield Label("Depth unit", classes="form-label")
                yield Select([("metres (m)", "m"), ("feet (ft)", "ft")], value=settings.depth_unit,
                             allow_blank=False, id="set-depth_unit")
            yield Static("", id="settings-error", classes="field-error")
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
        self.query_one("#settings-inbox", Static).update(f"[dim]asked to show: {field}[/]" if field else "")
        widgets = self.query(f"#set-{field}") if field else None
        if widgets:
            widgets.first().focus()

    def _mirror(self, settings: Settings) -> None:
        """Another window (or the CLI) changed settings: show the new values."""
        self._applying = True
        try:
            for name in ("theme", "depth_unit"):
                select = self.query_one(f"#set-{name}", Select)
                value = getattr(settings, name)
                if select.value != value:
                    select.value = value
        finally:
            self.call_after_refresh(setattr, self, "_applying", False)

    @on(Select.Changed)
    async def _changed(self, event: Select.Changed) -> None:
        if self._applying or event.value is Select.NULL or self.window is None:
            return
        field = (event.select.id or "").removeprefix("set-")
        error = self.query_one("#settings-error", Static)
        try:
            await self.window.invoke("update_settings", {"changes": {field: event.value}})
            error.update("")
        except InvokeError as exc:
            error.update(f"⚠ {exc}")

    @on(Button.Pressed, "#settings-close")
    def action_dismiss_settings(self) -> None:
        self.dismiss(None)
