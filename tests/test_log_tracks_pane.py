"""The Log tracks pane as a user drives it: the depth cursor and window stay over the well,
the title names the well shown, depth labels never repeat, and no curve is dropped silently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.dataforge.models import CurveInfo
from tui.panes._log_tracks import MAX_PER_TRACK, MAX_TRACKS, group_tracks, parse_depth, plan_tracks
from tui.widgets import DepthAxis, LogTrack
from tui_helpers import L, make_app, ready, select_demo, settle, wait_until

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LAS = ROOT / "core" / "dataforge" / "data" / "las" / "sample.las"
ONE_PANE = L.Leaf("log-tracks-1", "log-tracks")


def readout(pane) -> str:
    return str(pane.query_one("#track-readout").render())


def window_of(pane) -> tuple[float, float, float | None]:
    track = pane.query(LogTrack).first()
    return track.top, track.bottom, track.cursor


def printed_labels(pane) -> list[str]:
    axis = pane.query_one(DepthAxis)
    return [axis.render_line(axis.header_lines + r).text.strip() for r, _ in axis.labels()]


async def open_demo(pilot, app) -> tuple:
    demo = await select_demo(pilot, 0)
    pane = app.query_one("#log-tracks-1")
    await wait_until(lambda: bool(pane.query(LogTrack)), pilot=pilot)
    await settle(pilot)
    pane.query_one("#track-area").focus()
    return demo["well"], pane


async def go_to(pilot, app, depth: str) -> None:
    await pilot.press("g")
    await settle(pilot)
    app.screen.query_one("#ask-input").value = depth
    await pilot.press("enter")
    await settle(pilot)


def assert_cursor_inside(pane, well) -> None:
    top, bottom, cursor = window_of(pane)
    assert cursor is not None
    assert well.start_depth <= cursor <= well.stop_depth, (cursor, well.start_depth, well.stop_depth)
    assert top <= cursor <= bottom, (top, cursor, bottom)
    shown = readout(pane).split(" m")[0].replace(",", "")
    assert well.start_depth - 0.005 <= float(shown) <= well.stop_depth + 0.005, readout(pane)


# ---- 1. the depth cursor stays in the well and in the window -----------------------------------

async def test_paging_keeps_the_cursor_inside_the_well_and_the_window(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        await go_to(pilot, app, str(well.start_depth))
        assert window_of(pane)[2] == well.start_depth
        await pilot.press("pageup", "pageup")
        await settle(pilot)
        assert_cursor_inside(pane, well)
        assert window_of(pane)[2] == well.start_depth
        assert readout(pane).startswith(f"{well.start_depth:.2f} m")
        for _ in range(6):
            await pilot.press("pagedown")
            await settle(pilot)
            assert_cursor_inside(pane, well)
        # Paging moves the cursor with the window (6 × 0.8 × 200 m)...
        assert window_of(pane)[2] == pytest.approx(well.start_depth + 6 * 160)
        await pilot.press("pagedown", "pagedown", "pagedown")
        await settle(pilot)
        # ...but never past the end of the well.
        assert_cursor_inside(pane, well)
        assert window_of(pane)[2] == pytest.approx(well.stop_depth)
        await pilot.press("up")
        await settle(pilot)
        assert_cursor_inside(pane, well)
        await pilot.press("f")
        await settle(pilot)
        assert_cursor_inside(pane, well)
        top, bottom, _ = window_of(pane)
        assert (top, bottom) == (well.start_depth, well.stop_depth)


async def test_a_cursor_left_outside_the_well_is_brought_back_by_the_next_move(tmp_path):
    # The shared window can be set from anywhere (another pane, the CLI): the pane's next
    # move clamps what it sets.
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        await app.core.invoke("set_depth_window", {"top": 1300.0, "bottom": 1500.0, "cursor": -100.0})
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert_cursor_inside(pane, well)
        await app.core.invoke("set_depth_window", {"top": 5400.0, "bottom": 5600.0, "cursor": 5500.2})
        await settle(pilot)
        await pilot.press("pageup")
        await settle(pilot)
        assert_cursor_inside(pane, well)
        top, bottom, _ = window_of(pane)
        assert top < well.stop_depth and bottom > well.start_depth


async def test_the_cursor_scrolls_the_window_but_stops_at_the_bottom_of_the_well(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        await pilot.press("end")
        await settle(pilot)
        assert window_of(pane)[2] == pytest.approx(well.stop_depth)
        await pilot.press("down", "down", "down")
        await settle(pilot)
        assert_cursor_inside(pane, well)
        assert window_of(pane)[2] == pytest.approx(well.stop_depth)


# ---- 2. zooming stays over the well's data --------------------------------------------------

def assert_window_over_data(pane, well) -> None:
    top, bottom, _ = window_of(pane)
    assert well.start_depth <= (top + bottom) / 2 <= well.stop_depth, (top, bottom)
    track = pane.query(LogTrack).first()
    plot = [track.render_line(y).text for y in range(track.header_lines, track.size.height)]
    assert any(0x2801 <= ord(ch) <= 0x28FF for line in plot for ch in line), "the tracks show data"
    labels = [float(t) for t in printed_labels(pane)]
    assert labels and any(well.start_depth <= d <= well.stop_depth for d in labels), labels


async def test_zooming_in_after_paging_past_the_top_stays_over_the_well(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        await go_to(pilot, app, str(well.start_depth))
        await pilot.press("pageup", "pageup", "f")
        await settle(pilot)
        for _ in range(10):
            await pilot.press("plus")
            await settle(pilot)
            assert_window_over_data(pane, well)
        assert_cursor_inside(pane, well)


async def test_zooming_around_a_stale_cursor_zooms_towards_the_well(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        await app.core.invoke("set_depth_window", {"top": 1400.0, "bottom": 1600.0, "cursor": 1420.0})
        await settle(pilot)
        for _ in range(10):
            await pilot.press("plus")
            await settle(pilot)
        assert_window_over_data(pane, well)
        assert_cursor_inside(pane, well)
        for _ in range(12):  # and zooming out never leaves more than the well plus a margin
            await pilot.press("minus")
            await settle(pilot)
        top, bottom, _ = window_of(pane)
        length = well.stop_depth - well.start_depth
        assert bottom - top <= length * 1.1 + 1e-6
        assert top >= well.start_depth - length * 0.05 - 1e-6


# ---- 3. narrow tracks: whole header parts only --------------------------------------------

@pytest.mark.parametrize("columns", [70, 100, 120])  # five tracks of 13 to 26 cells
async def test_narrow_track_headers_never_show_a_cut_number(tmp_path, columns):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(columns, 40)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        await go_to(pilot, app, "2000")
        for track in pane.query(LogTrack):
            for y, curve in enumerate(track.curves):
                line = track.render_line(y).text
                words = line.split()
                scale = curve.scale_label.split()
                assert not any(w not in scale and any(s.startswith(w) for s in scale) for w in words[2:]), line
                assert words[0] == curve.name or words[0].endswith("…"), line


# ---- 4. the title names the well shown --------------------------------------------------

async def test_pinning_keeps_the_well_name_in_the_title(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        assert str(pane.border_title).endswith(f"· {well.name}  ◇ linked")
        await pilot.press("p")
        await settle(pilot)
        assert not pane.linked
        assert str(pane.border_title) == f"Log tracks · log-tracks-1 · {well.name}  ◆ pinned"
        await pilot.press("p")
        await settle(pilot)
        assert pane.linked and str(pane.border_title).endswith(f"· {well.name}  ◇ linked")


async def test_no_well_selected_leaves_no_old_well_name_in_the_title(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        assert well.name in str(pane.border_title)
        samples = next(w for w in await app.core.invoke("list_workspaces") if w.name == "Samples")
        await app.core.invoke("select_workspace", {"workspaceId": samples.id})
        await wait_until(lambda: "Select a well" in readout(pane), pilot=pilot)
        assert well.name not in str(pane.border_title)
        assert str(pane.border_title) == "Log tracks · log-tracks-1  ◇ linked"


# ---- 5. depth labels on a short, finely sampled file ------------------------------------

async def import_sample(pilot, app, path: Path = SAMPLE_LAS):
    result = await app.core.invoke("import_las", {"path": str(path)})
    await app.core.invoke("select_workspace", {"workspaceId": result.well.workspace_id})
    await app.core.invoke("select_well", {"wellId": result.well.id})
    pane = app.query_one("#log-tracks-1")
    await wait_until(lambda: pane._loaded_for == result.well.id and bool(pane.query(LogTrack)), pilot=pilot)
    await settle(pilot)
    pane.query_one("#track-area").focus()
    return result, pane


async def test_depth_labels_never_repeat_when_zoomed_on_a_quarter_metre_file(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 60)) as pilot:
        await ready(pilot)
        _, pane = await import_sample(pilot, app)
        for key in ["f"] + ["plus"] * 10:
            await pilot.press(key)
            await settle(pilot)
            labels = printed_labels(pane)
            assert len(labels) >= 5
            assert len(set(labels)) == len(labels), labels
            values = [float(t) for t in labels]
            assert all(b > a for a, b in zip(values, values[1:])), labels


# ---- 6. every curve is drawn, or the pane says which are not ------------------------------

async def test_every_curve_of_sample_las_is_in_a_track(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        result, pane = await import_sample(pilot, app)
        drawn = [c.name for t in pane.query(LogTrack) for c in t.curves]
        assert sorted(drawn) == sorted(c.mnemonic for c in result.curves)
        assert "ILD" in drawn
        assert "not shown" not in readout(pane)


def write_las(path: Path, mnemonics: list[str]) -> Path:
    lines = ["~Version", " VERS. 2.0 :", " WRAP. NO :", "~Well",
             " STRT.M 1000.0 :", " STOP.M 1002.0 :", " STEP.M 0.5 :", " NULL. -999.25 :",
             " WELL. MANY-RES :", "~Curve", " DEPT.M : depth"]
    lines += [f" {m}.OHMM : resistivity {m}" for m in mnemonics]
    lines.append("~A")
    for k in range(5):
        lines.append(" ".join([f"{1000 + 0.5 * k:.1f}"] + [f"{1 + j + 0.1 * k:.2f}" for j in range(len(mnemonics))]))
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_curves_that_do_not_fit_are_named_in_the_readout(tmp_path):
    names = [f"R{k:02d}" for k in range(1, 21)]
    las = write_las(tmp_path / "many.las", names)
    app = make_app(tmp_path / "data", ONE_PANE)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        _, pane = await import_sample(pilot, app, las)
        tracks = list(pane.query(LogTrack))
        assert len(tracks) == MAX_TRACKS
        drawn = [c.name for t in tracks for c in t.curves]
        assert drawn == names[:MAX_TRACKS * MAX_PER_TRACK]
        assert "+5 curves not shown: R16, R17, R18, R19, …" in readout(pane)
        await pilot.press("down")  # the cursor readout keeps the note
        await settle(pilot)
        assert readout(pane).startswith("+5 curves not shown")


def curve(i: int, mnemonic: str, unit: str = "", computed: bool = False) -> CurveInfo:
    return CurveInfo(id=i, well_id=1, mnemonic=mnemonic, unit=unit, is_computed=computed)


def test_group_tracks_overflows_a_family_into_more_tracks():
    curves = [curve(i, m, "ohmm") for i, m in enumerate(["SFLU", "SFLA", "ILM", "ILD"])]
    curves += [curve(10, "DT", "us/m"), curve(11, "RHOB", "k/m3"), curve(12, "NPHI", "v/v")]
    tracks, hidden = plan_tracks(curves)
    assert [(name, [c.mnemonic for c in cs]) for name, cs in tracks] == [
        ("Resistivity", ["SFLU", "SFLA", "ILM"]), ("Resistivity 2", ["ILD"]),
        ("Porosity", ["RHOB", "NPHI"]), ("Sonic", ["DT"])]
    assert hidden == []
    assert group_tracks(curves) == tracks


def test_every_family_gets_a_track_before_any_gets_a_second():
    curves = [curve(i, f"GR{i}") for i in range(7)]  # three gamma tracks' worth
    curves += [curve(20 + i, f"RT{i}", "ohmm") for i in range(4)]
    curves += [curve(30, "DT", "us/ft")]
    tracks, hidden = plan_tracks(curves)
    assert [name for name, _ in tracks] == ["Gamma", "Gamma 2", "Resistivity", "Resistivity 2", "Sonic"]
    assert [c.mnemonic for c in hidden] == ["GR6"]
    # Five families: one track each, the overflow is reported, not dropped.
    curves += [curve(31, "VSH", computed=True), curve(32, "FOO")]
    tracks, hidden = plan_tracks(curves)
    assert [name for name, _ in tracks] == ["Gamma", "Resistivity", "Sonic", "Computed", "Other"]
    shown = {c.id for _, cs in tracks for c in cs}
    assert shown | {c.id for c in hidden} == {c.id for c in curves} and not shown & {c.id for c in hidden}
    assert [c.mnemonic for c in hidden] == ["GR3", "GR4", "GR5", "GR6", "RT3"]


# ---- 7. a new well never opens on a window that misses it ---------------------------------

SHALLOW_LAS = SAMPLE_LAS.with_name("6038187_v1.2.las")  # Scorpio E1: 0.05–136.6 m


async def show_demo_well(pilot, app, pane, index: int = 0):
    demo = await select_demo(pilot, index)
    well = demo["well"]
    await wait_until(lambda: pane._shown_well == well.id and bool(pane.query(LogTrack)), pilot=pilot)
    await settle(pilot)
    return well


@pytest.mark.parametrize("pinned", [False, True])
async def test_a_deep_well_after_a_shallow_one_opens_on_its_own_default_window(tmp_path, pinned):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        _, pane = await import_sample(pilot, app, SHALLOW_LAS)
        await pilot.press("f", "down")
        await settle(pilot)
        top, bottom, cursor = window_of(pane)
        assert bottom < 200 and cursor is not None
        if pinned:
            await pilot.press("p")
            await settle(pilot)
            assert not pane.linked
            demo = next(w for w in await app.core.invoke("list_workspaces") if w.name == "Demo")
            well = (await app.core.invoke("list_wells", {"workspaceId": demo.id}))[0]
            await pane.choose(workspace_id=demo.id)
            await pane.choose(well_id=well.id)
            await wait_until(lambda: pane._shown_well == well.id and bool(pane.query(LogTrack)), pilot=pilot)
            await settle(pilot)
        else:
            well = await show_demo_well(pilot, app, pane)
        assert well.name == "Alder-1"
        top, bottom, cursor = window_of(pane)
        assert (top, bottom) == (well.start_depth, well.start_depth + 200)
        assert cursor is None
        assert readout(pane).startswith("1,500.0–1,700.0 m of 1,500.0–2,500.0 m")
        if not pinned:  # the shared window itself was reset, not just this pane's view of it
            assert app.core.shared("depth_window").get().top is None


async def test_a_window_over_the_new_well_is_kept(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        well, pane = await open_demo(pilot, app)
        await go_to(pilot, app, "2000")
        before = window_of(pane)
        assert before[2] == 2000.0
        other = await show_demo_well(pilot, app, pane, 1)
        assert other.id != well.id
        assert window_of(pane) == before  # wells compared at the same depths


async def test_a_cursor_outside_the_new_well_is_brought_into_it(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await open_demo(pilot, app)
        await app.core.invoke("set_depth_window", {"top": 50.0, "bottom": 1550.0, "cursor": 1520.0})
        await settle(pilot)
        result, pane = await import_sample(pilot, app, SHALLOW_LAS)
        await wait_until(lambda: pane._shown_well == result.well.id, pilot=pilot)
        await settle(pilot)
        top, bottom, cursor = window_of(pane)
        assert (top, bottom) == (50.0, 1550.0)
        assert cursor == pytest.approx(result.well.stop_depth)


# ---- 8. scales follow the curve's unit; data far off a fixed scale sets its own range -----------

async def test_scorpio_scales_follow_units_and_data(tmp_path):
    # Scorpio E1: CALI in MM (~100), NEUT in CPS (81–1666), SP in MV (~90–100).
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        _, pane = await import_sample(pilot, app, SHALLOW_LAS)
        curves = {c.name: c for t in pane.query(LogTrack) for c in t.curves}
        for name in ("CALI", "NEUT", "SP"):
            c = curves[name]
            v = c.values[np.isfinite(c.values)]
            inside = np.count_nonzero((v >= c.lo) & (v <= c.hi))
            assert inside >= 0.9 * v.size, (name, c.lo, c.hi, v.min(), v.max())
        assert (curves["CALI"].lo, curves["CALI"].hi) == (150.0, 400.0) or curves["CALI"].hi < 150
        assert not curves["NEUT"].reversed and curves["NEUT"].hi > 1000
        assert curves["SP"].hi > 100  # from the data, not the fixed −100…50


# ---- 9. narrow panes: the mnemonic first, a short keyboard hint --------------------------------

SIDE_BY_SIDE = L.Split("horizontal", (ONE_PANE, L.Leaf("log-tracks-2", "log-tracks")))


@pytest.mark.parametrize("columns", [100, 120, 140, 160])  # two panes: tracks of 7 to 13 cells
async def test_side_by_side_headers_keep_the_mnemonic_before_the_value(tmp_path, columns):
    app = make_app(tmp_path, SIDE_BY_SIDE)
    async with app.run_test(size=(columns, 40)) as pilot:
        await ready(pilot)
        _, pane = await open_demo(pilot, app)
        await go_to(pilot, app, "2000")
        for track in pane.query(LogTrack):
            width = track.size.width
            for y, c in enumerate(track.curves):
                line = track.render_line(y).text
                assert line.split(), line
                if len(c.name) <= width:
                    assert line.split()[0] == c.name, (width, line)  # not "C…  101.3" nor "…  28.6"
                else:
                    assert line.strip() == c.name[:width - 1] + "…", (width, line)


async def test_the_readout_hint_is_short_and_keyboard_first(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(80, 40)) as pilot:
        await ready(pilot)
        _, pane = await open_demo(pilot, app)
        span = "1,500.0–1,700.0 m of 1,500.0–2,500.0 m"
        assert readout(pane) == f"{span} · ↓ cursor · f fit · g go to"
        box = pane.query_one("#track-readout")
        # Narrower panes: the keys go from the end, whole, never cut; the interval stays first.
        for columns, hints in ((70, " · ↓ cursor · f fit"), (60, " · ↓ cursor"), (50, "")):
            await pilot.resize_terminal(columns, 40)
            await settle(pilot)
            assert readout(pane) == span + hints, columns
            assert len(readout(pane)) <= box.content_region.width or not hints


# ---- 10. go to depth: a comma is a thousands separator only ----------------------------------

@pytest.mark.parametrize("text, depth", [("1500", 1500.0), (" 1,500 ", 1500.0), ("12,345.5", 12345.5),
                                         ("1,234,567", 1234567.0), ("1.5e3", 1500.0), ("-2.5", -2.5)])
def test_parse_depth_reads_numbers_and_thousands_separators(text, depth):
    assert parse_depth(text) == depth


@pytest.mark.parametrize("text, message", [
    ("1,5", "use a dot for decimals"), ("1,50", "use a dot for decimals"), ("1500,5", "use a dot"),
    (",500", "use a dot"), ("1,500,5", "use a dot"), ("nan", "is not a number"), ("inf", "is not a number"),
    ("-Infinity", "is not a number"), ("deep", "is not a number"), ("", "is not a number")])
def test_parse_depth_refuses_decimal_commas_and_non_numbers(text, message):
    with pytest.raises(ValueError, match=message):
        parse_depth(text)


async def test_go_to_depth_explains_a_decimal_comma(tmp_path):
    app = make_app(tmp_path, ONE_PANE)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        _, pane = await open_demo(pilot, app)
        await pilot.press("g")
        await settle(pilot)
        box = app.screen.query_one("#ask-input")
        for text, message in (("1,5", "use a dot for decimals"), ("nan", "'nan' is not a number"),
                              ("inf", "'inf' is not a number")):
            box.value = text
            await pilot.press("enter")
            await settle(pilot)
            assert message in str(app.screen.query_one("#ask-error").render()), text
        box.value = "2,000.5"
        await pilot.press("enter")
        await settle(pilot)
        assert window_of(pane)[2] == 2000.5
