"""tui/widgets/braille.py against a slow per-sample reference of its documented rules, the
braille bit layout, and tui/widgets/logtrack.py (scales, read-out, a pilot test)."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from tui.widgets.braille import CurveSpec, cells_to_strings, dots_to_cells, render_track, track_dots
from tui.widgets.logtrack import LogTrack, TrackCurve, default_scale, value_at

# ---- the reference ---------------------------------------------------------------------------


def _column(v: float, lo: float, hi: float, width: int, scale: str, rev: bool) -> int | None:
    """Dot-column of one value, straight from the rules (None for a null)."""
    if math.isnan(v):
        return None
    if scale == "log":
        if v <= 0:
            return None
        t = (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    else:
        t = (v - lo) / (hi - lo)
    t = min(max(t, 0.0), 1.0)  # outside [lo, hi]: the edge column
    col = min(math.floor(t * width), width - 1)
    return width - 1 - col if rev else col


def reference_dots(depths, values, top, bottom, lo, hi, rows, cols, scale="linear", rev=False):
    """A per-sample Python loop following the docstring of `tui.widgets.braille`."""
    height, width = 4 * rows, 2 * cols
    out = np.zeros((height, width), dtype=bool)
    d = [float(x) for x in depths]
    v = [float(x) for x in values]
    n = len(d)
    if height == 0 or width == 0 or n == 0 or not bottom > top:
        return out
    if n > 1 and d[0] > d[-1]:
        d, v = d[::-1], v[::-1]
    scale_y = height / (bottom - top)

    def row_of(i: int) -> int:
        r = math.floor((d[i] - top) * scale_y)
        if top <= d[i] <= bottom:
            r = min(max(r, 0), height - 1)  # d == bottom lands in the last row
        return r

    inside = [i for i in range(n) if top <= d[i] <= bottom]
    above = [i for i in range(n) if d[i] < top][-1:]  # the one sample just above the window
    below = [i for i in range(n) if d[i] > bottom][:1]  # ... and just below it
    taking_part = above + inside + below
    row = {i: row_of(i) for i in taking_part}
    col = {i: _column(v[i], lo, hi, width, scale, rev) for i in taking_part}
    covered: list[set[int]] = [set() for _ in range(height)]

    # min/max thinning: each dot-row spans its non-null samples
    for r in range(height):
        here = [col[i] for i in inside if row[i] == r and col[i] is not None]
        if here:
            covered[r].update(range(min(here), max(here) + 1))
    # continuity: a straight line between consecutive non-null samples in different rows
    for a, b in zip(taking_part, taking_part[1:]):
        ra, rb, ca, cb = row[a], row[b], col[a], col[b]
        if ra == rb or ca is None or cb is None:
            continue
        for rr in range(max(ra, 0), min(rb, height - 1) + 1):
            f0, f1 = max(rr - 0.5, ra), min(rr + 0.5, rb)  # the line's part over this dot-row
            x0 = ca + (cb - ca) * (f0 - ra) / (rb - ra)
            x1 = ca + (cb - ca) * (f1 - ra) / (rb - ra)
            left, right = min(x0, x1), max(x0, x1)
            covered[rr].update(c for c in range(width) if left - 0.5 <= c <= right + 0.5)
    for r, cs in enumerate(covered):
        out[r, sorted(cs)] = True
    return out


def _log_data(rng: np.random.Generator, n: int, *, positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Irregular increasing depths, a random walk with NaN gaps (runs and single ones) and
    a few spikes beyond any scale."""
    depths = 1000.0 + np.cumsum(rng.uniform(0.05, 0.3, n))
    values = 75 + np.cumsum(rng.normal(0, 6, n))
    if positive:
        values = np.exp(rng.normal(1.5, 1.5, n))
        values[rng.random(n) < 0.05] = -rng.random()  # non-positive: nulls on a log scale
        values[rng.random(n) < 0.02] = 0.0
    values[rng.random(n) < 0.05] = np.nan
    for _ in range(max(1, n // 200)):
        start = int(rng.integers(0, n))
        values[start:start + int(rng.integers(1, 40))] = np.nan
    spikes = rng.random(n) < 0.01
    values[spikes] = rng.choice([-1e6, 1e6, 1e300], spikes.sum())
    return depths, values


_CONFIGS = [
    # n, rows, cols, window (fraction of the depth span: start, length)
    (1, 5, 3, (-0.5, 2.0)),
    (2, 4, 4, (0.0, 1.0)),
    (60, 12, 10, (0.0, 1.0)),  # about one sample per dot-row
    (60, 30, 16, (0.2, 0.3)),  # zoomed in: rows without samples between far-apart samples
    (3000, 20, 20, (0.0, 1.0)),  # zoomed out: many samples per dot-row
    (3000, 24, 30, (0.4, 0.01)),  # deep zoom into the middle
    (3000, 24, 30, (0.37, 0.2)),
    (500, 1, 1, (0.1, 0.5)),
    (800, 40, 7, (1.5, 0.3)),  # window below the data
    (800, 40, 7, (-0.7, 0.5)),  # window above the data
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("n", "rows", "cols", "window"), _CONFIGS)
@pytest.mark.parametrize(("scale", "lo", "hi", "rev"), [
    ("linear", 0.0, 150.0, False),
    ("linear", -0.15, 0.45, True),  # like NPHI
    ("log", 0.2, 2000.0, False),
    ("log", 0.2, 2000.0, True),
])
def test_track_dots_matches_the_reference(seed, n, rows, cols, window, scale, lo, hi, rev):
    rng = np.random.default_rng(seed * 1000 + n)
    depths, values = _log_data(rng, n, positive=scale == "log")
    if scale == "linear" and rev:
        values = (values - 75) / 300
    span = max(depths[-1] - depths[0], 1.0)
    top = depths[0] + window[0] * span
    bottom = top + window[1] * span
    got = track_dots(depths, values, top, bottom, lo, hi, rows, cols, scale, rev)
    want = reference_dots(depths, values, top, bottom, lo, hi, rows, cols, scale, rev)
    assert got.shape == (4 * rows, 2 * cols) and got.dtype == bool
    np.testing.assert_array_equal(got, want)


_depth_lists = st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=40, unique=True).map(sorted)


@settings(max_examples=300, deadline=None)
@given(depths=_depth_lists, data=st.data(), rows=st.integers(1, 8), cols=st.integers(1, 6),
       top=st.floats(-10, 100), height=st.floats(0.01, 120), rev=st.booleans())
def test_track_dots_matches_the_reference_on_small_random_cases(depths, data, rows, cols, top, height, rev):
    values = data.draw(st.lists(st.one_of(st.floats(-50, 200, allow_nan=False), st.just(math.nan)),
                                min_size=len(depths), max_size=len(depths)))
    d, v = np.array(depths), np.array(values)
    got = track_dots(d, v, top, top + height, 0.0, 150.0, rows, cols, "linear", rev)
    want = reference_dots(d, v, top, top + height, 0.0, 150.0, rows, cols, "linear", rev)
    np.testing.assert_array_equal(got, want)


def test_decreasing_depths_draw_the_same_as_increasing():
    rng = np.random.default_rng(7)
    depths, values = _log_data(rng, 400)
    a = track_dots(depths, values, 1010.0, 1040.0, 0, 150, 10, 8)
    b = track_dots(depths[::-1].copy(), values[::-1].copy(), 1010.0, 1040.0, 0, 150, 10, 8)
    np.testing.assert_array_equal(a, b)


# ---- the rules one by one -------------------------------------------------------------------------


def test_all_null_rows_stay_empty():
    rows, cols = 10, 10
    n = 4000
    depths = np.linspace(0.0, 100.0, n)
    values = 75 + 40 * np.sin(depths)
    null_rows = [3, 4, 5, 17, 30, 39]
    dot_row = np.floor(depths * (4 * rows / 100.0)).astype(int).clip(0, 4 * rows - 1)
    values[np.isin(dot_row, null_rows)] = np.nan
    dots = track_dots(depths, values, 0.0, 100.0, 0.0, 150.0, rows, cols)
    assert not dots[null_rows].any()
    others = [r for r in range(4 * rows) if r not in null_rows]
    assert dots[others].any(axis=1).all()


def test_a_null_between_two_samples_breaks_the_line():
    depths = np.array([0.0, 5.0, 10.0])
    joined = track_dots(depths, np.array([10.0, 80.0, 140.0]), 0.0, 10.0, 0.0, 150.0, 5, 10)
    broken = track_dots(depths, np.array([10.0, np.nan, 140.0]), 0.0, 10.0, 0.0, 150.0, 5, 10)
    assert joined.sum(axis=1).min() >= 1  # zoomed in: every row between is interpolated
    assert broken.sum() == 2  # just the two samples' own dots
    assert broken[0].sum() == 1 and broken[-1].sum() == 1


@pytest.mark.parametrize("far", [151.0, 1e6, 1e19, 1e300, math.inf])
def test_values_beyond_lo_hi_clip_to_the_edge_column(far):
    depths = np.linspace(0.0, 10.0, 200)
    width = 2 * 8
    high = track_dots(depths, np.full(200, far), 0.0, 10.0, 0.0, 150.0, 5, 8)
    low = track_dots(depths, np.full(200, -far), 0.0, 10.0, 0.0, 150.0, 5, 8)
    assert high.any(axis=1).all() and low.any(axis=1).all()
    assert high[:, width - 1].all() and not high[:, : width - 1].any()
    assert low[:, 0].all() and not low[:, 1:].any()
    mirrored = track_dots(depths, np.full(200, far), 0.0, 10.0, 0.0, 150.0, 5, 8, reversed=True)
    assert mirrored[:, 0].all() and not mirrored[:, 1:].any()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("n", "window"), [(5000, (0.0, 1.0)), (300, (0.3, 0.1)), (50, (0.1, 0.8))])
