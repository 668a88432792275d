"""Workspaces: the top of the workspace → well → curve tree."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from core.dataforge.models import WorkspaceInfo

from ..dialogs import AskDialog
from ..pane import Pane, register_pane
from ..words import count

__all__ = ["WorkspacesPane"]


@register_pane
class WorkspacesPane(Pane):
    KIND = "workspaces"
    TITLE = "Workspaces"
    BINDINGS = [Binding("a", "add_workspace", "New workspace")]

    def compose(self) -> ComposeResult:
        yield OptionList(id="workspace-list", classes="pane-list")

    def on_core_ready(self) -> None:
        self.listen("workspace-added", lambda ev: self.reload())
        self.listen("data-refreshed", lambda ev: self.reload())
        self.reload()

    def reload(self) -> None:
        self.run_worker(self._load, group="load", exclusive=True)

    async def _load(self) -> None:
        workspaces: list[WorkspaceInfo] | None = await self.try_invoke("list_workspaces")
        if workspaces is None:
            return
        options = self.query_one(OptionList)
        self._names = {ws.name for ws in workspaces}
        options.clear_options()
        options.add_options(
            [Option(Content.from_markup("$name  [dim]$wells[/]", name=ws.name, wells=count(ws.well_count, "well")),
                    id=str(ws.id)) for ws in workspaces]
        )
        self._highlight()

    def _highlight(self) -> None:
        options = self.query_one(OptionList)
        wid = self.selection.workspace_id
        if wid is not None:
            try:
                options.highlighted = options.get_option_index(str(wid))
            except Exception:
                pass
        elif options.option_count and options.highlighted is None:
            options.highlighted = 0  # Enter works at once

    def watch_selection(self) -> None:
        if self.is_mounted:
            self._highlight()

    @on(OptionList.OptionSelected)
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        await self.choose(workspace_id=int(event.option.id))

    @work
    async def action_add_workspace(self) -> None:
        taken = getattr(self, "_names", set())

        def check(text: str) -> str | None:  # the backend's rules, said before anything is sent
            t = text.strip()
            if not t:
                return "a name is required"
            if len(t) > 100:
                return f"at most 100 characters ({len(t)} now)"
            same = next((n for n in taken if n.lower() == t.lower()), None)
            if same is not None:  # as the backend: names differing only in case are one name
                return f"a workspace named {same!r} already exists"
            return None

        name = await self.app.push_screen_wait(AskDialog("New workspace name", check=check))
        if name:
            await self.try_invoke("create_workspace", {"name": name.strip()})
