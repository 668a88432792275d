"""The numpy → braille renderer against a slow, obviously-correct reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui.widgets.braille import (
    BRAILLE_BASE,
    CurveSpec,
    cells_to_strings,
    check_scale,
    dots_to_cells,
    render_track,
    track_dots,
)

# ---------------------------------------------------------------------------------------------
# The reference: the rules of braille.py's docstring, one sample and one row at a time.
# ---------------------------------------------------------------------------------------------


def ref_column(x: float, lo: float, hi: float, width: int, scale: str, rev: bool) -> int | None:
    if scale == "log":
        if not x > 0:  # NaN, zero and negatives are nulls
            return None
        t = (math.log10(x) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    else:
        if math.isnan(x):
            return None
        t = (x - lo) / (hi - lo)
    t = min(max(t, 0.0), 1.0)
    c = min(int(math.floor(t * width)), width - 1)
    return width - 1 - c if rev else c


def ref_track_dots(depths, values, top, bottom, lo, hi, rows, cols, scale="linear", rev=False):
    height, width = 4 * rows, 2 * cols
    dots = np.zeros((height, width), dtype=bool)
    d = [float(x) for x in depths]
    v = [float(x) for x in values]
    if len(d) > 1 and d[0] > d[-1]:
        d, v = d[::-1], v[::-1]
    n = len(d)
    if n == 0 or not bottom > top:
        return dots
    inside = [i for i in range(n) if top <= d[i] <= bottom]
    if inside:
        first, last = inside[0] - 1, inside[-1] + 1
    else:  # the window falls between two samples (or outside the data)
        below = [i for i in range(n) if d[i] > bottom]
        first = (below[0] if below else n) - 1
        last = first + 1
    ext = [i for i in range(max(first, 0), min(last, n - 1) + 1)]

    def row(i: int) -> int:
        r = math.floor((d[i] - top) * (height / (bottom - top)))
        if top <= d[i] <= bottom:
            return min(max(r, 0), height - 1)
        return int(min(max(r, -1e12), 1e12))

    col = {i: ref_column(v[i], lo, hi, width, scale, rev) for i in ext}
    row_lo = [width] * height
    row_hi = [-1] * height
    for i in inside:  # min/max thinning
        if col[i] is not None:
            r = row(i)
            row_lo[r] = min(row_lo[r], col[i])
            row_hi[r] = max(row_hi[r], col[i])
    for i, j in zip(ext, ext[1:]):  # lines between consecutive non-null samples
        a, b = row(i), row(j)
        if col[i] is None or col[j] is None or a == b:
            continue
        ca, cb = float(col[i]), float(col[j])
        for rr in range(max(a, 0), min(b, height - 1) + 1):
            f0 = max(rr - 0.5, float(a))
            f1 = min(rr + 0.5, float(b))
            x0 = ca + (cb - ca) * (f0 - a) / (b - a)
            x1 = ca + (cb - ca) * (f1 - a) / (b - a)
            row_lo[rr] = min(row_lo[rr], math.ceil(min(x0, x1) - 0.5))
            row_hi[rr] = max(row_hi[rr], math.floor(max(x0, x1) + 0.5))
    for r in range(height):
        for c in range(row_lo[r], row_hi[r] + 1):
            dots[r, c] = True
    return dots


def ref_cells(dots: np.ndarray) -> list[str]:
    bits = {(0, 0): 0x01, (1, 0): 0x02, (2, 0): 0x04, (0, 1): 0x08,
            (1, 1): 0x10, (2, 1): 0x20, (3, 0): 0x40, (3, 1): 0x80}
    height, width = dots.shape
    lines = []
    for cr in range(height // 4):
        line = ""
        for cc in range(width // 2):
            code = sum(bit for (dr, dc), bit in bits.items() if dots[cr * 4 + dr, cc * 2 + dc])
            line += chr(0x2800 + code)
        lines.append(line)
    return lines


def synthetic(n: int, seed: int, nulls: bool = True, positive: bool = False):
    """A wavy log with noise, spikes beyond the scale and runs of nulls, on a regular step."""
    rng = np.random.default_rng(seed)
    depths = 1000.0 + 0.1524 * np.arange(n)
    i = np.arange(n)
    values = 50 + 35 * np.sin(2 * np.pi * i / rng.uniform(n / 3 + 2, 2 * n + 4)) + rng.normal(0, 6, n)
    values[rng.integers(0, n, 1 + n // 200)] = rng.choice([-400.0, 400.0])  # spikes, clipped
    if positive:
        values = 10 ** (values / 33)
    if nulls and n > 4:
        for _ in range(1 + n // 500):  # null runs covering ~10 % of the curve
            start = int(rng.integers(0, n))
            values[start:start + int(rng.integers(1, max(2, min(n // 20, 100))))] = np.nan
        values[rng.integers(0, n, max(1, n // 100))] = np.nan
    return depths, values


def true_rows_and_cols(depths, values, top, bottom, lo, hi, rows, cols, scale="linear", rev=False):
    """{dot-row: (min col, max col)} of the non-null samples inside the window."""
    height, width = 4 * rows, 2 * cols
    out: dict[int, tuple[int, int]] = {}
    for d, v in zip(depths, values):
        if not top <= d <= bottom:
            continue
        c = ref_column(float(v), lo, hi, width, scale, rev)
        if c is None:
            continue
        r = min(max(math.floor((d - top) * (height / (bottom - top))), 0), height - 1)
        a, b = out.get(r, (c, c))
        out[r] = (min(a, c), max(b, c))
    return out


# ---------------------------------------------------------------------------------------------
# Exactness against the reference.
# ---------------------------------------------------------------------------------------------

CASES = [
    # n, rows, cols, window as fractions of the data's depth range
    (1, 5, 4, (-0.5, 1.5)),
    (2, 5, 4, (0.0, 1.0)),
    (7, 10, 6, (0.0, 1.0)),  # fewer samples than dot-rows
    (40, 30, 10, (0.1, 0.9)),
    (300, 12, 8, (0.0, 1.0)),  # many samples per dot-row
    (300, 40, 20, (0.45, 0.47)),  # zoomed in: samples rows apart, edges cut mid-line
    (2000, 40, 80, (0.0, 1.0)),
    (2000, 40, 80, (0.3, 0.32)),
    (5000, 25, 33, (-0.2, 0.4)),  # window starting above the data
    (5000, 25, 33, (0.8, 1.3)),  # ... and ending below it
    (3000, 20, 10, (0.50001, 0.50002)),  # the window falls between two samples
]


@pytest.mark.parametrize("scale", ["linear", "log"])
@pytest.mark.parametrize("rev", [False, True])
@pytest.mark.parametrize("n,rows,cols,window", CASES)
def test_track_dots_matches_the_reference(n, rows, cols, window, scale, rev):
    depths, values = synthetic(n, seed=n + rows, positive=scale == "log")
    span = depths[-1] - depths[0] if n > 1 else 10.0
    top, bottom = depths[0] + window[0] * span, depths[0] + window[1] * span
    lo, hi = ((0.5, 500.0) if scale == "log" else (0.0, 100.0))
    got = track_dots(depths, values, top, bottom, lo, hi, rows, cols, scale, rev)
    want = ref_track_dots(depths, values, top, bottom, lo, hi, rows, cols, scale, rev)
    assert got.shape == (4 * rows, 2 * cols) and got.dtype == bool
    assert np.array_equal(got, want), f"{int((got != want).sum())} dots differ"


@pytest.mark.parametrize("seed", range(8))
def test_random_windows_match_the_reference(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 3000))
    depths, values = synthetic(n, seed)
    rows, cols = int(rng.integers(1, 30)), int(rng.integers(1, 40))
    a, b = np.sort(rng.uniform(-0.1, 1.1, 2))
    top, bottom = depths[0] + a * (depths[-1] - depths[0]), depths[0] + b * (depths[-1] - depths[0])
    lo, hi = sorted(rng.uniform(-50, 150, 2))
    got = track_dots(depths, values, top, bottom, lo, hi, rows, cols)
    assert np.array_equal(got, ref_track_dots(depths, values, top, bottom, lo, hi, rows, cols))


def test_window_exactly_on_samples_matches_the_reference():
    depths = np.arange(0.0, 20.0)
    values = np.array([3, 9, 1, 7, np.nan, 5, 5, 2, 8, 8, 0, 4, 6, np.nan, np.nan, 9, 1, 3, 7, 2.0])
    for top, bottom in ((0.0, 19.0), (4.0, 12.0), (5.0, 6.0), (0.0, 40.0)):
        got = track_dots(depths, values, top, bottom, 0, 10, 6, 5)
        assert np.array_equal(got, ref_track_dots(depths, values, top, bottom, 0, 10, 6, 5))


def test_every_row_with_a_sample_has_its_true_min_and_max():
    depths, values = synthetic(20_000, seed=3)
    for top, bottom, rows, cols in ((depths[0], depths[-1], 40, 80), (1500.0, 1600.0, 30, 20),
                                    (2000.0, 2003.0, 10, 10)):
        dots = track_dots(depths, values, top, bottom, 0, 100, rows, cols)
        truth = true_rows_and_cols(depths, values, top, bottom, 0, 100, rows, cols)
        assert truth, "the window holds samples"
        for r, (cmin, cmax) in truth.items():
            assert dots[r, cmin] and dots[r, cmax], f"row {r} lost its extremes"
            assert dots[r, cmin:cmax + 1].all(), f"row {r} is not filled between min and max"


# ---------------------------------------------------------------------------------------------
# Nulls, clipping, orientation, scales.
# ---------------------------------------------------------------------------------------------


def test_null_runs_are_gaps_not_joined():
    depths = np.arange(100.0)
    values = np.full(100, 20.0)
    values[50:] = 80.0
    values[40:60] = np.nan  # a null run across the jump
    dots = track_dots(depths, values, 0.0, 100.0, 0, 100, 25, 10)  # one dot-row per sample
    for r in range(40, 60):
        assert not dots[r].any(), f"null row {r} drew something"
    # No line across the gap: the rows either side hold only their own column.
    assert np.flatnonzero(dots[39]).tolist() == [4]
    assert np.flatnonzero(dots[60]).tolist() == [16]


def test_a_single_null_breaks_the_line_even_between_adjacent_rows():
    depths = np.array([0.0, 1.0, 1.5, 2.0])  # the null shares row 1 with the last sample
    values = np.array([0.0, 100.0, np.nan, 0.0])
    dots = track_dots(depths, values, 0.0, 4.0, 0, 100, 1, 10)  # 4 dot-rows of 1 depth unit
    # Joined half-way: each row covers the columns within half a dot of its part of the line.
    assert np.flatnonzero(dots[0]).tolist() == list(range(0, 11))
    assert np.flatnonzero(dots[1]).tolist() == list(range(9, 20))
    assert np.flatnonzero(dots[2]).tolist() == [0]  # not joined across the null


def test_all_null_curve_draws_nothing():
    depths = np.linspace(0, 10, 1000)
    assert not track_dots(depths, np.full(1000, np.nan), 0, 10, 0, 1, 10, 10).any()


def test_values_outside_the_scale_sit_on_the_edges():
    depths = np.arange(8.0)
    values = np.array([-1e9, -5, 0, 50, 100, 150, 1e9, np.inf])
    dots = track_dots(depths, values, 0.0, 8.0, 0, 100, 2, 10)  # one dot-row per sample
    first, last = [], []
    for r in range(8):
        on = np.flatnonzero(dots[r])
        first.append(int(on.min()))
        last.append(int(on.max()))
    assert first[0] == 0 and first[1] == 0 and first[2] == 0
    assert last[5] == 19 and last[6] == 19 and last[7] == 19
    assert dots[3, 10] and not dots[3, :5].any()  # 50 → the middle column


def test_reversed_mirrors_the_columns():
    depths, values = synthetic(5000, seed=11)
    for top, bottom in ((depths[0], depths[-1]), (1200.0, 1210.0), (1300.0, 1300.5)):
        normal = track_dots(depths, values, top, bottom, 0, 100, 20, 15)
        flipped = track_dots(depths, values, top, bottom, 0, 100, 20, 15, reversed=True)
        assert normal.any()
        assert np.array_equal(flipped, normal[:, ::-1])


def test_nphi_reversed_high_porosity_on_the_left():
    depths = np.array([0.0, 1.0])
    dots = track_dots(depths, np.array([0.45, -0.15]), 0.0, 2.0, -0.15, 0.45, 1, 10, reversed=True)
    assert dots[0, 0] and dots[2, 19]


def test_log_scale_decades_and_non_positive_values():
    lo, hi, width = 0.2, 2000.0, 40
    depths = np.arange(7.0)
    values = np.array([0.2, 2.0, 20.0, 200.0, 2000.0, 0.0, -3.0])
    dots = track_dots(depths, values, 0.0, 7.0, lo, hi, 7, width // 2, "log")  # 4 dot-rows a sample
    # Each decade is a quarter of the track: columns 0, 10, 20, 30, 39.
    for k, near in enumerate((0, 10, 20, 30, 39)):
        col = ref_column(values[k], lo, hi, width, "log", False)
        assert abs(col - near) <= 1 and dots[4 * k, col]
    assert dots[0, 0] and dots[16, 39]
    assert not dots[20:].any(), "zero and negative resistivities are nulls"


def test_log_scale_equals_linear_scale_of_the_logs():
    depths, values = synthetic(3000, seed=5, positive=True)
    log = track_dots(depths, values, depths[0], depths[-1], 0.5, 500.0, 20, 20, "log")
    lin = track_dots(depths, np.log10(values), depths[0], depths[-1], math.log10(0.5), math.log10(500.0),
                     20, 20)
    assert log.any() and np.array_equal(log, lin)


# ---------------------------------------------------------------------------------------------
# Zoomed in: few samples, continuous lines.
# ---------------------------------------------------------------------------------------------


def assert_continuous(dots: np.ndarray, first_row: int, last_row: int) -> None:
    for r in range(first_row, last_row + 1):
        assert dots[r].any(), f"row {r} is empty inside the line"
    for r in range(first_row, last_row):
        a, b = np.flatnonzero(dots[r]), np.flatnonzero(dots[r + 1])
        assert max(a.min(), b.min()) <= min(a.max(), b.max()) + 1, f"rows {r} and {r + 1} do not touch"


def test_few_samples_are_connected():
    depths = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    values = np.array([0.0, 90.0, 10.0, 100.0, 50.0])
    dots = track_dots(depths, values, 10.0, 14.0, 0, 100, 10, 20)  # 40 dot-rows, ~10 per sample
    rows_of = [min(39, math.floor((d - 10.0) * 10)) for d in depths]
    assert rows_of == [0, 10, 20, 30, 39]
    for r, v in zip(rows_of, values):
        assert dots[r, min(39, int(v / 100 * 40))]
    assert_continuous(dots, 0, 39)


def test_line_enters_and_leaves_the_window():
    depths = np.arange(0.0, 100.0, 10.0)
    values = np.linspace(0, 100, 10)
    dots = track_dots(depths, values, 15.0, 45.0, 0, 100, 10, 10)  # samples at 20, 30, 40 inside
    assert_continuous(dots, 0, 39)


def test_window_between_two_samples_draws_the_line_through_it():
    depths = np.array([0.0, 100.0])
    values = np.array([0.0, 100.0])
    dots = track_dots(depths, values, 40.0, 60.0, 0, 100, 5, 10)
    assert_continuous(dots, 0, 19)
    # The line from (row -40, col 0) to (row 60, col 19), seen through rows 0..19.
    assert dots[0, 8] and dots[19, 11] and not dots[:, :8].any() and not dots[:, 12:].any()


def test_descending_depths_draw_like_ascending():
    depths, values = synthetic(2000, seed=9)
    up = track_dots(depths, values, 1050.0, 1200.0, 0, 100, 20, 20)
    down = track_dots(depths[::-1], values[::-1], 1050.0, 1200.0, 0, 100, 20, 20)
    assert np.array_equal(up, down)


@pytest.mark.parametrize("top,bottom,rows,cols", [(5.0, 5.0, 4, 4), (6.0, 5.0, 4, 4), (0.0, 10.0, 0, 4),
                                                  (0.0, 10.0, 4, 0), (100.0, 200.0, 4, 4)])
def test_degenerate_windows_draw_nothing(top, bottom, rows, cols):
    depths = np.arange(10.0)
    dots = track_dots(depths, depths * 10, top, bottom, 0, 100, rows, cols)
    assert dots.shape == (4 * rows, 2 * cols) and not dots.any()


def test_empty_curve_and_bad_input():
    assert not track_dots(np.array([]), np.array([]), 0, 1, 0, 1, 3, 3).any()
    with pytest.raises(ValueError):
        track_dots(np.arange(3.0), np.arange(4.0), 0, 1, 0, 1, 3, 3)
    for lo, hi, scale in ((1, 1, "linear"), (0, 10, "log"), (0, math.inf, "linear"), (0, 1, "sqrt")):
        with pytest.raises(ValueError):
            check_scale(lo, hi, scale)


# ---------------------------------------------------------------------------------------------
# Cells and strings.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dot,bit", [((0, 0), 0x01), ((1, 0), 0x02), ((2, 0), 0x04), ((0, 1), 0x08),
                                     ((1, 1), 0x10), ((2, 1), 0x20), ((3, 0), 0x40), ((3, 1), 0x80)])
def test_each_dot_has_its_unicode_bit(dot, bit):
    dots = np.zeros((8, 4), dtype=bool)
    dots[4 + dot[0], 2 + dot[1]] = True  # in cell (1, 1)
    codes = dots_to_cells(dots)
    assert codes.shape == (2, 2)
    assert codes[1, 1] == bit and codes.sum() == bit
    assert cells_to_strings(codes)[1] == "\u2800" + chr(0x2800 + bit)


def test_cells_and_strings_match_the_reference_on_random_dots():
    rng = np.random.default_rng(2)
    dots = rng.random((24, 30)) < 0.4
    codes = dots_to_cells(dots)
    assert cells_to_strings(codes) == ref_cells(dots)
    assert cells_to_strings(dots_to_cells(np.ones((4, 2), dtype=bool))) == ["⣿"]
    assert cells_to_strings(np.zeros((0, 5), dtype=np.uint32)) == []


def test_dots_to_cells_rejects_ragged_grids():
    with pytest.raises(ValueError):
        dots_to_cells(np.zeros((5, 4), dtype=bool))


# ---------------------------------------------------------------------------------------------
# Several curves in one track.
# ---------------------------------------------------------------------------------------------


def test_render_track_combines_curves_and_records_the_last_owner():
    depths = np.linspace(0, 100, 500)
    left = CurveSpec(depths, np.full(500, 10.0), 0, 100)
    right = {"depths": depths, "values": np.full(500, 90.0), "lo": 0, "hi": 100}  # mappings work too
    both = {"depths": depths, "values": np.full(500, 10.0), "lo": 100, "hi": 0}  # lo > hi flips
    codes, owner = render_track([left, right, both], 0, 100, 10, 10)
    assert codes.shape == owner.shape == (10, 10)
    c_left, c_right = 10 * 20 // 100 // 2, 90 * 20 // 100 // 2
    assert (owner[:, c_left] == 0).all()
    assert (owner[:, c_right] == 2).all(), "the third curve drew over the second"
    assert (owner[:, [c for c in range(10) if c not in (c_left, c_right)]] == -1).all()
    for k, cv in enumerate([left, right]):
        alone, _ = render_track([cv], 0, 100, 10, 10)
        assert ((codes & alone) == alone).all(), f"curve {k} lost dots in the combined track"
    strings = cells_to_strings(codes)
    assert all(ch == chr(BRAILLE_BASE) for ch in strings[0][:c_left])


def test_render_track_with_no_curves():
    codes, owner = render_track([], 0, 1, 3, 4)
    assert not codes.any() and (owner == -1).all()
