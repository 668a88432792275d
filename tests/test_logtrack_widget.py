"""`LogTrack` and `DepthAxis` in a real (headless) Textual app, with 100 000 samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual import events, on
from textual.app import App, ComposeResult
from textual.containers import Horizontal

from tui.widgets import DepthAxis, LogTrack, TrackCurve, default_scale, format_value, value_at
from tui.widgets.logtrack import fit_header

N = 100_000
TOP, BOTTOM = 1000.0, 3000.0


def make_curves() -> list[TrackCurve]:
    rng = np.random.default_rng(42)
    depths = np.linspace(TOP, BOTTOM, N)
    gr = np.clip(75 + 40 * np.sin(depths / 37) + rng.normal(0, 6, N), 0, 150)
    gr[30_000:31_000] = np.nan  # a tool gap
    nphi = 0.2 + 0.1 * np.sin(depths / 23)
    return [
        TrackCurve("GR", "gAPI", depths, gr, *default_scale("GR", "gAPI"), color="bright_green"),
        TrackCurve("NPHI", "v/v", depths, nphi, *default_scale("NPHI", "v/v"), color="bright_red"),
    ]


class TrackApp(App):
    CSS = "Horizontal { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.curves = make_curves()
        self.messages: list = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield DepthAxis()
            yield LogTrack(self.curves)

    def on_mount(self) -> None:
        self.show(TOP, BOTTOM, None)

    def show(self, top: float, bottom: float, cursor: float | None) -> None:
        for w in (self.query_one(DepthAxis), self.query_one(LogTrack)):
            w.top, w.bottom, w.cursor = top, bottom, cursor

    @on(LogTrack.CursorMoved)
    @on(LogTrack.Panned)
    @on(LogTrack.Zoomed)
    def record(self, message) -> None:
        self.messages.append(message)


def text_of(widget, y: int) -> str:
    return widget.render_line(y).text


def is_braille(ch: str) -> bool:
    return 0x2801 <= ord(ch) <= 0x28FF


async def test_track_draws_braille_for_100k_samples():
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        track = app.query_one(LogTrack)
        assert track.plot_rows == 30 - track.header_lines
        lines = [text_of(track, y) for y in range(track.header_lines, track.size.height)]
        assert all(len(line) == track.size.width for line in lines)
        assert sum(is_braille(ch) for line in lines for ch in line) > track.plot_rows * 2
        assert all(any(is_braille(ch) for ch in line) for line in lines), "every row shows a curve"
        # The header names each curve with its unit and scale, the reversed one as hi ← lo.
        assert text_of(track, 0).startswith("GR gAPI 0–150")
        assert text_of(track, 1).startswith("NPHI v/v 0.45 ← -0.15")
        assert set(text_of(track, 2)) == {"─"}
        # The SVG screenshot renders the same frame.
        svg = app.export_screenshot()
        assert any(is_braille(ch) for ch in svg)


async def test_each_cell_takes_its_curve_colour_and_grid_only_where_empty():
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        track = app.query_one(LogTrack)
        colours = set()
        for y in range(track.header_lines, track.size.height):
            for seg in track.render_line(y):
                if any(is_braille(ch) for ch in seg.text):
                    assert all(is_braille(ch) for ch in seg.text)
                    colours.add(seg.style.color.name)
                if "┊" in seg.text:
                    assert set(seg.text) == {"┊"}
        assert colours == {"bright_green", "bright_red"}


@pytest.mark.parametrize("sample", [12_345, 30_500])  # a value, and a null inside the gap
async def test_cursor_readout_shows_the_nearest_sample(sample):
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        track = app.query_one(LogTrack)
        gr = app.curves[0]
        depth = float(gr.depths[sample]) + 0.3 * (gr.depths[1] - gr.depths[0])  # nearer `sample`
        app.show(TOP, BOTTOM, depth)
        await pilot.pause()
        nearest = int(np.argmin(np.abs(gr.depths - depth)))
        assert nearest == sample
        expected = gr.values[nearest]
        readout = text_of(track, 0).split()[-1]
        if math.isnan(expected):
            assert readout == "—"
        else:
            assert readout == format_value(float(expected))
            assert float(readout) == pytest.approx(expected, abs=0.06)
        assert text_of(track, 1).split()[-1] == format_value(float(app.curves[1].values[nearest]))
        assert value_at(gr, depth) == (None if math.isnan(expected) else expected)


async def test_click_posts_cursor_moved_with_the_row_depth():
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        track = app.query_one(LogTrack)
        top_before = track.top
        row = 10
        await pilot.click(track, offset=(6, track.header_lines + row))
        await pilot.pause()
        moved = [m for m in app.messages if isinstance(m, LogTrack.CursorMoved)]
        assert len(moved) == 1 and moved[0].control is track
        rows = track.size.height - track.header_lines
        assert moved[0].depth == pytest.approx(TOP + (row + 0.5) * (BOTTOM - TOP) / rows)
        assert track.cursor is None and track.top == top_before, "the widget leaves state to its parent"
        # A click on the header is not a depth.
        await pilot.click(track, offset=(6, 0))
        await pilot.pause()
        assert len([m for m in app.messages if isinstance(m, LogTrack.CursorMoved)]) == 1


async def test_scroll_wheel_posts_pan_and_ctrl_wheel_zoom():
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        track = app.query_one(LogTrack)
        region = track.region
        y = track.header_lines + 5

        def scroll(cls, ctrl: bool):
            return cls(track, 4, y, 0, 1, 0, False, False, ctrl, screen_x=region.x + 4, screen_y=region.y + y)

        track.post_message(scroll(events.MouseScrollDown, False))
        track.post_message(scroll(events.MouseScrollUp, False))
        track.post_message(scroll(events.MouseScrollUp, True))
        await pilot.pause()
        pans = [m for m in app.messages if isinstance(m, LogTrack.Panned)]
        zooms = [m for m in app.messages if isinstance(m, LogTrack.Zoomed)]
        assert [p.delta_fraction for p in pans] == [pytest.approx(0.1), pytest.approx(-0.1)]
        assert len(zooms) == 1 and zooms[0].factor < 1
        assert zooms[0].around_depth == pytest.approx(track.row_to_depth(5))
        assert (track.top, track.bottom) == (TOP, BOTTOM), "messages only: the parent pans"


async def test_moving_the_cursor_does_not_recompute_the_frame():
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        track = app.query_one(LogTrack)
        first = track.renders
        assert first >= 1
        plain = track.render_line(track.header_lines + 7)
        for k in range(1, 8):
            track.cursor = track.row_to_depth(k)
            await pilot.pause()
        assert track.renders == first
        # The cursor row is highlighted from the cached frame; other rows are untouched.
        highlighted = track.render_line(track.header_lines + 7)
        assert highlighted.text == plain.text and highlighted != plain
        assert any(seg.style and seg.style.bgcolor for seg in highlighted)
        assert track.render_line(track.header_lines + 8) == track.render_line(track.header_lines + 8)
        assert track.renders == first
        # A new depth window does recompute, once, however many lines are painted.
        app.show(1500.0, 1600.0, None)
        await pilot.pause()
        for y in range(track.size.height):
            track.render_line(y)
        assert track.renders == first + 1
        track.set_curves(app.curves[:1])
        await pilot.pause()
        assert track.renders == first + 2
        assert not text_of(track, 1).startswith("NPHI")


async def test_depth_axis_labels_increase_downwards_and_mark_the_cursor():
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        axis = app.query_one(DepthAxis)
        track = app.query_one(LogTrack)
        labels = axis.labels()
        assert len(labels) >= 5
        rows = [r for r, _ in labels]
        depths = [d for _, d in labels]
        assert rows == sorted(rows) and all(b > a for a, b in zip(depths, depths[1:]))
        assert TOP <= depths[0] < depths[-1] <= BOTTOM
        # The printed labels agree, and each sits on the track row showing that depth.
        printed = [(y - axis.header_lines, float(text_of(axis, y))) for y in range(axis.size.height)
                   if text_of(axis, y).strip() and y >= axis.header_lines]
        assert [r for r, _ in printed] == rows
        assert all(b > a for (_, a), (_, b) in zip(printed, printed[1:]))
        for r, d in labels:
            assert track.depth_to_row(d) == r
        # The cursor's depth is printed on its row.
        app.show(TOP, BOTTOM, track.row_to_depth(6))
        await pilot.pause()
        assert float(text_of(axis, axis.header_lines + 6)) == pytest.approx(track.row_to_depth(6), abs=0.05)


def test_default_scales():
    assert default_scale("GR", "gAPI") == (0.0, 150.0, "linear", False)
    assert default_scale("RHOB", "g/cc") == (1.95, 2.95, "linear", False)
    assert default_scale("DEN", "G/C3") == (1.95, 2.95, "linear", False)
    for m in ("NPHI", "TNPH", "NPOR"):
        assert default_scale(m, "v/v") == (-0.15, 0.45, "linear", True)
    for m in ("DT", "DTC", "AC"):
        assert default_scale(m, "us/ft") == (40.0, 140.0, "linear", True)
    for m in ("RT", "ILD", "ILM", "LLD", "LLS", "MSFL", "RXO", "SFLU", "AT90"):
        assert default_scale(m, "") == (0.2, 2000.0, "log", False)
    assert default_scale("RDEEP_X", "OHMM") == (0.2, 2000.0, "log", False)  # by unit
    assert default_scale("ild:2", "ohm.m")[2] == "log"  # lasio duplicate suffix, any case
    assert default_scale("CALI", "in") == (6.0, 16.0, "linear", False)
    assert default_scale("SP", "mV") == (-100.0, 50.0, "linear", False)
    assert default_scale("PEF", "b/e") == (0.0, 10.0, "linear", False)
    values = np.concatenate([np.linspace(10, 20, 1000), [np.nan, 1e6]])
    lo, hi, scale, rev = default_scale("VSH_X", "", values)
    assert scale == "linear" and not rev and lo < 10.2 and 19.8 < hi < 21
    assert default_scale("XYZ", "", np.full(5, np.nan)) == (0.0, 1.0, "linear", False)


def data_range(values) -> tuple[float, float]:
    lo, hi = np.percentile(values[np.isfinite(values)], [1, 99])
    pad = (hi - lo) * 0.05
    return pytest.approx(lo - pad), pytest.approx(hi + pad)


def test_default_scales_follow_the_unit():
    # Caliper: 6–16 in, the same span in mm (or cm).
    assert default_scale("CALI", "MM") == (150.0, 400.0, "linear", False)
    assert default_scale("HCAL", "mm", np.linspace(200, 300, 50)) == (150.0, 400.0, "linear", False)
    assert default_scale("CALI", "cm")[:2] == (15.0, 40.0)
    # Neutron: a porosity in v/v or %, but a count rate is no porosity: its data sets the range.
    assert default_scale("NPHI", "%") == (-15.0, 45.0, "linear", True)
    counts = np.linspace(81, 1666, 500)
    for unit in ("CPS", "cps", "API", "GAPI", "counts"):
        lo, hi, scale, rev = default_scale("NEUT", unit, counts)
        assert (lo, hi) == data_range(counts) and scale == "linear" and not rev, unit
    # SP is relative: the data's robust range (the fixed −100…50 only without data).
    sp = np.concatenate([np.linspace(90, 100, 500), [-3000.0, np.nan]])
    lo, hi, _, rev = default_scale("SP", "MV", sp)
    assert (lo, hi) == data_range(sp) and 85 < lo < 90 and 100 < hi < 105 and not rev
    # Fractions 0–1 (0–100 in %), computed or not, whatever the data's own range.
    vsh = np.linspace(0.13, 1.04, 100)
    for m in ("VSH", "VCL", "SW", "VSH_LAR", "SW:2"):
        assert default_scale(m, "V/V", vsh) == (0.0, 1.0, "linear", False), m
    assert default_scale("SW", "%", vsh * 100) == (0.0, 100.0, "linear", False)
    # Porosities on the neutron's scale, in v/v or %.
    phi = np.linspace(0.02, 0.3, 100)
    for m in ("PHID", "PHIE", "PHIT", "PHIN", "PHIND", "PHIS", "DPHI"):
        assert default_scale(m, "V/V", phi) == (-0.15, 0.45, "linear", True), m
        assert default_scale(m, "%", phi * 100) == (-15.0, 45.0, "linear", True), m


def test_data_mostly_off_a_fixed_scale_sets_the_range():
    # CALI said to be in inches but ~100 (mm really): not pinned to the edge of 6–16.
    cali = np.concatenate([np.full(80, 101.4), np.linspace(95, 103, 20)])
    lo, hi, scale, rev = default_scale("CALI", "in", cali)
    assert (lo, hi) == data_range(cali) and scale == "linear" and not rev
    # NPHI in v/v that is really % keeps its reversed orientation.
    nphi = np.linspace(5, 35, 100)
    lo, hi, _, rev = default_scale("NPHI", "v/v", nphi)
    assert (lo, hi) == data_range(nphi) and rev
    # A resistivity far below 0.2 ohm.m gets whole decades around its data, still log.
    assert default_scale("RT", "ohmm", np.linspace(0.003, 0.08, 100)) == (0.001, 0.1, "log", False)
    # Half inside is not "mostly outside": the fixed scale stays.
    gr = np.concatenate([np.full(50, 80.0), np.full(50, 180.0)])
    assert default_scale("GR", "gAPI", gr) == (0.0, 150.0, "linear", False)


def test_track_curve_normalises_its_data():
    curve = TrackCurve("DT", "us/ft", np.array([3.0, 2.0, np.nan, 1.0]), np.array([1, 2, 3, 4]), 140, 40,
                       reversed=True)
    assert curve.depths.tolist() == [1.0, 2.0, 3.0] and curve.values.tolist() == [4.0, 2.0, 1.0]
    assert value_at(curve, 1.9) == 2.0 and value_at(curve, 3.4) == 1.0 and value_at(curve, 9.0) is None
    assert curve.scale_label == "40 ← 140"
    with pytest.raises(ValueError):
        TrackCurve("ILD", "ohmm", np.arange(3.0), np.arange(3.0), 0.0, 2000.0, "log")


# ---- headers that do not fit drop whole parts; depth labels always differ -----------------

def header_is_whole(line: str, curve: TrackCurve, value: str | None) -> bool:
    """The header shows whole parts only: a prefix of (name, unit, scale...) token by token,
    or a shortened name ending in '…', then the complete value (or none)."""
    words = line.split()
    if value is not None and words and words[-1] == value:
        words = words[:-1]
    full = [curve.name, curve.unit, *curve.scale_label.split()]
    if len(words) == 1 and words[0].endswith("…") and curve.name.startswith(words[0][:-1]):
        return True
    return words == full[:len(words)] and len(words) in (0, 1, 2, len(full))


class NarrowApp(App):
    CSS = "Horizontal { height: 1fr; } LogTrack { width: 40; }"

    def __init__(self, curves) -> None:
        super().__init__()
        self.curves = curves

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield LogTrack(self.curves)


def header_curves() -> list[TrackCurve]:
    depths = np.linspace(1500.0, 1600.0, 101)
    return [
        TrackCurve("RHOB", "g/cm3", depths, np.full(101, 2.271), *default_scale("RHOB", "g/cm3"), color="red"),
        TrackCurve("RXO", "ohm.m", depths, np.full(101, 12.5), *default_scale("RXO", "ohm.m"), color="cyan"),
        TrackCurve("NPHI", "v/v", depths, np.full(101, 0.215), *default_scale("NPHI", "v/v"), color="green"),
    ]


@pytest.mark.parametrize("with_cursor", [False, True])
async def test_narrow_headers_drop_whole_parts_never_cut_numbers(with_cursor):
    app = NarrowApp(header_curves())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        track = app.query_one(LogTrack)
        track.top, track.bottom = 1500.0, 1600.0
        track.cursor = 1550.0 if with_cursor else None
        for outer in range(5, 42):
            track.styles.width = outer
            await pilot.pause()
            width = track.size.width
            assert width == outer - 1  # the left border takes one cell
            for y, curve in enumerate(app.curves):
                line = text_of(track, y)
                assert len(line) == width
                value = format_value(value_at(curve, 1550.0)) if with_cursor else None
                assert header_is_whole(line, curve, value), (width, line)
                if with_cursor and width >= len(value) + 2 + len(curve.name) + 1:
                    assert line.split()[0] == curve.name and line.split()[-1] == value, (width, line)
        # Wide enough: everything is there, scale included.
        track.styles.width = 41
        await pilot.pause()
        assert text_of(track, 1).startswith("RXO ohm.m 0.2–2000 log")


def test_fit_header_keeps_the_mnemonic_then_the_value_then_the_unit_then_the_scale():
    rhob = header_curves()[0]
    assert fit_header(rhob, " 2.271 ", 40) == ("RHOB g/cm3 1.95–2.95", " 2.271 ")
    assert fit_header(rhob, " 2.271 ", 20) == ("RHOB g/cm3", " 2.271 ")  # the scale goes first
    assert fit_header(rhob, " 2.271 ", 17) == ("RHOB", " 2.271 ")  # never "RHOB g/cm3 2.271" run together
    assert fit_header(rhob, " 2.271 ", 12) == ("RHOB", " 2.271 ")  # then the unit
    # Then the value (the readout line shows it too) — never the mnemonic while it fits.
    assert fit_header(rhob, " 2.271 ", 11) == ("RHOB g/cm3", "")
    assert fit_header(rhob, " 2.271 ", 10) == ("RHOB g/cm3", "")
    assert fit_header(rhob, " 2.271 ", 9) == ("RHOB", "")
    assert fit_header(rhob, " 2.271 ", 4) == ("RHOB", "")
    assert fit_header(rhob, " 2.271 ", 3) == ("RH…", "")  # only the mnemonic alone not fitting cuts it
    assert fit_header(rhob, " 2.271 ", 1) == ("…", "")
    assert fit_header(rhob, " 2.271 ", 0) == ("", "")
    assert fit_header(rhob, "", 12) == ("RHOB g/cm3", "")
    cali = TrackCurve("CALI", "in", np.arange(3.0), np.full(3, 101.3), 6.0, 16.0, color="red")
    assert fit_header(cali, " 101.3 ", 12) == ("CALI", " 101.3 ")
    assert fit_header(cali, " 101.3 ", 11) == ("CALI in", "")  # was "C…  101.3"


class AxisApp(App):
    CSS = "Horizontal { height: 1fr; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield DepthAxis()


@pytest.mark.parametrize("span", [0.25, 1.0, 3.0, 200.0])
async def test_depth_axis_labels_never_repeat_when_zoomed(span):
    app = AxisApp()
    async with app.run_test(size=(40, 48)) as pilot:
        axis = app.query_one(DepthAxis)
        axis.top, axis.bottom = 1669.75, 1669.75 + span
        await pilot.pause()
        printed = [text_of(axis, axis.header_lines + r).strip() for r, _ in axis.labels()]
        assert len(printed) >= 5 and all(printed)
        assert len(set(printed)) == len(printed), printed
        values = [float(t) for t in printed]
        assert all(b > a for a, b in zip(values, values[1:]))
        for (_, depth), value in zip(axis.labels(), values):
            assert value == pytest.approx(depth, abs=0.51 * 10 ** -axis.decimals())
        step = axis.step()
        assert all(abs(v / step - round(v / step)) < 1e-6 for v in values)  # round depths, exactly
        if span >= 200:
            assert all("." not in t for t in printed)  # whole metres need no decimals


@pytest.mark.parametrize("raw, step, decimals", [
    (0.0, 1.0, 0), (0.07, 0.1, 1), (0.2, 0.2, 1), (0.21, 0.25, 2), (3.1, 5.0, 0), (11, 20, 0),
    (21, 25, 0), (26, 50, 0), (51, 100, 0), (0.0021, 0.0025, 4),
])
def test_labels_step_by_a_round_amount_printed_exactly(raw, step, decimals):
    from tui.widgets.logtrack import nice_step, step_decimals

    assert nice_step(raw) == pytest.approx(step) and step_decimals(nice_step(raw)) == decimals


async def test_depth_axis_labels_round_depths_in_the_shown_unit():
    app = AxisApp()
    async with app.run_test(size=(40, 48)) as pilot:
        axis = app.query_one(DepthAxis)
        axis.top, axis.bottom = 1803.4, 2003.4  # an odd window: the labels are still round
        axis.convert = lambda d: d / 0.3048  # shown in feet
        axis.refresh()
        await pilot.pause()
        printed = [text_of(axis, axis.header_lines + r).strip() for r, _ in axis.labels()]
        step = axis.step()
        assert step in (10.0, 20.0, 25.0, 50.0, 100.0) and len(printed) >= 5
        assert all(float(t) % step == 0 for t in printed), printed
        for (row, depth), text in zip(axis.labels(), printed):
            assert depth / 0.3048 == pytest.approx(float(text))
            assert row == int((depth - axis.top) / (axis.bottom - axis.top) * axis.plot_rows)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_every_cell_has_the_themes_background(theme):
    """An unstyled cell shows the terminal's default background: dark tracks with bright
    grid bars in a light theme (a user review)."""
    app = TrackApp()
    async with app.run_test(size=(80, 30)) as pilot:
        app.theme = theme
        app.show(TOP, BOTTOM, (TOP + BOTTOM) / 2)
        await pilot.pause()
        for widget in (app.query_one(DepthAxis), app.query_one(LogTrack)):
            expected = widget.background_colors[1].rich_color
            for y in range(widget.size.height):
                for segment in widget.render_line(y):
                    style = segment.style
                    assert style is not None and style.bgcolor is not None, (widget, y, segment)
                colours = {s.style.bgcolor for s in widget.render_line(y) if not s.style.reverse}
                if y != widget.header_lines + (widget.cursor_row() if isinstance(widget, DepthAxis)
                                               else widget.depth_to_row(widget.cursor)):
                    assert colours == {expected}, (widget, y, colours)
