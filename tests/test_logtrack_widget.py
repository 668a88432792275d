"""`LogTrack` and `DepthAxis` in a real (headless) Textual app, with 100 000 samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual import events, on
from textual.app import App, ComposeResult
from textual.containers import Horizontal

from tui.widgets import DepthAxis, LogTrack, TrackCurve, default_scale, format_value, value_at

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
        assert TOP < depths[0] < depths[-1] < BOTTOM
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


def test_track_curve_normalises_its_data():
    curve = TrackCurve("DT", "us/ft", np.array([3.0, 2.0, np.nan, 1.0]), np.array([1, 2, 3, 4]), 140, 40,
                       reversed=True)
    assert curve.depths.tolist() == [1.0, 2.0, 3.0] and curve.values.tolist() == [4.0, 2.0, 1.0]
    assert value_at(curve, 1.9) == 2.0 and value_at(curve, 3.4) == 1.0 and value_at(curve, 9.0) is None
    assert curve.scale_label == "40 ← 140"
    with pytest.raises(ValueError):
        TrackCurve("ILD", "ohmm", np.arange(3.0), np.arange(3.0), 0.0, 2000.0, "log")
