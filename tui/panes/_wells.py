"""Wells of the selected workspace, with the highlighted well's header."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.dataforge.models import WellInfo

from ..pane import Pane, register_pane
from ..words import count
from ..units import fmt_depth

__all__ = ["WellsPane"]


@register_pane
class WellsPane(Pane):
    KIND = "wells"
    TITLE = "Wells"

    def compose(self) -> ComposeResult:
        yield OptionList(id="well-list", classes="pane-list")
        yield Static("", id="well-header", classes="header-info")

    def on_core_ready(self) -> None:
        self._wells: dict[int, WellInfo] = {}
        self._loaded_for: int | None = -1
        self.listen("well-added", lambda ev: self.reload())
        for name in ("curve-added", "curve-deleted"):  # the "N curves" beside each well
            self.listen(name, self._on_curve_count_changed)
        self.listen("data-refreshed", lambda ev: self.reload())
        self.reload()

    def _on_curve_count_changed(self, event) -> None:
        if event.payload.get("well_id") in getattr(self, "_wells", {}):
            self.reload()

    def reload(self) -> None:
        self.run_worker(self._load, group="load", exclusive=True)

    async def _load(self) -> None:
        ws = self.selection.workspace_id
        options = self.query_one(OptionList)
        if ws is None:
            self._wells = {}
            options.clear_options()
            options.add_option(Option("[dim]select a workspace[/]", disabled=True))
            self._show_header()
            return
        wells: list[WellInfo] | None = await self.try_invoke("list_wells", {"workspaceId": ws})
        if wells is None:
            return
        self._loaded_for = ws
        self._wells = {w.id: w for w in wells}
        options.clear_options()
        options.add_options([Option(Content.from_markup("$name  [dim]$curves[/]", name=w.name,
                                                        curves=count(w.curve_count, "curve")), id=str(w.id))
                             for w in wells])
        self._highlight()

    def _highlight(self) -> None:
        options = self.query_one(OptionList)
        wid = self.selection.well_id
        if wid is not None and wid in self._wells:
            options.highlighted = options.get_option_index(str(wid))
        elif self._wells and options.highlighted is None:
            options.highlighted = 0  # Enter works at once
        self._show_header()

    def _show_header(self, well: WellInfo | None = None) -> None:
        well = well or self._wells.get(self.selection.well_id or -1)
        box = self.query_one("#well-header", Static)
        if well is None:
            box.update("")
            return
        unit = self.settings.depth_unit
        rows = [
            ("Well", well.name), ("UWI", well.uwi), ("Company", well.company), ("Field", well.field),
            ("Location", well.location),
            ("Interval", f"{fmt_depth(well.start_depth, well.depth_unit, unit)} – "
                         f"{fmt_depth(well.stop_depth, well.depth_unit, unit)}"),
            ("Step", fmt_depth(well.step, well.depth_unit, unit)),
            ("Source", (well.source_file or "").rsplit("/", 1)[-1] or None),
        ]
        box.update(Content("\n").join(Content.from_markup("[b]$key[/] $value", key=f"{k:<9}", value=str(v))
                                      for k, v in rows if v not in (None, "")))

    def watch_selection(self, old, new) -> None:
        if not self.is_mounted or not hasattr(self, "_wells"):
            return
        if new.workspace_id != self._loaded_for:
            self.reload()
        else:
            self._highlight()

    def watch_settings(self) -> None:
        if self.is_mounted and hasattr(self, "_wells"):
            self._show_header()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show_header(self._wells.get(int(event.option.id)))

    @on(OptionList.OptionSelected)
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            await self.choose(well_id=int(event.option.id))