@pytest.mark.parametrize("scale", ["linear", "log"])
def test_reversed_mirrors_the_columns_exactly(seed, n, window, scale):
    rng = np.random.default_rng(seed)
    depths, values = _log_data(rng, n, positive=scale == "log")
    lo, hi = (0.2, 2000.0) if scale == "log" else (0.0, 150.0)
    span = depths[-1] - depths[0]
    top, bottom = depths[0] + window[0] * span, depths[0] + (window[0] + window[1]) * span
    plain = track_dots(depths, values, top, bottom, lo, hi, 15, 12, scale, False)
    rev = track_dots(depths, values, top, bottom, lo, hi, 15, 12, scale, True)
    np.testing.assert_array_equal(rev, plain[:, ::-1])


def test_log_scale_drops_non_positive_values():
    rng = np.random.default_rng(3)
    depths = np.linspace(0, 50, 3000)
    values = np.exp(rng.normal(1, 2, 3000))
    values[rng.random(3000) < 0.2] = 0.0
    values[rng.random(3000) < 0.2] = -5.0
    as_null = np.where(values > 0, values, np.nan)
    got = track_dots(depths, values, 0, 50, 0.2, 2000.0, 20, 10, "log")
    np.testing.assert_array_equal(got, track_dots(depths, as_null, 0, 50, 0.2, 2000.0, 20, 10, "log"))
    only_bad = track_dots(depths, np.full(3000, -1.0), 0, 50, 0.2, 2000.0, 20, 10, "log")
    assert not only_bad.any()


