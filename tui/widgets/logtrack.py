"""`LogTrack` and `DepthAxis`: well-log tracks drawn with our numpy-to-braille renderer.

A track draws several curves on one depth window, each with its own scale (reversed
for NPHI/DT, logarithmic for resistivity). The frame is cached as one `Strip` per row
and recomputed only when the size, the depth window, the curves or the theme change;
moving the cursor re-renders only the header and the two cursor rows from the cache.

The widgets hold no shared state of their own: the parent sets ``top``, ``bottom`` and
``cursor``; mouse input leaves as messages (`LogTrack.CursorMoved`, `LogTrack.Panned`,
`LogTrack.Zoomed`) and the parent decides what a click or a scroll means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from .braille import BRAILLE_BASE, check_scale, render_track

__all__ = ["DepthAxis", "LogTrack", "TrackCurve", "default_scale", "fit_header", "format_value",
           "nice_step", "step_decimals", "value_at"]

_RESISTIVITY = {"RT", "ILD", "ILM", "LLD", "LLS", "MSFL", "RXO", "SFLU", "SFLA", "AT90", "AT10", "AT20",
                "AT30", "AT60", "RD", "RS", "RM", "RESD", "RESM", "RESS", "RX0", "LL8", "SFL", "HDRS",
                "HMRS", "RLA1", "RLA2", "RLA3", "RLA4", "RLA5", "M2R9", "M2R6", "M2R3", "M2R1", "RDEP",
                "RMED", "RSHA", "ILS", "LN", "SN", "RILD", "RILM", "RLL3", "RLLD", "RLLS", "MLL", "MINV",
                "MNOR"}
_RES_UNITS = {"ohm.m", "ohmm", "ohm-m", "ohm/m", "ohm_m", "ohms", "ohm", "Ω.m", "ωm", "Ωm"}
_NEUTRON = {"NPHI", "TNPH", "NPOR", "NPHIL", "NPHS", "CNL", "NEUT", "NPSS", "NPLS", "CNC", "CNCF", "TNPL"}
_SONIC = {"DT", "DTC", "AC", "DTCO", "DT24", "DTLN", "DTL"}
_DENSITY = {"RHOB", "DEN", "RHOZ", "ZDEN", "DENS"}


_POROSITY = {"DPHI", "DPHS", "DPHD", "DLIM", "DPHZ", "SPHI", "BVW"}  # porosity-like, besides PHI*
_FRACTION_01 = {"VSH", "VCL", "VSHALE", "VCLAY", "VSHL", "IGR", "SW", "SWE", "SWT", "SWA", "SXO", "SWU"}
_PERCENT_UNITS = ("%", "pu", "p.u.", "percent", "pct")
_COUNT_UNITS = ("cps", "cpm", "counts", "count", "cnts", "cts", "api", "gapi", "napi", "napi-units")
_CALIPER_UNITS = {"mm": (150.0, 400.0), "cm": (15.0, 40.0), "in": (6.0, 16.0), "inch": (6.0, 16.0),
                  "inches": (6.0, 16.0), '"': (6.0, 16.0)}


def _finite(values: np.ndarray | None) -> np.ndarray:
    """The finite samples of `values` (none for None)."""
    if values is None:
        return np.empty(0)
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v)]


def _data_range(values: np.ndarray | None, reversed_: bool = False) -> tuple[float, float, str, bool] | None:
    """The 1st–99th percentile of the finite `values` with 5 % padding (None without data)."""
    v = _finite(values)
    if not v.size:
        return None
    lo, hi = (float(x) for x in np.percentile(v, [1, 99]))
    pad = (hi - lo) * 0.05 or abs(lo) * 0.1 or 1.0
    return lo - pad, hi + pad, "linear", reversed_


def _fits(scale: tuple[float, float, str, bool], values: np.ndarray | None) -> bool:
    """False when more than half of the finite `values` fall outside the fixed `scale`
    (drawn there, the curve would sit pinned to the track's edge)."""
    v = _finite(values)
    if not v.size:
        return True
    lo, hi = sorted(scale[:2])
    return np.count_nonzero((v < lo) | (v > hi)) * 2 <= v.size


def _log_range(values: np.ndarray) -> tuple[float, float, str, bool] | None:
    """Whole decades around the 1st–99th percentile of the positive `values` (None if too few)."""
    finite = _finite(values)
    v = finite[finite > 0]
    if v.size * 2 <= finite.size:
        return None  # mostly zero or negative: not a log-scale curve
    lo, hi = (float(x) for x in np.percentile(v, [1, 99]))
    lo, hi = 10.0 ** math.floor(math.log10(lo)), 10.0 ** math.ceil(math.log10(hi))
    return lo, (hi if hi > lo else lo * 10), "log", False


def _fixed_scale(m: str, u: str) -> tuple[float, float, str, bool] | None:
    """The standard log-print scale of mnemonic `m` in unit `u` (both normalised), or None
    when the curve has no fixed scale and its data must set the range."""
    percent = u in _PERCENT_UNITS
    if m in _RESISTIVITY or u in _RES_UNITS:
        return 0.2, 2000.0, "log", False
    if m in _NEUTRON or m in _POROSITY or m.startswith("PHI"):
        if m in _NEUTRON and u in _COUNT_UNITS:
            return None  # a raw neutron count rate, not a porosity
        return (-15.0, 45.0, "linear", True) if percent else (-0.15, 0.45, "linear", True)
    if m in _FRACTION_01 or m.startswith(("VSH", "VCL")):
        return (0.0, 100.0, "linear", False) if percent else (0.0, 1.0, "linear", False)
    if m in _SONIC:
        if u in ("us/m", "µs/m", "uspm"):
            return 130.0, 460.0, "linear", True
        return 40.0, 140.0, "linear", True
    if m in _DENSITY:
        if u in ("kg/m3", "k/m3", "kg/m^3"):
            return 1950.0, 2950.0, "linear", False
        return 1.95, 2.95, "linear", False
    if m.startswith("GR") or m in ("GAMN", "SGR", "CGR", "GAMMA", "ECGR", "HSGR", "HCGR"):
        return 0.0, 150.0, "linear", False
    if m.startswith("CAL") or m in ("HCAL", "DCAL"):
        lo, hi = _CALIPER_UNITS.get(u, (6.0, 16.0))
        return lo, hi, "linear", False
    if m in ("PEF", "PE", "PEFZ", "PEF8"):
        return 0.0, 10.0, "linear", False
    return None


def default_scale(mnemonic: str, unit: str | None,
                  values: np.ndarray | None = None) -> tuple[float, float, str, bool]:
    """``(lo, hi, scale, reversed)`` a petrophysicist expects for this curve.

    Known mnemonics get the standard log-print scales in their unit (NPHI, porosities and
    DT reversed, resistivity logarithmic 0.2–2000, caliper 6–16 in or 150–400 mm, VSH and
    SW 0–1). SP (a relative reading), neutron count rates and anything else span the
    1st–99th percentile of `values` with 5 % padding (0–1 without data). When more than
    half of the data would fall outside a fixed scale, the data sets the range instead."""
    m = (mnemonic or "").split(":")[0].strip().upper()
    u = (unit or "").strip().lower().replace(" ", "")
    if m == "SP":
        return _data_range(values) or (-100.0, 50.0, "linear", False)
    fixed = _fixed_scale(m, u)
    if fixed is None:
        return _data_range(values) or (0.0, 1.0, "linear", False)
    if _fits(fixed, values):
        return fixed
    if fixed[2] == "log":
        return _log_range(values) or _data_range(values) or fixed
    return _data_range(values, fixed[3]) or fixed


@dataclass(frozen=True, eq=False)
class TrackCurve:
    """One curve of a track. Depths are made ascending and finite (samples at a null depth
    are dropped); values are float64 with NaN for nulls."""

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

    def __post_init__(self) -> None:
        depths = np.asarray(self.depths, dtype=np.float64)
        values = np.asarray(self.values, dtype=np.float64)
        if depths.ndim != 1 or depths.shape != values.shape:
            raise ValueError(f"{self.name}: depths {depths.shape} and values {values.shape} must be "
                             "1-D and the same length")
        check_scale(float(self.lo), float(self.hi), self.scale)
        keep = np.isfinite(depths)
        if not keep.all():
            depths, values = depths[keep], values[keep]
        if depths.size > 1 and depths[0] > depths[-1]:
            depths, values = depths[::-1], values[::-1]
        object.__setattr__(self, "depths", depths)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "lo", float(self.lo))
        object.__setattr__(self, "hi", float(self.hi))

    @property
    def scale_label(self) -> str:
        """``lo–hi`` as drawn left to right (``hi ← lo`` when reversed, `` log`` appended)."""
        lo, hi = format_value(self.lo), format_value(self.hi)
        text = f"{hi} ← {lo}" if self.reversed else f"{lo}–{hi}"
        return text + (" log" if self.scale == "log" else "")


