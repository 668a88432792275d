"""Log tracks: curves side by side on one depth axis, with a shared depth window.

The depth window and cursor are shared state (`depth_window`): every linked
log-track pane scrolls, zooms and moves its cursor together — even across wells,
since depths are absolute. A pinned pane keeps its own window and well.
"""

from __future__ import annotations

import asyncio
import math
import re
from functools import partial
from typing import Any

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from core.dataforge.api import DepthWindow
from core.dataforge.models import CurveInfo
from core.stores import writable

from ..dialogs import AskDialog
from ..pane import Pane, register_pane
from ..units import to_unit
from ..widgets import DepthAxis, LogTrack, TrackCurve, default_scale, value_at

__all__ = ["LogTracksPane", "group_tracks", "parse_depth", "plan_tracks"]

_COLORS = ("bright_green", "bright_red", "bright_cyan", "bright_magenta")
_FAMILIES = (
    ("Gamma", lambda m, u: m.startswith(("GR", "GAM", "SGR", "CGR")) or m in ("SP",) or m.startswith("CAL")),
    ("Resistivity", lambda m, u: default_scale(m, u)[2] == "log"),
    ("Porosity", lambda m, u: m in ("RHOB", "DEN", "RHOZ", "NPHI", "TNPH", "NPOR", "DFAR", "DNEAR", "PEF",
                                    "PE", "DPHI", "PHID", "PHIN")),
    ("Sonic", lambda m, u: m in ("DT", "DTC", "AC", "DTCO", "DTS")),
)
MAX_PER_TRACK = 3
MAX_TRACKS = 5
READOUT_HINTS = ("↓ cursor", "f fit", "g go to")  # keys the readout names, most useful first
DEFAULT_SPAN_M = 200.0  # an unset window shows the top 200 m: a whole 1 km well in ~40 rows is a blur


def plan_tracks(curves: list[CurveInfo]) -> tuple[list[tuple[str, list[CurveInfo]]], list[CurveInfo]]:
    """``(tracks, not_shown)``: curves grouped into tracks the way a log print does (gamma,
    resistivity, porosity, sonic, then computed and other curves), at most `MAX_PER_TRACK`
    per track. A family with more curves overflows into more tracks of its own
    ("Resistivity 2", ...) while there is room for them under `MAX_TRACKS` — every family
    gets its first track before any family gets a second. What still does not fit is
    returned in `not_shown`, never dropped silently."""
    families: dict[str, list[CurveInfo]] = {}
    for c in curves:
        base = c.mnemonic.split(":")[0].upper()
        family = "Computed" if c.is_computed else next(
            (name for name, test in _FAMILIES if test(base, c.unit or "")), "Other")
        families.setdefault(family, []).append(c)
    order = [name for name, _ in _FAMILIES] + ["Computed", "Other"]
    chunks = {name: [families[name][i:i + MAX_PER_TRACK]
                     for i in range(0, len(families[name]), MAX_PER_TRACK)]
              for name in order if name in families}
    # How many tracks each family gets: one each in family order, then overflow tracks.
    given = {name: 0 for name in chunks}
    budget = MAX_TRACKS
    level = 0
    while budget > 0 and any(len(c) > level for c in chunks.values()):
        for name, groups in chunks.items():
            if budget > 0 and len(groups) > level:
                given[name] += 1
                budget -= 1
        level += 1
    tracks: list[tuple[str, list[CurveInfo]]] = []
    hidden: list[CurveInfo] = []
    for name, groups in chunks.items():
        for k, group in enumerate(groups):
            if k < given[name]:
                tracks.append((name if k == 0 else f"{name} {k + 1}", group))
            else:
                hidden += group
    return tracks, hidden


def group_tracks(curves: list[CurveInfo]) -> list[tuple[str, list[CurveInfo]]]:
    """The tracks of `plan_tracks` (the curves that do not fit are left out)."""
    return plan_tracks(curves)[0]


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_depth(text: str) -> float:
    """The depth typed in `text` ("1500", "1,500", "12,345.5", "1.5e3"). A comma is read only
    as a thousands separator in a well-formed number; ``ValueError`` (with a message to
    show) for anything else, e.g. "1,5" (a decimal comma), "nan" or "inf"."""
    raw = text.strip()
    if "," in raw:
        if not _THOUSANDS.fullmatch(raw):
            raise ValueError(f"{text!r}: use a dot for decimals (1500.5); a comma only separates "
                             "thousands (1,500)")
        raw = raw.replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a number")
    return value