@pytest.mark.parametrize("seed", range(6))
def test_every_dot_row_with_samples_has_its_true_min_and_max(seed):
    rng = np.random.default_rng(100 + seed)
    rows, cols = 16, 20
    height, width = 4 * rows, 2 * cols
    depths, values = _log_data(rng, 20000)
    top, bottom = depths[2000], depths[9000]
    dots = track_dots(depths, values, top, bottom, 0.0, 150.0, rows, cols)
    inside = (depths >= top) & (depths <= bottom)
    d, v = depths[inside], values[inside]
    dot_row = np.clip(np.floor((d - top) * (height / (bottom - top))).astype(int), 0, height - 1)
    col = np.clip(np.floor(np.clip((v - 0.0) / 150.0, 0, 1) * width), 0, width - 1)
    checked = 0
    for r in range(height):
        here = col[(dot_row == r) & ~np.isnan(v)]
        if here.size:
            lo_c, hi_c = int(here.min()), int(here.max())
            assert dots[r, lo_c] and dots[r, hi_c], (r, lo_c, hi_c)
            assert dots[r, lo_c:hi_c + 1].all()  # and everything in between
            checked += 1
    assert checked > height // 2


def test_a_line_enters_the_window_from_the_sample_above_it():
    # One sample above the window, one inside: the line is drawn from row 0 down to it.
    depths, values = np.array([-10.0, 9.0]), np.array([0.0, 149.0])
    dots = track_dots(depths, values, 0.0, 10.0, 0.0, 150.0, 5, 10)  # 20 dot-rows
    assert dots[: 18 + 1].any(axis=1).all()  # rows 0..18 (the sample sits in row 18)
    assert not dots[19].any()
    # no sample inside the window at all: a line still crosses it
    across = track_dots(np.array([-5.0, 15.0]), np.array([10.0, 10.0]), 0.0, 10.0, 0.0, 150.0, 5, 10)
    assert across.any(axis=1).all()