def value_at(curve: TrackCurve, depth: float) -> float | None:
    """The value of the sample nearest to `depth` (None for a null, or outside the curve)."""
    d = curve.depths
    if d.size == 0 or depth is None or not math.isfinite(depth):
        return None
    if depth < d[0] or depth > d[-1]:
        step = (d[-1] - d[0]) / (d.size - 1) if d.size > 1 else 0.0
        if not (d[0] - step / 2 <= depth <= d[-1] + step / 2):
            return None
    i = int(np.searchsorted(d, depth))
    if i >= d.size or (i > 0 and depth - d[i - 1] <= d[i] - depth):
        i -= 1
    v = float(curve.values[i])
    return None if math.isnan(v) else v


def format_value(v: float | None) -> str:
    """A short readout of a log value ("—" for a null)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    a = abs(v)
    if a >= 1e6 or (0 < a < 0.01):
        return f"{v:.3g}"
    if a >= 1000:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}".removesuffix(".0")
    return f"{v:.3f}".rstrip("0").rstrip(".")


def fit_header(curve: TrackCurve, value: str, width: int) -> tuple[str, str]:
    """``(text, value)`` of a header line `width` cells wide, ``value`` already padded.

    What matters most stays: the whole mnemonic, then the cursor value, then the unit, then
    the scale. Parts are dropped whole, never cut mid-number: first the scale, then the
    unit, then the value (the readout line below the tracks shows values too) — and a
    space always parts the text from the value. Only when the mnemonic alone does not
    fit is it shortened, with "…"."""
    width = max(0, width)
    options = ((curve.name, curve.unit, curve.scale_label), (curve.name, curve.unit), (curve.name,))
    for shown in ((value, "") if value else ("",)):
        room = width - len(shown) - (1 if shown else 0)  # a space between the text and the value
        for parts in options:
            text = " ".join(p for p in parts if p)
            if len(text) <= room:
                return text, shown
    name = curve.name
    if width >= 2:
        return name[:width - 1] + "…", ""
    return ("…" if width == 1 else ""), ""


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `raw`."""
    if not math.isfinite(raw) or raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * power >= raw * (1 - 1e-9):
            return m * power
    return 10.0 * power


