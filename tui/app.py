"""The DataForge terminal app: a layout of panes, each a synchronized window.

The layout is a pure-data tree (`tui.layout`) rendered by recomposing; panes keep
their state in stores and saved settings, not in widgets, because a rebuild
creates new widgets. The backend is built off the UI loop at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path
from functools import partial
from typing import Any, Callable, ClassVar, Iterable, Iterator

from textual import on, work
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Label, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from core import AppHandle, InvokeError
from core.dataforge.api import DepthWindow, Selection, Settings
from core.dataforge.paths import write_text_atomically

from . import layout as L
from .import_dialog import ImportDialog
from .ipc_recorder import IpcRecorder
from .pane import PANE_KINDS, Pane, first_control
from .samples import SampleCache
from .panes import register_all
from .status import StatusBar

__all__ = ["DataForgeApp"]

register_all()


@contextlib.contextmanager
def _start_warnings() -> Iterator[list[str]]:
    """Collect what the backend warns about while it opens (the `core` loggers)."""
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    logger, handler = logging.getLogger("core"), Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield said
    finally:
        logger.removeHandler(handler)


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


# Keys that belong together share one footer label ("s S Split"; the tooltips say which is
# which): the footer fits in 160 columns beside the widest pane's keys (log tracks); at 80
# the pane's keys come first and the rest scrolls under the palette key.
_SPLIT = Binding.Group("Split")
_NEW = Binding.Group("New…")


class DataForgeApp(App[int]):
    """`dataforge`: browse workspaces, wells and curves, view log tracks, run UDFs."""

    CSS_PATH = "app.tcss"
    TITLE = "DataForge Compute"
    BINDINGS = [
        Binding("s", "split('horizontal')", "Split ⇆", tooltip="Split the focused pane side by side",
                group=_SPLIT),
        Binding("S", "split('vertical')", "Split ⇅", tooltip="Split the focused pane stacked", group=_SPLIT),
        Binding("n", "split_pick('horizontal')", "New pane ⇆…",
                tooltip="Split side by side, choosing the new pane's kind", group=_NEW),
        Binding("N", "split_pick('vertical')", "New pane ⇅…",
                tooltip="Split stacked, choosing the new pane's kind", group=_NEW),
        Binding("x", "close_pane", "Close"),
        Binding("o", "cycle_focus", "Next"),
        Binding("z", "zoom", "Zoom"),
        Binding("K", "change_kind", "Kind…", tooltip="Change the focused pane's kind"),
        Binding("i", "import_las", "Import…", tooltip="Import a LAS file into the selected workspace"),
        Binding("f2", "settings", "Settings"),
        Binding("q", "quit", "Quit"),
    ]

    PALETTE: ClassVar[dict[str, tuple[str, str]]] = {
        "split('horizontal')": ("Split side by side", "A new pane of the same kind to the right"),
        "split('vertical')": ("Split stacked", "A new pane of the same kind below"),
        "split_pick('horizontal')": ("New pane side by side…", "Split to the right and pick the new pane's kind"),
        "split_pick('vertical')": ("New pane stacked…", "Split below and pick the new pane's kind"),
        "close_pane": ("Close pane", "Close the focused pane"),
        "cycle_focus": ("Next pane", "Move focus to the next pane"),
        "zoom": ("Zoom pane", "Maximize or restore the focused pane"),
        "change_kind": ("Change pane kind…", "Turn the focused pane into another kind"),
        "import_las": ("Import LAS file…", "Import a LAS file as a well of the selected workspace, and select it"),
        "settings": ("Settings", "Theme and units for every pane"),
    }
    """The palette's title and help for each app key (`quit` is Textual's own "Quit")."""

    LAYOUT_SAVE_DELAY = 0.3
    """Pane settings changes (a filter typed, a pinned view scrolled) are saved this long after the last one."""

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
        self._layout_error: str | None = None  # the last failed save, said once
        self._layout_timer: Timer | None = None
        self._session_timer: Timer | None = None
        self._importing: list[str] = []  # names of the files being imported
        self.samples = SampleCache()  # curve samples read, for every pane (a split remounts them all)
        self._import_dir: Path | None = None  # where the last import came from

    # ---- start-up -----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield LoadingIndicator(id="loading")
        yield LayoutView(id="layout")
        with Horizontal(id="status-row"):  # a row of its own: the footer docks below it
            yield StatusBar(id="status")
            yield Label("", id="activity")
        yield Footer(compact=True)  # the pane's keys and the app's fit in 160 columns

    async def on_mount(self) -> None:
        self.watch(self.screen, "maximized", self._maximized_changed, init=False)
        if self.core is None:
            from core.dataforge.app import build_app

            try:
                with _start_warnings() as warnings:
                    self.core = await asyncio.to_thread(build_app, self._data_dir)
                for message in warnings:  # a plugin that failed, an override ignored: logged
                    # only, and a terminal app hides the log — said here, where it is seen
                    self.notify(message, title="At start", severity="warning", timeout=15, markup=False)
            except Exception as exc:  # a broken data dir: say so, never a traceback
                self.query_one("#loading").remove()
                await self.mount(Static(Content(f"Cannot open the data dir: {exc}"), id="fatal"))
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
        for name in ("selection", "depth_window"):  # what the next start comes back to
            self.core.listen(f"state:{name}", lambda ev: self._store_session_soon())
        self.call_after_refresh(self._focus_first_pane)

    async def _first_selection(self) -> None:
        """Nothing selected yet: come back to the last session's well, curve and depth window
        (what still exists of them), or on a first start show the first workspace and well,
        not empty panes."""
        core = self.core
        if core is None or core.shared("selection").get().workspace_id is not None:
            return
        if await self._restore_session():
            return
        try:
            workspaces = await core.invoke("list_workspaces")
            if workspaces:
                await core.invoke("select_workspace", {"workspaceId": workspaces[0].id})
                wells = await core.invoke("list_wells", {"workspaceId": workspaces[0].id})
                if wells:
                    await core.invoke("select_well", {"wellId": wells[0].id})
        except Exception as exc:  # never block the start on this nicety
            self.notify(f"Could not select the first workspace: {exc}", severity="warning", markup=False)

    # ---- the session: the shared selection and depth window, kept for the next start -----------
    def _session_file(self) -> Path | None:
        layout = self._layout_file()
        return None if layout is None or not self._save_layout else layout.with_name("session.json")

    def _store_session_soon(self) -> None:
        self._save_soon("_session_timer", self._store_session)

    def _store_session(self) -> None:
        """Write the shared selection and depth window (a failure is only lost convenience,
        so it is never said: the layout's own save reports a broken data dir)."""
        self._stop_timer("_session_timer")
        path = self._session_file()
        if path is None or self.core is None:
            return
        data = {name: self.core.shared(name).get().model_dump() for name in ("selection", "depth_window")}
        with contextlib.suppress(OSError):
            write_text_atomically(path, json.dumps(data))

    async def _restore_session(self) -> bool:
        """Select what the last session had selected, as far as it still exists (a deleted
        curve falls back to its well, a deleted well to its workspace). False: nothing to restore."""
        path = self._session_file()
        if path is None or not path.exists():
            return False
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            selection = Selection.model_validate(saved.get("selection") or {})
            view = DepthWindow.model_validate(saved.get("depth_window") or {})
        except (OSError, ValueError, AttributeError):
            return False  # unreadable: a first start's default applies
        steps = [("select_curve", {"curveId": selection.curve_id}),
                 ("select_well", {"wellId": selection.well_id}),
                 ("select_workspace", {"workspaceId": selection.workspace_id})]
        for command, args in steps:
            if None in args.values():
                continue
            try:
                await self.core.invoke(command, args)
            except InvokeError:
                continue  # deleted since: try what contained it
            if command != "select_workspace":
                await self.core.invoke("set_depth_window", view.model_dump())
            return True
        return False

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
        if self._layout_timer is not None:  # a pane settings change still waiting to be saved
            self._store_layout(quiet=True)
        if self.ready:
            self._store_session()
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
                self.notify(f"Saved layout ignored ({exc}); using the default.", severity="warning", markup=False)
        return L.default_layout()

    def _store_layout(self, *, quiet: bool = False) -> None:
        """Write the layout atomically (a temp file replaces layout.json; a crash leaves the old
        one). A failure is a notification, said once until a save works again — never a crash:
        the layout on screen is still right, only the next start would not see it."""
        self._stop_timer("_layout_timer")
        path = self._layout_file()
        if path is None or not self._save_layout or self._tree is None:
            return
        try:
            write_text_atomically(path, json.dumps(L.to_dict(self._tree), indent=1))
        except (OSError, TypeError, ValueError) as exc:
            reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
            message = f"Could not save the layout to {path}: {reason}. The panes stay as they are."
            if message != self._layout_error and not quiet:
                self.notify(message, title="Layout not saved", severity="error", timeout=8, markup=False)
            self._layout_error = message
        else:
            self._layout_error = None

    def _store_layout_soon(self) -> None:
        self._save_soon("_layout_timer", self._store_layout)

    def _save_soon(self, timer: str, save: Callable[[], None]) -> None:
        """Run `save` once changes stop for `LAYOUT_SAVE_DELAY` (the timer kept in attribute `timer`)."""
        pending: Timer | None = getattr(self, timer)
        if pending is not None:
            pending.reset()
        elif self.is_running:
            def fire() -> None:
                setattr(self, timer, None)  # not stopped from inside its own callback
                save()
            setattr(self, timer, self.set_timer(self.LAYOUT_SAVE_DELAY, fire))

    def _stop_timer(self, timer: str) -> None:
        """A save made now: the one waiting in attribute `timer` is not needed."""
        pending: Timer | None = getattr(self, timer)
        if pending is not None:
            pending.stop()
            setattr(self, timer, None)

    async def set_layout(self, tree: Any, focus: str | None = None) -> None:
        if self.screen.maximized is not None:  # the zoomed pane is about to be replaced: the
            self.screen.minimize()             # screen would stay blank (zoom + split)
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
            self._store_layout_soon()

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
    async def action_split_pick(self, direction: str = "horizontal") -> None:
        where = "side by side" if direction == "horizontal" else "stacked"
        kind = await self.push_screen_wait(KindPicker(f"New pane ({where}): pick a kind"))
        if kind:
            await self.action_split(direction, kind)

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
            # A new label of the new kind: the window's capabilities follow its label.
            new_id = L.new_pane_id(kind, {leaf.pane_id for leaf in L.leaves(self._tree)} - {pane.pane_id})
            await self.set_layout(L.replace_kind(self._tree, pane.pane_id, kind, new_id), focus=new_id)

    def action_settings(self) -> None:
        from .settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    # ---- LAS import ---------------------------------------------------------------------------
    @work
    async def action_import_las(self) -> None:
        """Ask for a LAS file, then import it (`import_las`) into the selected workspace."""
        if self.core is None or not self.ready:
            return
        start = self._import_dir or Path.cwd()
        workspace = await self._workspace_name(self.core.shared("selection").get().workspace_id)
        path = await self.push_screen_wait(ImportDialog(f"{start}{os.sep}", workspace=workspace))
        if path is not None:
            self.import_las(path)

    async def _workspace_name(self, workspace_id: int | None) -> str | None:
        try:
            workspaces = await self.core.invoke("list_workspaces")
        except InvokeError:
            return None
        if workspace_id is None:  # import_las uses the first workspace (or creates "Default")
            return workspaces[0].name if workspaces else None
        return next((w.name for w in workspaces if w.id == workspace_id), None)

    def import_las(self, path: str | Path) -> Worker:
        """Import `path` off the UI loop (the command runs in the core's thread pool); on success
        the new well is selected, so every linked pane shows it; a failure is a notification."""
        return self.run_worker(self._import(Path(path)), group="import", description=f"import {path}")

    async def _import(self, path: Path) -> None:
        core = self.core
        if core is None:
            return
        self._import_dir = path.parent
        self._importing.append(path.name)
        self._show_activity()
        try:
            workspace_id = core.shared("selection").get().workspace_id
            # The app's own call (like the CLI's), not a pane's: no pane window may import.
            result = await core.invoke("import_las", {"path": str(path), "workspaceId": workspace_id})
        except Exception as exc:  # InvokeError, or anything else: never a traceback on screen
            text = str(exc)
            self._import_failed(text if isinstance(exc, InvokeError) and path.name in text else f"{path}: {text}")
            return
        finally:
            self._importing.remove(path.name)
            self._show_activity()
        well = result.well
        try:
            await core.invoke("select_well", {"wellId": well.id})
        except InvokeError as exc:
            self.notify(f"Imported, but could not select it: {exc}", severity="warning", markup=False)
        curves = len(result.curves)
        lines = [f"{path.name}: well {well.name!r}, {curves} curve{'s' if curves != 1 else ''}"]
        lines += [f"! {w}" for w in result.warnings[:5]]
        if len(result.warnings) > 5:
            lines.append(f"! … and {len(result.warnings) - 5} more warnings")
        self.notify("\n".join(lines), title="Imported", markup=False,
                    severity="warning" if result.warnings else "information", timeout=8)

    def _import_failed(self, message: str) -> None:
        """A notification (it fades) and the focused pane's error line (it stays until Esc)."""
        self.notify(message, title="Import failed", severity="error", timeout=10, markup=False)
        pane = self.focused_pane()
        if pane is not None and pane.is_attached:
            pane.error = f"Import failed: {message}"

    def _show_activity(self) -> None:
        try:
            activity = self.query_one("#activity", Label)
        except NoMatches:  # the app is closing
            return
        names = self._importing
        activity.display = bool(names)
        if names:
            what = names[0] if len(names) == 1 else f"{len(names)} files"
            activity.update(Content(f"importing {what}…"))

    # ---- the command palette -----------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, every app key (`PALETTE`), the focused pane's keys, and the
        commands panes add (`Pane.palette_commands`)."""
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action in self.PALETTE:
                title, help_text = self.PALETTE[binding.action]
                yield SystemCommand(title, f"{help_text} · key {self.get_key_display(binding)}",
                                    partial(self.run_action, binding.action))
        extra = [cmd for pane in self.panes() for cmd in pane.palette_commands()]
        yield from self._key_commands(screen, {cmd.callback for cmd in extra})
        yield from extra

    def _key_commands(self, screen: Screen, known: set[Any]) -> Iterator[SystemCommand]:
        """A command for each key (shown in the footer or not) of the focused pane and the
        widgets between it and the focus: "Rename (curves-1)". Keys of Textual's own widgets
        (a table's cursor keys) and escape (leave a field, close a dialog) are not commands."""
        focused = screen.focused
        pane = next((n for n in (focused.ancestors_with_self if focused else ()) if isinstance(n, Pane)), None)
        if pane is None:
            panes = list(screen.query(Pane))
            if not panes:
                return
            pane, chain = panes[0], [panes[0]]
        else:
            chain = list(focused.ancestors_with_self)
            chain = chain[:chain.index(pane) + 1]
        seen: set[str] = set()
        for node in chain:
            for action, binding, keys in self._own_bindings(node):
                if action in seen or not binding.description:
                    continue
                seen.add(action)
                _, name, params = parse_action(action)
                method = getattr(node, f"action_{name}", None)
                if method is None or (not params and method in known):
                    continue  # the pane's own palette command already runs it
                try:
                    if not node.check_action(name, params):
                        continue
                except Exception:
                    continue
                tip = f"{binding.tooltip} · " if binding.tooltip else f"{pane.TITLE} · "
                yield SystemCommand(f"{binding.description} ({pane.pane_id})", f"{tip}key {keys}",
                                    partial(self._run_on, node, action))

    def _own_bindings(self, node: DOMNode) -> Iterator[tuple[str, Binding, str]]:
        """(action, binding, keys shown) declared by `node`'s classes in this package."""
        by_action: dict[str, list[Binding]] = {}
        taken: set[str] = set()
        for cls in type(node).__mro__:
            if not cls.__module__.startswith(f"{__package__}.") or "BINDINGS" not in cls.__dict__:
                continue
            for binding in Binding.make_bindings(cls.__dict__["BINDINGS"]):
                if binding.key in taken or binding.key == "escape":
                    continue  # a subclass rebound the key
                taken.add(binding.key)
                by_action.setdefault(binding.action, []).append(binding)
        for action, bindings in by_action.items():
            keys = " / ".join(self.get_key_display(b) for b in bindings)
            yield action, bindings[0], keys

    async def _run_on(self, node: DOMNode, action: str) -> None:
        if node.is_attached:  # the layout may have been rebuilt while the palette was open
            await self.run_action(action, node)
