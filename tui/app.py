"""The DataForge terminal app: a layout of panes, each a synchronized window.

The layout is a pure-data tree (`tui.layout`) rendered by recomposing; panes keep
their state in stores and saved settings, not in widgets, because a rebuild
creates new widgets. The backend is built off the UI loop at start-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from core import AppHandle
from core.dataforge.api import Settings

from . import layout as L
from .ipc_recorder import IpcRecorder
from .pane import PANE_KINDS, Pane, first_control
from .panes import register_all
from .status import StatusBar

__all__ = ["DataForgeApp"]

register_all()


class LayoutView(Container):
    """Renders a layout tree; assigning `tree` recomposes it."""

    tree: reactive[Any] = reactive(None, recompose=True)

    def compose(self) -> ComposeResult:
        if self.tree is not None:
            yield self._build(self.tree)

    def _build(self, node: Any):
        if isinstance(node, L.Leaf):
            cls = PANE_KINDS.get(node.kind) or PANE_KINDS["curves"]
            return cls(node.pane_id, settings=dict(node.settings))
        children = [self._build(child) for child in node.children]
        for child, ratio in zip(children, node.ratios):
            size = f"{max(1, round(ratio * 100))}fr"
            if node.direction == "horizontal":
                child.styles.width = size
            else:
                child.styles.height = size
        box = Horizontal if node.direction == "horizontal" else Vertical
        return box(*children, classes="split")


class KindPicker(ModalScreen[str | None]):
    """Pick a pane kind from a list."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(id="kind-picker"):
            yield Label(self.prompt)
            yield OptionList(*[Option(cls.TITLE, id=kind) for kind, cls in PANE_KINDS.items()])

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class DataForgeApp(App[int]):
    """`dataforge`: browse workspaces, wells and curves, view log tracks, run UDFs."""

    CSS_PATH = "app.tcss"
    TITLE = "DataForge Compute"
    BINDINGS = [
        Binding("s", "split('horizontal')", "Split ⇆", tooltip="Split the focused pane side by side"),
        Binding("S", "split('vertical')", "Split ⇅", tooltip="Split the focused pane stacked", show=False),
        Binding("n", "split_pick", "New pane…", tooltip="Split, choosing the new pane's kind"),
        Binding("x", "close_pane", "Close"),
        Binding("o", "cycle_focus", "Next pane"),
        Binding("z", "zoom", "Zoom"),
        Binding("K", "change_kind", "Kind…", tooltip="Change the focused pane's kind", show=False),
        Binding("f2", "settings", "Settings"),
        Binding("q", "quit", "Quit"),
    ]

    core: AppHandle | None = None
    ipc_recorder: IpcRecorder | None = None
    ready: reactive[bool] = reactive(False)

    def __init__(self, *, core: AppHandle | None = None, data_dir: str | Path | None = None,
                 layout: Any = None, save_layout: bool = True) -> None:
        super().__init__()
        self.core = core
        self._data_dir = data_dir
        self._initial_layout = layout
        self._save_layout = save_layout
        self._tree: Any = None

    # ---- start-up -----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield LoadingIndicator(id="loading")
        yield LayoutView(id="layout")
        yield StatusBar(id="status")
        yield Footer(compact=True)  # the pane's keys and the app's fit in 160 columns

    async def on_mount(self) -> None:
        self.watch(self.screen, "maximized", self._maximized_changed, init=False)
        if self.core is None:
            from core.dataforge.app import build_app

            try:
                self.core = await asyncio.to_thread(build_app, self._data_dir)
            except Exception as exc:  # a broken data dir: say so, never a traceback
                self.query_one("#loading").remove()
                await self.mount(Static(f"Cannot open the data dir: {exc}", id="fatal"))
                return
        self.core.bind()
        self.ipc_recorder = IpcRecorder(self.core)  # before any pane: an event log shows all
        self.core.listen("state:settings", lambda ev: self._apply_settings(ev.payload["value"]))
        self._apply_settings(self.core.shared("settings").get())
        self._tree = self._load_layout()
        await self.query_one("#loading").remove()
        view = self.query_one(LayoutView)
        view.set_reactive(LayoutView.tree, self._tree)
        await view.recompose()
        self.ready = True
        self.query_one(StatusBar).start()
        if self._initial_layout is None:
            self.run_worker(self._first_selection, group="load")
        self.call_after_refresh(self._focus_first_pane)

    async def _first_selection(self) -> None:
        """Nothing selected yet (a first start): show the first workspace and well, not empty panes."""
        core = self.core
        if core is None or core.shared("selection").get().workspace_id is not None:
            return
        try:
            workspaces = await core.invoke("list_workspaces")
            if workspaces:
                await core.invoke("select_workspace", {"workspaceId": workspaces[0].id})
                wells = await core.invoke("list_wells", {"workspaceId": workspaces[0].id})
                if wells:
                    await core.invoke("select_well", {"wellId": wells[0].id})
        except Exception as exc:  # never block the start on this nicety
            self.notify(f"Could not select the first workspace: {exc}", severity="warning")

    def on_app_focus(self) -> None:
        """The terminal regained focus: refresh what may have changed meanwhile (the seed's
        "refresh on window focus")."""
        if self.ready:
            self.query_one(StatusBar).refresh_status()
            if self.core is not None:
                self.core.emit("data-refreshed", {"reason": "focus"})

    def _apply_settings(self, settings: Settings) -> None:
        if settings.theme in self.available_themes and settings.theme != self.theme:
            self.theme = settings.theme

    async def on_unmount(self) -> None:
        if self.core is not None and self._data_dir is not False:
            from core.dataforge.app import close_app

            try:
                close_app(self.core)
            except Exception:
                pass

    # ---- layout persistence ------------------------------------------------------------
    def _layout_file(self) -> Path | None:
        from core.dataforge.context import DataForge

        df = self.core.try_state(DataForge) if self.core else None
        return None if df is None else Path(df.data_dir) / "layout.json"

    def _load_layout(self) -> Any:
        if self._initial_layout is not None:
            return self._initial_layout
        path = self._layout_file()
        if path is not None and path.exists() and self._save_layout:
            try:
                return L.from_dict(json.loads(path.read_text()))
            except (ValueError, OSError) as exc:
                self.notify(f"Saved layout ignored ({exc}); using the default.", severity="warning")
        return L.default_layout()

    def _store_layout(self) -> None:
        path = self._layout_file()
        if path is None or not self._save_layout or self._tree is None:
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".layout-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(L.to_dict(self._tree), fh, indent=1)
        os.replace(tmp, path)

    async def set_layout(self, tree: Any, focus: str | None = None) -> None:
        self._tree = tree
        self._store_layout()
        view = self.query_one(LayoutView)
        view.set_reactive(LayoutView.tree, tree)
        await view.recompose()
        self.call_after_refresh(self._focus_pane, focus)

    @on(Pane.SettingsChanged)
    def _pane_settings_changed(self, message: Pane.SettingsChanged) -> None:
        if self._tree is not None and L.find(self._tree, message.pane.pane_id) is not None:
            self._tree = L.update_settings(self._tree, message.pane.pane_id, **message.changes)
            self._store_layout()

    # ---- panes and focus -----------------------------------------------------------------
    def panes(self) -> list[Pane]:
        return list(self.query(Pane))

    def focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        if node is None:
            panes = self.panes()
            return panes[0] if panes else None
        return node

    def _focus_first_pane(self) -> None:
        panes = self.panes()
        if panes:
            self._focus_pane(panes[0].pane_id)

    def _focus_pane(self, pane_id: str | None) -> None:
        if pane_id is None:
            return
        try:
            pane = self.query_one(f"#{pane_id}", Pane)
        except Exception:
            return
        target = first_control(pane)
        if target is None:  # nothing to focus inside (an empty executions list): the pane itself,
            pane.can_focus = True  # or `o` would stop there and keys go to the last pane
            target = pane
        target.focus()

    def _existing_ids(self) -> set[str]:
        return {leaf.pane_id for leaf in L.leaves(self._tree)} if self._tree else set()

    # ---- actions ---------------------------------------------------------------------------
    async def action_split(self, direction: str, kind: str | None = None) -> None:
        pane = self.focused_pane()
        if pane is None or self._tree is None:
            return
        kind = kind or pane.KIND
        leaf = L.Leaf(L.new_pane_id(kind, self._existing_ids()), kind)
        await self.set_layout(L.split(self._tree, pane.pane_id, direction, leaf), focus=leaf.pane_id)

    @work
    async def action_split_pick(self) -> None:
        kind = await self.push_screen_wait(KindPicker("New pane: pick a kind"))
        if kind:
            await self.action_split("horizontal", kind)

    async def action_close_pane(self) -> None:
        pane = self.focused_pane()
        if pane is None or self._tree is None:
            return
        tree = L.close(self._tree, pane.pane_id)
        if tree is None:
            self.notify("This is the last pane; quit with q.", severity="warning")
            return
        if self.screen.maximized is not None:  # closing the zoomed pane left a blank screen
            self.screen.minimize()
        await self.set_layout(tree, focus=L.leaves(tree)[0].pane_id)

    def action_cycle_focus(self) -> None:
        pane = self.focused_pane()
        if pane is None or self._tree is None:
            return
        self._focus_pane(L.next_pane(self._tree, pane.pane_id))

    def _maximized_changed(self, old: Any, new: Any) -> None:
        """A zoomed pane fills the screen: its split share (an inline `70fr`) would make it
        70 screens wide once the screen's layout turns vertical. Restored on unzoom."""
        if old is not None and hasattr(old, "_split_share"):
            old.styles.width, old.styles.height = old._split_share
            del old._split_share
        if new is not None:
            new._split_share = (new.styles.width, new.styles.height)
            new.styles.width = new.styles.height = "1fr"

    def action_zoom(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        pane = self.focused_pane()
        if pane is not None:
            self.screen.maximize(pane, container=False)

    @work
    async def action_change_kind(self) -> None:
        pane = self.focused_pane()
        if pane is None:
            return
        kind = await self.push_screen_wait(KindPicker(f"Change {pane.pane_id} to:"))
        if kind and kind != pane.KIND:
            await self.set_layout(L.replace_kind(self._tree, pane.pane_id, kind), focus=pane.pane_id)

    def action_settings(self) -> None:
        from .settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Split side by side", "A new pane of the same kind to the right",
                            lambda: self.run_action("split('horizontal')"))
        yield SystemCommand("Split stacked", "A new pane of the same kind below",
                            lambda: self.run_action("split('vertical')"))
        yield SystemCommand("New pane…", "Split and pick the new pane's kind", self.action_split_pick)
        yield SystemCommand("Close pane", "Close the focused pane", self.action_close_pane)
        yield SystemCommand("Next pane", "Move focus to the next pane", self.action_cycle_focus)
        yield SystemCommand("Zoom pane", "Maximize or restore the focused pane", self.action_zoom)
        yield SystemCommand("Change pane kind…", "Turn the focused pane into another kind",
                            self.action_change_kind)
        yield SystemCommand("Pin / link pane", "Toggle whether the focused pane follows the selection",
                            lambda: (p := self.focused_pane()) and p.action_toggle_pinned())
        yield SystemCommand("Settings", "Theme and units for every pane", self.action_settings)
        for pane in self.panes():
            for cmd in pane.palette_commands():
                yield cmd
