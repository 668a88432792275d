"""Curves of the selected well: a table a petrophysicist scans first."""

from __future__ import annotations

import asyncio
import math
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable

from core.dataforge.models import CurveInfo

from ..dialogs import AskDialog, ConfirmDialog
from ..pane import Pane, register_pane
from ..words import count
from ..units import to_unit
from ._text import cell

__all__ = ["CurvesPane", "sparkline"]

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 12) -> str:
    """Bucket means as bar characters; empty buckets (all null) are blank."""
    finite = [v for v in values if v is not None and not math.isnan(v)]
    if not finite:
        return " " * width
    lo, hi = min(finite), max(finite)
    span = (hi - lo) or 1.0
    n = len(values)
    out = []
    for i in range(width):
        chunk = [v for v in values[i * n // width:(i + 1) * n // width] if v is not None and not math.isnan(v)]
        if not chunk:
            out.append(" ")
            continue
        level = (sum(chunk) / len(chunk) - lo) / span
        out.append(_BARS[min(len(_BARS) - 1, int(level * len(_BARS)))])
    return "".join(out)


def _num(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    a = abs(v)
    return f"{v:.4g}" if a and (a < 0.01 or a >= 1e5) else f"{v:.3f}".rstrip("0").rstrip(".")


def _pct(nulls: int, pct: float) -> str:
    """`% null` that never reads 0.0 when there are nulls (100 in 1 000 000 is "<0.1")."""
    return "<0.1" if nulls and pct < 0.05 else f"{pct:.1f}"


@register_pane
class CurvesPane(Pane):
    KIND = "curves"
    TITLE = "Curves"
    BINDINGS = [
        Binding("r", "rename", "Rename"),
        Binding("delete", "delete", "Delete"),
    ]
    COLUMNS = ("Mnemonic", "Unit", "Top", "Base", "Samples", "% null", "Min", "Max", "Mean", "Profile")

    def compose(self) -> ComposeResult:
        table = DataTable(id="curve-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*self.COLUMNS)
        yield table

    def on_core_ready(self) -> None:
        self._curves: dict[int, CurveInfo] = {}
        self._loaded_for: int | None = -1
        self._count = ""  # "12 curves" in the title, once loaded
        for name in ("curve-added", "curve-deleted", "curve-updated"):
            self.listen(name, self._on_curve_event)
        self.listen("data-refreshed", lambda ev: self.reload())
        self.reload()

    def _on_curve_event(self, event) -> None:
        if event.payload.get("well_id") == self.selection.well_id:
            self.reload()

    def reload(self) -> None:
        self.run_worker(self._load, group="load", exclusive=True)

    async def _load(self) -> None:
        well = self.selection.well_id
        table = self.query_one(DataTable)
        if well is None:
            self._curves, self._loaded_for = {}, None
            table.clear()
            self._set_count("")
            return
        curves: list[CurveInfo] | None = await self.try_invoke("list_curves", {"wellId": well})
        info = await self.try_invoke("get_well", {"wellId": well})
        if curves is None or info is None:
            return
        self._depth_unit = info.depth_unit
        self._loaded_for = well
        self._curves = {c.id: c for c in curves}
        self._fill(table, curves, {})
        self._set_count(count(len(curves), "curve"))
        profiles = await asyncio.gather(*(self.app.samples.profile(c, partial(self._profile, c.id))
                                          for c in curves))
        if self._loaded_for == well:
            self._fill(table, curves, dict(zip((c.id for c in curves), profiles)))

    def _set_count(self, text: str) -> None:
        self._count = text
        self._update_title()

    def title_details(self) -> list[str]:
        return [self._count] if getattr(self, "_count", "") else []

    async def _profile(self, curve_id: int) -> str | None:
        data = await self.try_invoke("get_curve_data", {"curveId": curve_id, "maxPoints": 48})
        return sparkline(list(data.values)) if data is not None else None

    def _fill(self, table: DataTable, curves: list[CurveInfo], profiles: dict[int, str]) -> None:
        cursor = table.cursor_row
        table.clear()
        unit = self.settings.depth_unit
        for c in curves:
            well_unit = getattr(self, "_depth_unit", "m")
            pct = 100.0 * c.null_count / c.sample_count if c.sample_count else 0.0
            top = _num(to_unit(c.min_depth, well_unit, unit)) if c.min_depth is not None else "—"
            base = _num(to_unit(c.max_depth, well_unit, unit)) if c.max_depth is not None else "—"
            name = Text.assemble((c.mnemonic, "bold"), (" ƒ", "cyan") if c.is_computed else "")
            table.add_row(name, cell(c.unit or ""), top, base, f"{c.sample_count:,}", _pct(c.null_count, pct),
                          _num(c.min), _num(c.max), _num(c.mean), profiles.get(c.id) or "", key=str(c.id))
        if curves:
            selected = self.selection.curve_id
            row = next((i for i, c in enumerate(curves) if c.id == selected), min(cursor, len(curves) - 1))
            table.move_cursor(row=max(0, row))

    def watch_selection(self, old, new) -> None:
        if not self.is_mounted or not hasattr(self, "_curves"):
            return
        if new.well_id != self._loaded_for:
            self.reload()

    def watch_settings(self) -> None:
        if self.is_mounted and hasattr(self, "_curves"):
            self.reload()

    def _current(self) -> CurveInfo | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._curves.get(int(key))

    @on(DataTable.RowSelected)
    async def _selected(self, event: DataTable.RowSelected) -> None:
        await self.choose(curve_id=int(event.row_key.value))

    @work
    async def action_rename(self) -> None:
        curve = self._current()
        if curve is None:
            return
        taken = {c.mnemonic.upper() for c in self._curves.values() if c.id != curve.id}

        def check(text: str) -> str | None:
            t = text.strip()
            if not t:
                return "a mnemonic is required"
            if t.upper() in taken:
                return f"{t} already exists in this well"
            if any(ch.isspace() for ch in t):
                return "no spaces in a mnemonic"
            if len(t) > 32:
                return f"at most 32 characters ({len(t)} now)"
            return None

        name = await self.app.push_screen_wait(AskDialog(Content(f"Rename {curve.mnemonic} to"), curve.mnemonic,
                                                         check=check))
        if name and name.strip() != curve.mnemonic:
            await self.invoke_as("curve-editor", "rename_curve", {"curveId": curve.id, "mnemonic": name.strip()})

    @work
    async def action_delete(self) -> None:
        curve = self._current()
        if curve is None:
            return
        prompt = Content(f"Delete curve {curve.mnemonic}? This cannot be undone.")
        if await self.app.push_screen_wait(ConfirmDialog(prompt)):
            await self.invoke_as("curve-editor", "delete_curve", {"curveId": curve.id})