def not_shown_text(names: list[str], limit: int = 4) -> str:
    """'+2 curves not shown: ILD, ILM' (the first `limit` names, then '…')."""
    if not names:
        return ""
    listed = ", ".join(names[:limit]) + (", …" if len(names) > limit else "")
    return f"+{len(names)} curve{'s' if len(names) != 1 else ''} not shown: {listed}"


class TrackArea(Horizontal, can_focus=True):
    """The focusable strip of tracks (keys go to the pane's bindings)."""


@register_pane
class LogTracksPane(Pane):
    KIND = "log-tracks"
    TITLE = "Log tracks"
    BINDINGS = [
        Binding("down,j", "cursor(1)", "Cursor ↓", show=False),
        Binding("up,k", "cursor(-1)", "Cursor ↑", show=False),
        Binding("pagedown,space", "pan(0.8)", "Page ↓"),
        Binding("pageup", "pan(-0.8)", "Page ↑", show=False),
        Binding("plus,equals_sign", "zoom(0.5)", "Zoom in"),
        Binding("minus", "zoom(2)", "Zoom out"),
        Binding("home", "ends(-1)", "Top", show=False),
        Binding("end", "ends(1)", "Bottom", show=False),
        Binding("f", "fit", "Fit well"),
        Binding("g", "goto", "Go to depth"),
    ]

    SETTINGS = {**Pane.SETTINGS, "view": DepthWindow}

    view: reactive[DepthWindow] = reactive(DepthWindow, always_update=False)
    _well_name: str | None = None  # the well shown (the border title always names it)

    def compose(self) -> ComposeResult:
        with TrackArea(id="track-area"):
            yield DepthAxis(id="depth-axis")
        yield Static("", id="track-readout", classes="track-readout")

    def on_core_ready(self) -> None:
        self.local_view = writable(DepthWindow.model_validate(self.pane_settings.get("view") or {}))
        self._swap_lock = asyncio.Lock()
        self.bind(self.followed(self.window.sync("depth_window"), self.local_view), "view")
        self._curves: list[TrackCurve] = []
        self._extent: tuple[float, float] | None = None
        self._step = 0.1524
        self._well_unit = "m"
        self._loaded_for: int | None = -1
        self._shown_well: int | None = None  # the well whose tracks are mounted
        self._not_shown: list[str] = []  # curves of the well that no track shows
        for name in ("curve-added", "curve-deleted", "curve-updated"):
            self.listen(name, self._on_curve_event)
        self.listen("data-refreshed", lambda ev: self.reload())
        self.reload()

    # ---- which depth window this pane follows -------------------------------------------
    def on_pinning(self) -> None:
        super().on_pinning()
        self.local_view.set(self.view)  # a pinned view starts where the shared one was

    # ---- data --------------------------------------------------------------------------
    def _on_curve_event(self, event) -> None:
        if event.payload.get("well_id") == self.selection.well_id:
            self.reload()

    def watch_selection(self, old, new) -> None:
        if self.is_mounted and hasattr(self, "_curves") and new.well_id != self._loaded_for:
            self.reload()

    def reload(self) -> None:
        self.run_worker(self._load, group="load", exclusive=True)

    async def _load(self) -> None:
        well_id = self.selection.well_id
        self._loaded_for = well_id
        area = self.query_one(TrackArea)
        if well_id is None:
            await self._replace_tracks(area, [])
            self._curves, self._extent, self._not_shown = [], None, []
            self._well_name = None
            self._update_title()
            self.query_one(DepthAxis).display = False  # no well, no depths
            self.query_one("#track-readout", Static).update("[dim]Select a well to see its logs.[/]")
            return
        well = await self.try_invoke("get_well", {"wellId": well_id})
        curves: list[CurveInfo] | None = await self.try_invoke("list_curves", {"wellId": well_id})
        if well is None or curves is None or self.selection.well_id != well_id:
            return
        self._well_unit = well.depth_unit
        self._step = abs(well.step or 0.0) or self._step  # LAS steps may be negative
        groups, hidden = plan_tracks(curves)
        data = {}
        samples = self.app.samples  # what another pane (or this one, before a split) read
        for _, members in groups:
            for c in members:
                arrays = await samples.get(c, partial(self.try_invoke, "get_curve_data", {"curveId": c.id}))
                if arrays is not None:
                    data[c.id] = arrays
        if self.selection.well_id != well_id:
            return
        tracks, flat = [], []
        not_shown = [c.mnemonic for c in hidden]
        for name, members in groups:
            specs = []
            for k, c in enumerate(members):
                if c.id not in data:
                    not_shown.append(c.mnemonic)  # its data could not be read (the error was shown)
                    continue
                depths, values = data[c.id]
                lo, hi, scale, rev = default_scale(c.mnemonic, c.unit, values)
                specs.append(TrackCurve(c.mnemonic, c.unit, depths, values, lo, hi, scale, rev,
                                        _COLORS[k % len(_COLORS)], c.id))
            if specs:
                tracks.append(LogTrack(specs, classes="log-track"))
                flat += specs
        header = max([len(t.curves) for t in tracks] + [1]) + 1
        for t in tracks:
            t.header_lines = header
        self.query_one(DepthAxis).header_lines = header
        self.query_one(DepthAxis).display = True
        await self._replace_tracks(area, tracks)
        self._curves = flat
        self._not_shown = not_shown
        self._extent = self._well_extent(well)
        self._well_name = well.name
        self._update_title()
        if well_id != self._shown_well:
            update = self._view_for_new_well()
            if update is not None:
                await self._store_view(update)
            self._shown_well = well_id
        self._apply_view()

    async def _replace_tracks(self, area: Any, tracks: list[LogTrack]) -> None:
        """Swap the mounted tracks for `tracks`, whole: a reload cancelled by the next one
        (three curve events in a row) must not stop a swap midway — a track left added but
        never started made Textual wait on it forever. The swap runs shielded, one at a time."""
        async def swap() -> None:
            async with self._swap_lock:
                try:
                    if not self.is_gone:
                        await area.query(LogTrack).remove()
                    if tracks and not self.is_gone:
                        await area.mount_all(tracks)
                except Exception:
                    if not self.is_gone:  # the pane went meanwhile: nothing left to show it in
                        raise

        await asyncio.shield(swap())

    @staticmethod
    def _well_extent(well) -> tuple[float, float] | None:
        if well.start_depth is None or well.stop_depth is None:
            return None
        lo, hi = sorted((float(well.start_depth), float(well.stop_depth)))
        return lo, hi

    def title_details(self) -> list[str]:
        """'Log tracks · log-tracks-1 · Alder-1': the pane's title names the well it shows."""
        return [self._well_name] if self._well_name else []

    # ---- the depth window ----------------------------------------------------------------
    def _window(self) -> tuple[float, float, float | None]:
        """The effective (top, bottom, cursor): the top `DEFAULT_SPAN_M` of the well when
        the window is unset (`f` fits the whole well)."""
        v = self.view
        if self._extent is None:
            return (v.top or 0.0, v.bottom or 1.0, v.cursor)
        lo, hi = self._extent
        top = v.top if v.top is not None else lo
        if v.bottom is not None:
            bottom = v.bottom
        else:
            bottom = min(hi, top + to_unit(DEFAULT_SPAN_M, "m", self._well_unit))
        return top, bottom, v.cursor

    def _view_for_new_well(self) -> DepthWindow | None:
        """What a newly shown well does to the window this pane follows (None: nothing).
        A window that misses the well entirely (a shallow well, then a deep one) is unset,
        so the well's default window shows instead of blank tracks; a window that overlaps
        it is kept (wells compared at the same depths), with a cursor outside the well
        brought to the nearest depth of the well in the window."""
        if self._extent is None:
            return None
        lo, hi = self._extent
        top, bottom, cursor = self._window()
        if not (top < hi and bottom > lo):
            return DepthWindow()
        if cursor is not None and not lo <= cursor <= hi:
            return self.view.model_copy(update={"cursor": min(max(cursor, lo, top), min(hi, bottom))})
        return None

    def watch_view(self) -> None:
        if self.is_mounted and hasattr(self, "_curves"):
            self._apply_view()
            if not self.linked:
                self.save_settings(view=self.view.model_dump())

    def watch_settings(self) -> None:
        if self.is_mounted and hasattr(self, "_curves"):
            self._apply_view()

    def _apply_view(self) -> None:
        top, bottom, cursor = self._window()
        axis = self.query_one(DepthAxis)
        unit = self.settings.depth_unit
        axis.unit = unit
        axis.convert = lambda d: to_unit(d, self._well_unit, unit)
        for widget in (axis, *self.query(LogTrack)):
            widget.top, widget.bottom, widget.cursor = top, bottom, cursor
        axis.refresh()
        self._update_readout(cursor)

    def _update_readout(self, cursor: float | None) -> None:
        box = self.query_one("#track-readout", Static)
        # Curves no track shows are named first, so a narrow readout never hides them.
        note = Content.styled(not_shown_text(self._not_shown), "b yellow") + "  " if self._not_shown else Content()
        if cursor is None or not self._curves:
            if not self._curves:
                box.update(note)
                return
            # The interval first, then the keys, dropped whole from the end (never cut) when a
            # narrow pane has no room for them (before layout the width is unknown: all shown).
            text = self._span_text()
            used = len(not_shown_text(self._not_shown)) + 2 if self._not_shown else 0
            room = box.content_region.width or None
            for hint in READOUT_HINTS:
                if room is not None and used + len(text) + 3 + len(hint) > room:
                    break
                text += f" · {hint}"
            box.update(note + Content.styled(text, "dim"))
            return
        unit = self.settings.depth_unit
        parts = [note + Content.styled(f"{to_unit(cursor, self._well_unit, unit):.2f} {unit}", "b")]
        for c in self._curves:
            v = value_at(c, cursor)
            parts.append(Content.assemble((c.name, c.color), f"={'—' if v is None else f'{v:.4g}'}"))
        box.update(Content("  ").join(parts))

    def on_resize(self) -> None:
        # The readout names only the keys it has room for: recount them once laid out.
        self.call_after_refresh(self._refresh_readout)

    def _refresh_readout(self) -> None:
        if self.is_mounted and getattr(self, "_curves", None):
            self._update_readout(self._window()[2])

    def _span_text(self) -> str:
        """'1,500.0–1,700.0 m of 1,500.0–2,500.0 m': where the window is in the well."""
        unit = self.settings.depth_unit
        top, bottom, _ = self._window()
        shown = f"{to_unit(top, self._well_unit, unit):,.1f}–{to_unit(bottom, self._well_unit, unit):,.1f} {unit}"
        if self._extent is None:
            return shown
        lo, hi = (to_unit(x, self._well_unit, unit) for x in self._extent)
        return f"{shown} of {lo:,.1f}–{hi:,.1f} {unit}"

    def _clamped(self, top: float | None, bottom: float | None,
                 cursor: float | None) -> tuple[float | None, float | None, float | None]:
        """The window and cursor `set_view` may set. With a well shown: the span is at least
        eight samples and at most the well plus 5 %; the window stays over the well (its
        centre inside the well, at most 5 % of the well beyond either end); the cursor is
        inside both the well and the window."""
        if self._extent is None:
            if top is not None and bottom is not None:
                bottom = top + max(bottom - top, self._step * 8)
            return top, bottom, cursor
        lo, hi = self._extent
        if top is None or bottom is None:
            top, bottom, _ = self._window()
        length = hi - lo
        span = max(bottom - top, self._step * 8)
        span = min(span, max(self._step * 8, length * 1.1))
        room = min(length * 0.05, span / 2)
        first, last = lo - room, hi + room - span
        top = min(max(top, first), last) if first <= last else (lo + hi - span) / 2
        bottom = top + span
        if cursor is not None:
            cursor = min(max(cursor, lo, top), min(hi, bottom))
        return top, bottom, cursor

    async def set_view(self, top: float | None, bottom: float | None, cursor: float | None) -> None:
        """Move the window this pane follows: the shared one when linked, its own when pinned.
        Every change of window or cursor goes through here, clamped by `_clamped`."""
        top, bottom, cursor = self._clamped(top, bottom, cursor)
        await self._store_view(DepthWindow(top=top, bottom=bottom, cursor=cursor))

    async def _store_view(self, view: DepthWindow) -> None:
        """Set the shared window (linked) or this pane's own (pinned), unclamped."""
        if self.linked:
            await self.try_invoke("set_depth_window", view.model_dump())
        else:
            self.local_view.set(view)

    # ---- actions -------------------------------------------------------------------------
    def _rows(self) -> int:
        tracks = self.query(LogTrack)
        return max(1, tracks.first().plot_rows) if tracks else 40

    async def action_cursor(self, rows: int) -> None:
        top, bottom, cursor = self._window()
        step = (bottom - top) / self._rows()
        cursor = (top + step / 2) if cursor is None else cursor + rows * step
        if cursor > bottom:
            top, bottom = top + (cursor - bottom), cursor
        elif cursor < top:
            top, bottom = cursor, bottom - (top - cursor)
        await self.set_view(top, bottom, cursor)

    async def action_pan(self, fraction: float) -> None:
        top, bottom, cursor = self._window()
        shift = (bottom - top) * fraction
        await self.set_view(top + shift, bottom + shift, None if cursor is None else cursor + shift)

    async def action_zoom(self, factor: float, around: float | None = None) -> None:
        top, bottom, cursor = self._window()
        centre = around if around is not None else cursor if cursor is not None else (top + bottom) / 2
        if self._extent is not None:  # zoom towards the well's data, never into blank space
            lo, hi = max(top, self._extent[0]), min(bottom, self._extent[1])
            if lo > hi:
                lo, hi = self._extent
            centre = min(max(centre, lo), hi)
        await self.set_view(centre - (centre - top) * factor, centre + (bottom - centre) * factor, cursor)

    async def action_ends(self, side: int) -> None:
        if self._extent is None:
            return
        top, bottom, cursor = self._window()
        span = bottom - top
        if side < 0:
            await self.set_view(self._extent[0], self._extent[0] + span, self._extent[0])
        else:
            await self.set_view(self._extent[1] - span, self._extent[1], self._extent[1])

    async def action_fit(self) -> None:
        if self._extent is not None:
            await self.set_view(self._extent[0], self._extent[1], self.view.cursor)

    @work
    async def action_goto(self) -> None:
        if self._extent is None:
            self.show_error("Select a well first.")
            return
        unit = self.settings.depth_unit
        lo, hi = (to_unit(x, self._well_unit, unit) for x in self._extent)

        def check(text: str) -> str | None:
            try:
                value = parse_depth(text)
            except ValueError as error:
                return str(error)
            if not lo <= value <= hi:
                return f"outside this well ({lo:.1f}–{hi:.1f} {unit})"
            return None

        answer = await self.app.push_screen_wait(AskDialog(f"Go to depth ({unit})", "", check=check))
        if answer is None:
            return
        depth = to_unit(parse_depth(answer), unit, self._well_unit)
        top, bottom, _ = self._window()
        span = bottom - top
        await self.set_view(depth - span / 2, depth + span / 2, depth)

    # ---- mouse messages from the tracks ----------------------------------------------------
    @on(LogTrack.CursorMoved)
    async def _clicked(self, message: LogTrack.CursorMoved) -> None:
        top, bottom, _ = self._window()
        await self.set_view(top, bottom, message.depth)

    @on(LogTrack.Panned)
    async def _panned(self, message: LogTrack.Panned) -> None:
        await self.action_pan(message.fraction)

    @on(LogTrack.Zoomed)
    async def _zoomed(self, message: LogTrack.Zoomed) -> None:
        await self.action_zoom(message.factor, message.depth)

    def palette_commands(self) -> list:
        from textual.app import SystemCommand

        return [SystemCommand(f"Go to depth ({self.pane_id})", "Centre the log tracks on a depth",
                              self.action_goto),
                SystemCommand(f"Fit well ({self.pane_id})", "Show the whole well", self.action_fit)]


