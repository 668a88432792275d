"""`LogTrack` and `DepthAxis`: well-log tracks drawn with our numpy-to-braille renderer.

A track draws several curves on one depth window, each with its own scale
(reversed for NPHI/DT, logarithmic for resistivity). The frame is cached and
recomputed only when the size, the depth window or the curves change; moving the
cursor only restyles one row. Mouse input is turned into messages — the pane
decides what a pan or a click means (shared or local depth window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from .braille import CurveSpec, render_track

__all__ = ["LogTrack", "DepthAxis", "TrackCurve", "default_scale", "value_at"]

_RESISTIVITY = {"RT", "ILD", "ILM", "LLD", "LLS", "MSFL", "RXO", "SFLU", "SFLA", "AT90", "AT10", "AT30",
                "AT60", "RD", "RS", "RM", "RESD", "RESM", "RESS", "RX0", "PR", "LL8", "SFL", "HDRS", "HMRS"}
_NEUTRON = {"NPHI", "TNPH", "NPOR", "NPHIL", "NPHS", "CNL", "NEUT_PHI"}
_SONIC = {"DT", "DTC", "AC", "DTCO", "DT24"}
_DENSITY = {"RHOB", "DEN", "RHOZ", "ZDEN", "DFAR", "DNEAR"}


def default_scale(mnemonic: str, unit: str, values: np.ndarray | None = None) -> tuple[float, float, str, bool]:
    """(lo, hi, scale, reversed) a petrophysicist expects for this curve."""
    m = mnemonic.split(":")[0].upper()
    u = (unit or "").lower().replace(" ", "")
    if m in _RESISTIVITY or u in ("ohm.m", "ohmm", "ohm-m", "ohm/m"):
        return 0.2, 2000.0, "log", False
    if m in _NEUTRON and u in ("v/v", "dec", "frac", ""):
        return -0.15, 0.45, "linear", True
    if m in _NEUTRON and u in ("%", "pu"):
        return -15.0, 45.0, "linear", True
    if m in _SONIC and u in ("us/m", "µs/m"):
        return 130.0, 460.0, "linear", True
    if m in _SONIC:
        return 40.0, 140.0, "linear", True
    if m in _DENSITY and u in ("kg/m3", "k/m3"):
        return 1950.0, 2950.0, "linear", False
    if m in _DENSITY:
        return 1.95, 2.95, "linear", False
    if m.startswith("GR") or m in ("GAMN", "SGR", "CGR", "GAMMA"):
        return 0.0, 150.0, "linear", False
    if m.startswith("CAL"):
        return 6.0, 16.0, "linear", False
    if m == "SP":
        return -100.0, 50.0, "linear", False
    if m in ("PEF", "PE", "PEFZ"):
        return 0.0, 10.0, "linear", False
    if values is not None and np.isfinite(values).any():
        lo, hi = np.nanpercentile(values, [1, 99])
        pad = (hi - lo) * 0.05 or abs(lo) * 0.1 or 1.0
        return float(lo - pad), float(hi + pad), "linear", False
    return 0.0, 1.0, "linear", False


@dataclass(frozen=True, eq=False)
class TrackCurve:
    name: str
    unit: str
    depths: np.ndarray
    values: np.ndarray
    lo: float
    hi: float
    scale: str = "linear"
    reversed: bool = False
    color: str = "green"
    curve_id: int | None = field(default=None)

    def spec(self) -> CurveSpec:
        return CurveSpec(self.depths, self.values, self.lo, self.hi, self.scale, self.reversed)


def value_at(curve: TrackCurve, depth: float) -> float | None:
    """The nearest sample at `depth` (None for a null or outside the curve)."""
    d = curve.depths
    if d.size == 0 or depth < d[0] - 1e-9 or depth > d[-1] + 1e-9:
        return None
    i = int(np.searchsorted(d, depth))
    if i > 0 and (i == d.size or abs(d[i - 1] - depth) <= abs(d[i] - depth)):
        i -= 1
    v = float(curve.values[i])
    return None if math.isnan(v) else v


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    a = abs(v)
    if 1000 <= a < 1e6:
        return f"{v:.0f}"
    if a >= 1e6 or (a and a < 0.01):
        return f"{v:.3g}"
    return f"{v:.3f}".rstrip("0").rstrip(".") if a < 10 else f"{v:.1f}"


class LogTrack(Widget):
    """One track: several curves, a header per curve, a depth cursor row."""

    DEFAULT_CSS = """
    LogTrack { width: 1fr; height: 1fr; border-left: vkey $panel-lighten-2; }
    """

    top: reactive[float] = reactive(0.0, layout=False)
    bottom: reactive[float] = reactive(1.0, layout=False)
    cursor: reactive[float | None] = reactive(None)
    header_lines: reactive[int] = reactive(3)

    class CursorMoved(Message):
        def __init__(self, track: "LogTrack", depth: float) -> None:
            super().__init__()
            self.track, self.depth = track, depth

        @property
        def control(self) -> "LogTrack":
            return self.track

    class Panned(Message):
        """Move the window by `fraction` of its height (positive: deeper)."""

        def __init__(self, track: "LogTrack", fraction: float) -> None:
            super().__init__()
            self.track, self.fraction = track, fraction

        @property
        def control(self) -> "LogTrack":
            return self.track

    class Zoomed(Message):
        """Scale the window height by `factor` around `depth`."""

        def __init__(self, track: "LogTrack", factor: float, depth: float) -> None:
            super().__init__()
            self.track, self.factor, self.depth = track, factor, depth

        @property
        def control(self) -> "LogTrack":
            return self.track

    def __init__(self, curves: Sequence[TrackCurve] = (), **kw) -> None:
        super().__init__(**kw)
        self.curves: list[TrackCurve] = list(curves)
        self._frame: list[Strip] | None = None
        self._frame_key: tuple | None = None
        self.renders = 0  # frames computed (the cursor alone must not recompute)

    def set_curves(self, curves: Sequence[TrackCurve]) -> None:
        self.curves = list(curves)
        self._frame = None
        self.refresh()

    def watch_top(self) -> None:
        self.refresh()

    def watch_bottom(self) -> None:
        self.refresh()

    def watch_cursor(self) -> None:
        self.refresh()

    def watch_header_lines(self) -> None:
        self.refresh()

    # ---- geometry ------------------------------------------------------------------------
    @property
    def plot_rows(self) -> int:
        return max(0, self.size.height - self.header_lines)

    def row_to_depth(self, row: int) -> float:
        rows = max(1, self.plot_rows)
        return self.top + (row + 0.5) * (self.bottom - self.top) / rows

    def depth_to_row(self, depth: float) -> int | None:
        rows = self.plot_rows
        if rows <= 0 or not self.bottom > self.top or not self.top <= depth <= self.bottom:
            return None
        return min(rows - 1, int((depth - self.top) / (self.bottom - self.top) * rows))

    # ---- drawing -------------------------------------------------------------------------
    def _plot(self) -> list[Strip]:
        width, rows = self.size.width, self.plot_rows
        key = (width, rows, self.top, self.bottom, tuple(id(c) for c in self.curves))
        if self._frame is not None and self._frame_key == key:
            return self._frame
        self.renders += 1
        codes, owner = render_track([c.spec() for c in self.curves], self.top, self.bottom, rows, width)
        styles = [Style(color=c.color) for c in self.curves]
        grid_style = Style(color="grey27")
        grid = {round(width * f) for f in (0.25, 0.5, 0.75)} if width >= 8 else set()
        if self.curves and self.curves[0].scale == "log":  # decades for a log track
            lo, hi = math.log10(self.curves[0].lo), math.log10(self.curves[0].hi)
            grid = {int((k - lo) / (hi - lo) * width) for k in range(math.ceil(lo), math.floor(hi) + 1)}
            grid.discard(0)
        frame = []
        for r in range(rows):
            segments, run, run_style = [], [], None
            row_codes, row_owner = codes[r], owner[r]
            for x in range(width):
                code = int(row_codes[x])
                if code:
                    ch, style = chr(0x2800 + code), styles[row_owner[x]]
                elif x in grid:
                    ch, style = "┊", grid_style
                else:
                    ch, style = " ", None
                if style is not run_style and run:
                    segments.append(Segment("".join(run), run_style))
                    run = []
                run_style = style
                run.append(ch)
            if run:
                segments.append(Segment("".join(run), run_style))
            frame.append(Strip(segments, width))
        self._frame, self._frame_key = frame, key
        return frame

    def _header(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self.curves):
            return Strip([Segment("─" * width, Style(color="grey35"))], width) if y == self.header_lines - 1 \
                else Strip.blank(width)
        c = self.curves[y]
        lo, hi = _fmt(c.lo), _fmt(c.hi)
        scale = f"{hi}←{lo}" if c.reversed else f"{lo}–{hi}"
        value = "" if self.cursor is None else f" {_fmt(value_at(c, self.cursor))}"
        text = f"{c.name} {scale}{' log' if c.scale == 'log' else ''}"
        room = width - len(value)
        text = text[:max(0, room)].ljust(max(0, room))
        return Strip([Segment(text, Style(color=c.color, bold=True)),
                      Segment(value, Style(color=c.color, reverse=True, bold=True))], width).crop(0, width)

    def render_line(self, y: int) -> Strip:
        if y < self.header_lines:
            return self._header(y)
        frame = self._plot()
        r = y - self.header_lines
        if r >= len(frame):
            return Strip.blank(self.size.width)
        strip = frame[r]
        if self.cursor is not None and self.depth_to_row(self.cursor) == r:
            strip = strip.apply_style(Style(bgcolor="grey30"))
        return strip

    # ---- mouse ----------------------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        r = event.y - self.header_lines
        if 0 <= r < self.plot_rows:
            self.post_message(self.CursorMoved(self, self.row_to_depth(r)))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        if event.ctrl:
            self.post_message(self.Zoomed(self, 1.25, self.row_to_depth(event.y - self.header_lines)))
        else:
            self.post_message(self.Panned(self, 0.1))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        if event.ctrl:
            self.post_message(self.Zoomed(self, 0.8, self.row_to_depth(event.y - self.header_lines)))
        else:
            self.post_message(self.Panned(self, -0.1))


class DepthAxis(Widget):
    """Depth labels down the left of the tracks; the cursor row highlighted."""

    DEFAULT_CSS = """
    DepthAxis { width: 9; height: 1fr; color: $text-muted; }
    """

    top: reactive[float] = reactive(0.0)
    bottom: reactive[float] = reactive(1.0)
    cursor: reactive[float | None] = reactive(None)
    header_lines: reactive[int] = reactive(3)

    def __init__(self, fmt: Callable[[float], str] | None = None, unit: str = "m", **kw) -> None:
        super().__init__(**kw)
        self.fmt = fmt or (lambda d: f"{d:.1f}")
        self.unit = unit

    def labels(self) -> list[tuple[int, float]]:
        """(row, depth) of each label: every 4 rows, increasing downwards."""
        rows = max(0, self.size.height - self.header_lines)
        if rows == 0 or not self.bottom > self.top:
            return []
        per_row = (self.bottom - self.top) / rows
        return [(r, self.top + (r + 0.5) * per_row) for r in range(0, rows, 4)]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y < self.header_lines:
            text = f"Depth {self.unit}" if y == 0 else ""
            return Strip([Segment(text.rjust(width)[:width], Style(bold=True))], width)
        r = y - self.header_lines
        rows = max(1, self.size.height - self.header_lines)
        cursor_row = None
        if self.cursor is not None and self.bottom > self.top and self.top <= self.cursor <= self.bottom:
            cursor_row = min(rows - 1, int((self.cursor - self.top) / (self.bottom - self.top) * rows))
        if r == cursor_row:
            return Strip([Segment(self.fmt(self.cursor).rjust(width)[:width],
                                  Style(bgcolor="grey30", bold=True, color="yellow"))], width)
        if r % 4 == 0:
            depth = self.top + (r + 0.5) * (self.bottom - self.top) / rows
            return Strip([Segment(self.fmt(depth).rjust(width)[:width])], width)
        return Strip.blank(width)

    def watch_top(self) -> None:
        self.refresh()

    def watch_bottom(self) -> None:
        self.refresh()

    def watch_cursor(self) -> None:
        self.refresh()