# ---- dots_to_cells and friends -----------------------------------------------------------------

# (dot-row, dot-col) within a cell → the braille dot number Unicode names it by
_DOT_NUMBER = {(0, 0): 1, (1, 0): 2, (2, 0): 3, (0, 1): 4, (1, 1): 5, (2, 1): 6, (3, 0): 7, (3, 1): 8}


@pytest.mark.parametrize(("pos", "number"), sorted(_DOT_NUMBER.items()))
def test_each_of_the_eight_dots_has_its_unicode_bit(pos, number):
    rows, cols = 3, 4
    for cell_r, cell_c in [(0, 0), (2, 3), (1, 2)]:
        dots = np.zeros((4 * rows, 2 * cols), dtype=bool)
        dots[4 * cell_r + pos[0], 2 * cell_c + pos[1]] = True
        codes = dots_to_cells(dots)
        assert codes.shape == (rows, cols)
        expected = np.zeros((rows, cols), dtype=np.int64)
        expected[cell_r, cell_c] = 1 << (number - 1)
        np.testing.assert_array_equal(codes, expected)
        char = cells_to_strings(codes)[cell_r][cell_c]
        assert unicodedata.name(char) == f"BRAILLE PATTERN DOTS-{number}"


def test_full_cell_and_blank_cell():
    dots = np.zeros((4, 4), dtype=bool)
    dots[:, :2] = True
    codes = dots_to_cells(dots)
    assert codes.tolist() == [[0xFF, 0]]
    assert cells_to_strings(codes) == ["⣿⠀"]
    assert unicodedata.name("⣿") == "BRAILLE PATTERN DOTS-12345678"


def test_render_track_ors_codes_and_owner_is_the_last_curve_drawn():
    depths = np.linspace(0.0, 10.0, 400)
    left = CurveSpec(depths, np.full(400, 1.0), 0.0, 150.0)  # column 0
    right = CurveSpec(depths, np.full(400, 149.0), 0.0, 150.0)  # last column
    also_left = {"depths": depths, "values": np.full(400, 148.0), "lo": 0.0, "hi": 150.0,
                 "reversed": True}  # a mapping works too; reversed: column 0
    codes, owner = render_track([left, right, also_left], 0.0, 10.0, 5, 6)
    assert codes.shape == owner.shape == (5, 6)
    each = [dots_to_cells(track_dots(c["depths"] if isinstance(c, dict) else c.depths,
                                     c["values"] if isinstance(c, dict) else c.values, 0.0, 10.0,
                                     0.0, 150.0, 5, 6, "linear", bool(isinstance(c, dict))))
            for c in (left, right, also_left)]
    np.testing.assert_array_equal(codes, each[0] | each[1] | each[2])
    assert (owner[:, 0] == 2).all()  # drawn by curves 0 and 2: the last one owns it
    assert (owner[:, -1] == 1).all()
    assert (owner[:, 1:-1] == -1).all() and (codes[:, 1:-1] == 0).all()
    _, none = render_track([], 0.0, 10.0, 5, 6)
    assert (none == -1).all()


# ---- logtrack: scales and read-out -----------------------------------------------------------------


@pytest.mark.parametrize(("mnemonic", "unit", "expected"), [
    ("GR", "gAPI", (0.0, 150.0, "linear", False)),
    ("GR:2", "API", (0.0, 150.0, "linear", False)),
    ("NPHI", "v/v", (-0.15, 0.45, "linear", True)),
    ("NPHI", "%", (-15.0, 45.0, "linear", True)),
    ("DT", "us/ft", (40.0, 140.0, "linear", True)),
    ("DT", "US/M", (130.0, 460.0, "linear", True)),
    ("RT", "ohmm", (0.2, 2000.0, "log", False)),
    ("ILD", "", (0.2, 2000.0, "log", False)),
    ("XYZ", "ohm.m", (0.2, 2000.0, "log", False)),  # by unit alone
    ("RHOB", "g/cm3", (1.95, 2.95, "linear", False)),
])
def test_default_scale_for_known_curves(mnemonic, unit, expected):
    assert default_scale(mnemonic, unit) == expected