def step_decimals(step: float) -> int:
    """Decimals that print every multiple of a `nice_step` exactly (2.5 → 1, 0.25 → 2, 50 → 0)."""
    for d in range(0, 10):
        if abs(round(step, d) - step) <= step * 1e-9:
            return d
    return 10


def _grid_columns(curve: TrackCurve, width: int) -> list[int]:
    """Cell columns of faint grid lines: quarters, or decades on a log scale."""
    if width < 8:
        return []
    if curve.scale == "log":
        lo, hi = sorted((math.log10(curve.lo), math.log10(curve.hi)))
        span = math.log10(curve.hi) - math.log10(curve.lo)
        ts = [(k - math.log10(curve.lo)) / span for k in range(math.ceil(lo), math.floor(hi) + 1)]
    else:
        ts = [0.25, 0.5, 0.75]
    if curve.reversed:
        ts = [1.0 - t for t in ts]
    return sorted({min(width - 1, int(t * width)) for t in ts if 0.0 < t < 1.0})


class LogTrack(Widget):
    """One track: several curves on one depth window, a header line per curve (name, unit,
    scale, value at the cursor), faint grid lines, and a highlighted depth-cursor row.

    ``header_lines`` rows at the top hold the header (one per curve, then a rule); set it
    to the same value on every track and the `DepthAxis` so their rows line up.
    """

    COMPONENT_CLASSES = {"logtrack--cursor", "logtrack--grid", "logtrack--rule"}

    DEFAULT_CSS = """
    LogTrack { width: 1fr; height: 1fr; border-left: vkey $panel-lighten-2; }
    LogTrack > .logtrack--cursor { background: $accent 25%; }
    LogTrack > .logtrack--grid { color: $foreground 20%; }
    LogTrack > .logtrack--rule { color: $foreground 35%; }
    """

    top: reactive[float] = reactive(0.0)
    bottom: reactive[float] = reactive(1.0)
    cursor: reactive[float | None] = reactive(None, repaint=False)
    header_lines: reactive[int] = reactive(3)

    class CursorMoved(Message):
        """The user clicked at `depth` (the centre of the clicked row)."""

        def __init__(self, track: "LogTrack", depth: float) -> None:
            super().__init__()
            self.track = track
            self.depth = depth

        @property
        def control(self) -> "LogTrack":
            return self.track

    class Panned(Message):
        """Move the window by `fraction` of its height (positive: deeper)."""

        def __init__(self, track: "LogTrack", fraction: float) -> None:
            super().__init__()
            self.track = track
            self.fraction = fraction

        @property
        def delta_fraction(self) -> float:
            return self.fraction

        @property
        def control(self) -> "LogTrack":
            return self.track

    class Zoomed(Message):
        """Scale the window height by `factor` (< 1: zoom in) keeping `depth` in place."""

        def __init__(self, track: "LogTrack", factor: float, depth: float) -> None:
            super().__init__()
            self.track = track
            self.factor = factor
            self.depth = depth

        @property
        def around_depth(self) -> float:
            return self.depth

        @property
        def control(self) -> "LogTrack":
            return self.track

    PAN_STEP = 0.1
    ZOOM_STEP = 1.25

    def __init__(self, curves: Sequence[TrackCurve] = (), *, name: str | None = None,
                 id: str | None = None, classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.curves: list[TrackCurve] = list(curves)
        self._curves_version = 0
        self._frame: list[Strip] | None = None
        self._frame_key: tuple | None = None
        self.renders = 0  # frames computed: the cursor alone must never add one

    def set_curves(self, curves: Sequence[TrackCurve]) -> None:
        """Replace the curves (the frame is recomputed on the next paint)."""
        self.curves = list(curves)
        self._curves_version += 1
        self._frame = None
        self.refresh()

    # ---- geometry ------------------------------------------------------------------------
    @property
    def plot_rows(self) -> int:
        """Rows of the plot area (below the header)."""
        return max(0, self.size.height - self.header_lines)

    def row_to_depth(self, row: int) -> float:
        """Depth at the centre of plot row `row`."""
        rows = max(1, self.plot_rows)
        return self.top + (row + 0.5) * (self.bottom - self.top) / rows

    def depth_to_row(self, depth: float | None) -> int | None:
        """The plot row that shows `depth` (None outside the window)."""
        rows = self.plot_rows
        if depth is None or rows <= 0 or not self.bottom > self.top or not self.top <= depth <= self.bottom:
            return None
        return min(rows - 1, int((depth - self.top) / (self.bottom - self.top) * rows))

    # ---- state -----------------------------------------------------------------------------
    def watch_cursor(self, old: float | None, new: float | None) -> None:
        """Repaint only the header and the old and new cursor rows (the frame stays cached)."""
        if not self.is_mounted:
            return
        width, header = self.size.width, self.header_lines
        regions = [Region(0, 0, width, header)]
        for depth in (old, new):
            row = self.depth_to_row(depth)
            if row is not None:
                regions.append(Region(0, header + row, width, 1))
        self.refresh(*regions)

    # ---- drawing -------------------------------------------------------------------------
    def _plot(self) -> list[Strip]:
        width, rows = self.size.width, self.plot_rows
        grid_style = self.get_component_rich_style("logtrack--grid")
        base = self._base_style()
        key = (width, rows, self.top, self.bottom, self._curves_version, grid_style, base)
        if self._frame is not None and self._frame_key == key:
            return self._frame
        self.renders += 1
        self._frame, self._frame_key = self._build_frame(width, rows, grid_style, base), key
        return self._frame

    def _base_style(self) -> Style:
        """The widget's own colours, under every segment: a cell left unstyled shows the
        terminal's default background, not the theme's (dark tracks in a light theme)."""
        return Style(bgcolor=self.background_colors[1].rich_color)

    def _build_frame(self, width: int, rows: int, grid_style: Style, base: Style) -> list[Strip]:
        if rows <= 0 or width <= 0:
            return []
        curves = self.curves
        codes, owner = render_track(curves, self.top, self.bottom, rows, width)
        drawn = codes != 0
        chars = np.where(drawn, codes + BRAILLE_BASE, 0x20).astype(np.uint32)
        style_idx = np.where(drawn, owner, -1)
        grid = _grid_columns(curves[0], width) if curves else []
        if grid:
            mask = np.zeros(width, dtype=bool)
            mask[grid] = True
            gridded = ~drawn & mask[None, :]
            chars[gridded] = ord("┊")
            style_idx[gridded] = len(curves)
        styles: list[Style] = [base + Style(color=c.color) for c in curves] + [base + grid_style, base]
        text = chars.astype("<u4").tobytes().decode("utf-32-le")
        changes = style_idx[:, 1:] != style_idx[:, :-1]
        frame = []
        for r in range(rows):
            line = text[r * width:(r + 1) * width]
            idx = style_idx[r]
            cuts = [0, *(np.flatnonzero(changes[r]) + 1).tolist(), width]
            segments = [Segment(line[a:b], styles[idx[a]]) for a, b in zip(cuts, cuts[1:])]
            frame.append(Strip(segments, width))
        return frame

    def _header(self, y: int) -> Strip:
        width = self.size.width
        base = self._base_style()
        if y >= len(self.curves):
            if y == self.header_lines - 1:
                return Strip([Segment("─" * width, base + self.get_component_rich_style("logtrack--rule"))], width)
            return Strip.blank(width, base)
        c = self.curves[y]
        value = "" if self.cursor is None else f" {format_value(value_at(c, self.cursor))} "
        text, value = fit_header(c, value, width)
        room = max(0, width - len(value))
        style = base + Style(color=c.color, bold=True)
        segments = [Segment(text.ljust(room), style)]
        if value:
            segments.append(Segment(value, style + Style(reverse=True)))
        strip = Strip(segments)
        return strip.crop(0, width) if strip.cell_length > width else strip

    def render_line(self, y: int) -> Strip:
        if y < self.header_lines:
            return self._header(y)
        frame = self._plot()
        r = y - self.header_lines
        if r >= len(frame):
            return Strip.blank(self.size.width, self._base_style())
        strip = frame[r]
        if r == self.depth_to_row(self.cursor):
            strip = strip.apply_style(self.get_component_rich_style("logtrack--cursor"))
        return strip

    # ---- mouse ----------------------------------------------------------------------------
    def _row_at(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        r = offset.y - self.header_lines
        return r if 0 <= r < self.plot_rows else None

    def on_click(self, event: events.Click) -> None:
        r = self._row_at(event)
        if r is not None:
            event.stop()
            self.post_message(self.CursorMoved(self, self.row_to_depth(r)))

    def _scrolled(self, event: events.MouseEvent, sign: int) -> None:
        event.stop()
        event.prevent_default()
        if event.ctrl:
            r = self._row_at(event)
            around = self.row_to_depth(r) if r is not None else (self.top + self.bottom) / 2
            factor = self.ZOOM_STEP if sign > 0 else 1 / self.ZOOM_STEP
            self.post_message(self.Zoomed(self, factor, around))
        else:
            self.post_message(self.Panned(self, sign * self.PAN_STEP))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scrolled(event, 1)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scrolled(event, -1)


class DepthAxis(Widget):
    """Depth labels down the side of the tracks (every `label_every` rows, the depth at the
    row's centre, increasing downwards) and the cursor depth on its row.

    Labels show depths through `convert` (e.g. metres → feet) with as many decimals as the
    label spacing needs for consecutive labels to differ; pass `fmt` to format them yourself."""

    COMPONENT_CLASSES = {"depthaxis--cursor"}

    DEFAULT_CSS = """
    DepthAxis { width: 9; height: 1fr; color: $text-muted; }
    DepthAxis > .depthaxis--cursor { background: $accent 25%; color: $text; text-style: bold; }
    """

    top: reactive[float] = reactive(0.0)
    bottom: reactive[float] = reactive(1.0)
    cursor: reactive[float | None] = reactive(None)
    header_lines: reactive[int] = reactive(3)

    def __init__(self, fmt: Callable[[float], str] | None = None, unit: str = "m", *,
                 label_every: int = 4, convert: Callable[[float], float] | None = None,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.convert: Callable[[float], float] = convert or (lambda d: d)
        self.fmt: Callable[[float], str] = fmt or self.auto_format
        self.unit = unit
        self.label_every = max(1, label_every)
        self._labels_key: tuple | None = None
        self._labels: list[tuple[int, float]] = []

    def step(self) -> float:
        """Depth between labels, in the shown unit: the first round step (1, 2, 2.5 or 5
        times a power of ten) at least `label_every` rows long, as a log print ticks."""
        a, b = self._shown_range()
        raw = (b - a) * self.label_every / max(1, self.plot_rows)
        return nice_step(raw)

    def decimals(self) -> int:
        """Decimals of the labels: those of the step, so each label is exact (1 700, 1 702.5)."""
        return step_decimals(self.step()) if self.bottom > self.top else 1

    def auto_format(self, depth: float, extra: int = 0) -> str:
        """`depth` through `convert`, with `decimals()` + `extra` (fewer only if it would not fit)."""
        value = self.convert(depth)
        decimals = self.decimals() + extra
        text = f"{value:.{decimals}f}"
        width = self.size.width
        while width and len(text) > width and decimals > 0:
            decimals -= 1
            text = f"{value:.{decimals}f}"
        return text

    def _shown_range(self) -> tuple[float, float]:
        return self.convert(self.top), self.convert(self.bottom)

    @property
    def plot_rows(self) -> int:
        return max(0, self.size.height - self.header_lines)

    def row_to_depth(self, row: int) -> float:
        return self.top + (row + 0.5) * (self.bottom - self.top) / max(1, self.plot_rows)

    def cursor_row(self) -> int | None:
        rows = self.plot_rows
        c = self.cursor
        if c is None or rows <= 0 or not self.bottom > self.top or not self.top <= c <= self.bottom:
            return None
        return min(rows - 1, int((c - self.top) / (self.bottom - self.top) * rows))

    def labels(self) -> list[tuple[int, float]]:
        """``(row, depth)`` of each label, top to bottom: the round depths (multiples of
        `step()` in the shown unit) in the window, each on the row that shows it."""
        rows = self.plot_rows
        if rows == 0 or not self.bottom > self.top:
            return []
        key = (self.top, self.bottom, rows, self.label_every, self.convert)
        if self._labels_key != key:
            a, b = self._shown_range()
            step = self.step()
            out = []
            for k in range(math.ceil(min(a, b) / step - 1e-9), math.floor(max(a, b) / step + 1e-9) + 1):
                fraction = (k * step - a) / (b - a)
                if 0.0 <= fraction <= 1.0:
                    depth = self.top + fraction * (self.bottom - self.top)
                    out.append((min(rows - 1, int(fraction * rows)), depth))
            self._labels_key, self._labels = key, out
        return self._labels

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style  # the theme's colours in every cell (see `LogTrack._base_style`)
        if y < self.header_lines:
            text = f"Depth {self.unit}" if y == 0 else ""
            return Strip([Segment(text.rjust(width)[-width:] if width else "", base + Style(bold=True))], width)
        r = y - self.header_lines
        if r >= self.plot_rows:
            return Strip.blank(width, base)
        if r == self.cursor_row():
            text = self.auto_format(self.cursor, extra=1) if self.fmt == self.auto_format else self.fmt(self.cursor)
            return Strip([Segment(text.rjust(width)[-width:],
                                  base + self.get_component_rich_style("depthaxis--cursor"))], width)
        depth = next((d for row, d in self.labels() if row == r), None)
        if depth is not None:
            return Strip([Segment(self.fmt(depth).rjust(width)[-width:], base)], width)
        return Strip.blank(width, base)