def test_default_scale_of_an_unknown_curve_spans_its_percentiles():
    rng = np.random.default_rng(0)
    values = rng.normal(500, 50, 10000)
    values[::10] = np.nan
    lo, hi, scale, rev = default_scale("MYSTERY", "units", values)
    p1, p99 = np.nanpercentile(values, [1, 99])
    pad = (p99 - p1) * 0.05
    assert (scale, rev) == ("linear", False)
    assert lo == pytest.approx(p1 - pad) and hi == pytest.approx(p99 + pad)
    assert default_scale("MYSTERY", "", None) == (0.0, 1.0, "linear", False)
    assert default_scale("MYSTERY", "", np.full(5, np.nan)) == (0.0, 1.0, "linear", False)
    assert default_scale("MYSTERY", "", np.full(5, 20.0)) == (18.0, 22.0, "linear", False)
    assert default_scale("MYSTERY", "", np.zeros(5)) == (-1.0, 1.0, "linear", False)


def _curve(depths, values, **kw) -> TrackCurve:
    return TrackCurve(kw.pop("name", "GR"), "gAPI", np.asarray(depths, float), np.asarray(values, float),
                      kw.pop("lo", 0.0), kw.pop("hi", 150.0), **kw)


def test_value_at_is_the_nearest_sample_and_null_is_none():
    c = _curve([10.0, 10.5, 11.0, 11.5], [1.0, 2.0, np.nan, 4.0])
    assert value_at(c, 10.0) == 1.0
    assert value_at(c, 10.2) == 1.0
    assert value_at(c, 10.3) == 2.0
    assert value_at(c, 10.25) == 1.0  # a tie goes to the shallower sample
    assert value_at(c, 10.9) is None  # nearest is the null
    assert value_at(c, 11.4) == 4.0
    assert value_at(c, 11.7) == 4.0  # within half a step of the last sample
    assert value_at(c, 11.8) is None and value_at(c, 9.7) is None  # outside the curve
    assert value_at(c, math.nan) is None
    assert value_at(_curve([], []), 10.0) is None
    rev = _curve([11.5, 11.0, 10.5, 10.0], [4.0, np.nan, 2.0, 1.0])  # decreasing input
    assert value_at(rev, 10.4) == 2.0 and value_at(rev, 11.5) == 4.0


# ---- logtrack: pilot test ----------------------------------------------------------------------------


class TrackApp(App):
    def __init__(self, track: LogTrack) -> None:
        super().__init__()
        self.track = track
        self.moved: list[LogTrack.CursorMoved] = []

    def compose(self) -> ComposeResult:
        yield self.track

    def on_log_track_cursor_moved(self, message: LogTrack.CursorMoved) -> None:
        self.moved.append(message)


async def test_pilot_large_track_renders_braille_caches_frames_and_posts_clicks():
    n = 100_000
    rng = np.random.default_rng(1)
    depths = 500.0 + 0.1 * np.arange(n)
    gr = 75 + np.cumsum(rng.normal(0, 2, n)) % 150
    gr[rng.random(n) < 0.01] = np.nan
    rt = np.exp(rng.normal(2, 1, n))
    track = LogTrack([
        TrackCurve("GR", "gAPI", depths, gr, 0.0, 150.0, color="green"),
        TrackCurve("RT", "ohmm", depths, rt, 0.2, 2000.0, "log", color="red"),
    ])
    track.top, track.bottom = float(depths[0]), float(depths[-1])
    app = TrackApp(track)
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        assert track.plot_rows == 30 - track.header_lines
        lines = [track.render_line(y).text for y in range(track.header_lines, 30)]
        braille = [ln for ln in lines if any(0x2801 <= ord(ch) <= 0x28FF for ch in ln)]
        assert len(braille) == len(lines)  # the whole data range is in view: every row has ink
        assert track.renders >= 1

        before = track.renders
        for depth in np.linspace(depths[0], depths[-1], 7):
            track.cursor = float(depth)
            await pilot.pause()
        assert track.renders == before  # the cursor alone never recomputes the frame
        header = track.render_line(0).text
        assert header.startswith("GR")

        track.top = float(depths[0] + 100.0)
        await pilot.pause()
        assert track.renders > before
        after_top = track.renders
        track.bottom = float(depths[0] + 2000.0)
        await pilot.pause()
        assert track.renders > after_top

        row = 7
        await pilot.click(LogTrack, offset=(10, track.header_lines + row))
        await pilot.pause()
        assert len(app.moved) == 1
        assert app.moved[0].depth == track.row_to_depth(row)
        assert app.moved[0].control is track
        await pilot.click(LogTrack, offset=(10, 0))  # on the header: not a depth
        await pilot.pause()
        assert len(app.moved) == 1
