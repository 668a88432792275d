"""Panes are synchronized windows: selection, pinning, splitting, closing, settings."""

from __future__ import annotations

import json

from textual.widgets import DataTable, OptionList

from tui_helpers import L, make_app, ready, select_demo, settle, wait_until

FOUR_CURVES = L.Split("horizontal", tuple(L.Leaf(f"curves-{i}", "curves") for i in range(1, 5)))


async def test_selecting_in_one_pane_updates_every_linked_pane(tmp_path):
    app = make_app(tmp_path, L.Split("horizontal", (L.Leaf("wells-1", "wells"), FOUR_CURVES)))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        wells = app.query_one("#wells-1")
        options = wells.query_one(OptionList)
        # Choose the second well in the wells pane, with the keyboard, as a user would.
        options.focus()
        options.highlighted = options.get_option_index(str(demo["wells"][1].id))
        await pilot.press("enter")
        await settle(pilot)
        target = demo["wells"][1].id
        for i in range(1, 5):
            pane = app.query_one(f"#curves-{i}")
            assert pane.selection.well_id == target
            assert pane.query_one(DataTable).row_count == demo["wells"][1].curve_count


async def test_pinned_panes_keep_their_own_selection(tmp_path):
    app = make_app(tmp_path, FOUR_CURVES)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        pinned = app.query_one("#curves-2")
        pinned.query_one(DataTable).focus()
        await pilot.press("p")
        await settle(pilot)
        assert not pinned.linked and "pinned" in pinned.border_title
        await app.core.invoke("select_well", {"wellId": demo["wells"][2].id})
        await settle(pilot)
        assert pinned.selection.well_id == demo["wells"][0].id
        assert app.query_one("#curves-1").selection.well_id == demo["wells"][2].id
        # Choosing inside the pinned pane changes only the pane, not the shared selection.
        await pinned.choose(well_id=demo["wells"][1].id)
        await settle(pilot)
        assert pinned.selection.well_id == demo["wells"][1].id
        assert app.core.shared("selection").get().well_id == demo["wells"][2].id
        # Linking again follows the shared selection at once.
        await pilot.press("p")
        await settle(pilot)
        assert pinned.linked and pinned.selection.well_id == demo["wells"][2].id
        # What a pane shows is one derived store for its life: toggling adds no listener.
        baseline = app.core.listener_count()
        for _ in range(6):
            await pilot.press("p")
            await settle(pilot)
        assert pinned.linked and app.core.listener_count() == baseline


async def test_split_creates_a_synchronized_window_and_close_removes_its_listeners(tmp_path):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        baseline = app.core.listener_count()
        windows = set(app.core.windows)
        app.query_one("#curves-1").query_one(DataTable).focus()
        await pilot.press("s")
        await settle(pilot)
        assert "curves-2" in app.core.windows and app.core.listener_count() > baseline
        new = app.query_one("#curves-2")
        assert new.selection.well_id == demo["well"].id  # knows the selection at once
        await app.core.invoke("select_well", {"wellId": demo["wells"][1].id})
        await settle(pilot)
        assert new.selection.well_id == demo["wells"][1].id
        new.query_one(DataTable).focus()
        await pilot.press("x")
        await settle(pilot)
        assert set(app.core.windows) == windows
        assert app.core.listener_count() == baseline


async def test_many_splits_and_closes_return_to_the_listener_baseline(tmp_path):
    app = make_app(tmp_path, L.Leaf("wells-1", "wells"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        baseline = app.core.listener_count()
        for _ in range(5):
            await app.action_split("vertical", "curves")
            await settle(pilot, 1)
        assert len(app.panes()) == 6
        while len(app.panes()) > 1:
            await app.set_layout(L.close(app._tree, app.panes()[-1].pane_id))
            await settle(pilot, 1)
        assert app.core.listener_count() == baseline


async def test_settings_change_applies_in_every_pane(tmp_path):
    app = make_app(tmp_path, FOUR_CURVES)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        table = app.query_one("#curves-3").query_one(DataTable)
        top_m = table.get_cell_at((0, 2))
        await pilot.press("f2")
        await settle(pilot)
        assert app.core.get_window("settings") is not None
        from tui.settings import SettingsScreen

        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        await screen.window.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
        await settle(pilot)
        assert all(p.settings.depth_unit == "ft" for p in app.panes())
        # The select on the settings screen mirrors the change too.
        from textual.widgets import Select

        assert screen.query_one("#set-depth_unit", Select).value == "ft"
        top_ft = table.get_cell_at((0, 2))
        assert float(top_ft) == __import__("pytest").approx(float(top_m) / 0.3048, rel=1e-3)
        await pilot.press("escape")
        await settle(pilot)
        assert app.core.get_window("settings") is None


async def test_settings_window_receives_emit_to(tmp_path):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await settle(pilot)
        app.core.get_window("curves-1").emit_to("settings", "settings:focus", {"field": "depth_unit"})
        await settle(pilot)
        assert app.screen.focused is not None and app.screen.focused.id == "set-depth_unit"


async def test_layout_and_pane_settings_are_restored_on_the_next_start(tmp_path):
    app = make_app(tmp_path, None, save_layout=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        app.query_one("#curves-1").query_one(DataTable).focus()
        await pilot.press("S")
        await settle(pilot)
        app.query_one("#curves-2").query_one(DataTable).focus()
        await pilot.press("p")
        await settle(pilot)
    saved = json.loads((tmp_path / "layout.json").read_text())
    tree = L.from_dict(saved)
    assert L.find(tree, "curves-2").settings["linked"] is False
    again = make_app(tmp_path, None, save_layout=True)
    async with again.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        assert [p.pane_id for p in again.panes()] == [leaf.pane_id for leaf in L.leaves(tree)]
        assert again.query_one("#curves-2").linked is False


async def test_the_next_start_comes_back_to_the_selected_well_curve_and_depth(tmp_path):
    app = make_app(tmp_path, None, save_layout=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 2)
        curves = await app.core.invoke("list_curves", {"wellId": demo["well"].id})
        await app.core.invoke("select_curve", {"curveId": curves[3].id})
        await app.core.invoke("set_depth_window", {"top": 1800.0, "bottom": 1900.0, "cursor": 1850.0})
        await settle(pilot)
    again = make_app(tmp_path, None, save_layout=True)
    async with again.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        await wait_until(lambda: again.core.shared("selection").get().curve_id == curves[3].id, pilot=pilot)
        await settle(pilot)
        assert again.core.shared("selection").get().well_id == demo["well"].id
        view = again.core.shared("depth_window").get()
        assert (view.top, view.bottom, view.cursor) == (1800.0, 1900.0, 1850.0)
        assert again.query_one("#log-tracks-1").view == view
    # The curve is gone by the next start (deleted by another process): back to its well.
    session = json.loads((tmp_path / "session.json").read_text())
    assert session["selection"]["curve_id"] == curves[3].id
    session["selection"]["curve_id"] = 10**9
    (tmp_path / "session.json").write_text(json.dumps(session))
    third = make_app(tmp_path, None, save_layout=True)
    async with third.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        await wait_until(lambda: third.core.shared("selection").get().well_id == demo["well"].id, pilot=pilot)
        assert third.core.shared("selection").get().curve_id is None


async def test_a_corrupt_saved_layout_falls_back_to_the_default_with_a_notice(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "layout.json").write_text('{"split": "diagonal"}')
    app = make_app(tmp_path, None, save_layout=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        assert [p.pane_id for p in app.panes()] == [x.pane_id for x in L.leaves(L.default_layout())]
        assert any("Saved layout ignored" in n.message for n in app._notifications)


async def test_zoom_and_cycle_focus(tmp_path):
    app = make_app(tmp_path, None)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        first = app.focused_pane()
        await pilot.press("o")
        await settle(pilot, 1)
        assert app.focused_pane() is not first
        await pilot.press("z")
        await settle(pilot, 1)
        zoomed = app.focused_pane()
        assert app.screen.maximized is zoomed
        await pilot.press("z")
        await settle(pilot, 1)
        assert app.screen.maximized is None


async def test_a_zoomed_pane_fills_the_screen_whatever_its_share_of_a_split(tmp_path):
    layout = L.Split("horizontal", (L.Leaf("wells-1", "wells"), L.Leaf("curves-1", "curves")), (0.3, 0.7))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        for pane_id in ("wells-1", "curves-1"):
            pane = app.query_one(f"#{pane_id}")
            await pilot.click(f"#{pane_id}", offset=(2, 2))
            await settle(pilot, 1)
            assert app.focused_pane() is pane
            await pilot.press("z")
            await settle(pilot, 1)
            assert app.screen.maximized is pane
            # the screen above the footer, not its split share (`70fr`) times the screen
            assert (pane.region.x, pane.region.width, pane.region.height) == (0, 160, 39)
            await pilot.press("z")
            await settle(pilot, 1)
            assert app.screen.maximized is None and pane.region.width < 160
        await settle(pilot, 1)
        assert app.screen.maximized is None


async def test_bad_input_is_a_notification_not_a_crash(tmp_path):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        pane = app.query_one("#curves-1")
        result = await pane.try_invoke("get_curve_data", {"curveId": 999_999})
        await settle(pilot)
        assert result is None
        assert "curve 999999 not found" in pane.error
        assert any("curve 999999 not found" in n.message for n in app._notifications)
        # ... and in the pane itself, after the notification has gone: a line at its foot.
        strip = pane.query_one(".pane-error")
        assert strip.display and pane.region.contains_region(strip.region)
        assert "curve 999999 not found" in str(strip.render())
        assert app.is_running


async def test_cycling_to_a_pane_focuses_its_first_control_so_enter_works(tmp_path):
    from textual.widgets import Select

    layout = L.Split("horizontal", (L.Leaf("wells-1", "wells"), L.Leaf("udf-runner-1", "udf-runner")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        for _ in range(3):
            if app.focused_pane() is app.query_one("#udf-runner-1"):
                break
            await pilot.press("o")
            await settle(pilot, 1)
        select = app.query_one("#udf-select", Select)
        assert app.focused is select  # not the scroll container around the form
        await pilot.press("enter")
        await settle(pilot, 1)
        assert select.expanded
        # The dropdown is Textual's (at most 12 rows, every option drawn), not stretched by
        # the app's rule for the panes' own lists.
        from textual.widgets._select import SelectOverlay

        overlay = select.query_one(SelectOverlay)
        assert 3 <= overlay.region.height <= 14
        udfs = await app.core.invoke("list_udfs")
        assert overlay.option_count == len(udfs) + 1  # the prompt, then every UDF
        rows = overlay.region.height - 2  # inside its border: the prompt and the first UDFs
        assert rows >= min(10, len(udfs) + 1)


async def test_text_fields_do_not_swallow_the_app_keys(tmp_path):
    from textual.widgets import Input

    layout = L.Split("horizontal", (L.Leaf("wells-1", "wells"), L.Leaf("event-log-1", "event-log")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        for _ in range(3):
            if app.focused_pane() is log:
                break
            await pilot.press("o")
            await settle(pilot, 1)
        assert isinstance(app.focused, DataTable)  # the table, not the filter box
        await pilot.press("slash")  # into the filter on purpose
        await settle(pilot, 1)
        assert isinstance(app.focused, Input)
        await pilot.press("a", "b")
        await pilot.press("escape")  # and out again: keys act on the pane once more
        await settle(pilot, 1)
        assert isinstance(app.focused, DataTable) and log.query_one(Input).value == "ab"
        await pilot.press("z")
        await settle(pilot, 1)
        assert app.screen.maximized is log
        await pilot.press("escape")  # not in a field: the app's escape (unzoom) applies
        await settle(pilot, 1)
        assert app.screen.maximized is None


async def test_work_cut_short_by_closing_its_pane_ends_quietly(tmp_path):
    """A pane's children go before its workers are cancelled: a load finding its table gone
    must not crash the app, while the same error in a live pane is still an error."""
    from textual.worker import WorkerState

    app = make_app(tmp_path, L.Leaf("wells-1", "wells"))
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        pane = app.query_one("#wells-1")

        async def load():
            pane.query_one("#no-such-widget")

        live = pane.run_worker(load, exit_on_error=False)
        await wait_until(lambda: live.is_finished, pilot=pilot)
        assert live.state == WorkerState.ERROR  # a real bug still surfaces
        pane._pruning = True  # as Textual marks a pane being removed, children first
        try:
            closing = pane.run_worker(load, exit_on_error=False)
            await wait_until(lambda: closing.is_finished, pilot=pilot)
        finally:
            pane._pruning = False
        assert closing.state == WorkerState.SUCCESS and app.is_running


async def test_next_pane_reaches_a_pane_with_nothing_to_focus_and_goes_on(tmp_path):
    """`o` stopped at the pane before an empty Executions list (nothing in it to focus), and
    the keys meant for other panes went into the UDF form (a user review)."""
    from textual.widgets import Select

    layout = L.Split("horizontal", (L.Leaf("udf-runner-1", "udf-runner"), L.Leaf("executions-1", "executions"),
                                    L.Leaf("wells-1", "wells")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(180, 40)) as pilot:
        await ready(pilot)
        app.query_one("#udf-select", Select).focus()
        visited = []
        for _ in range(3):
            await pilot.press("o")
            await settle(pilot)
            visited.append(app.focused_pane().pane_id)
        assert visited == ["executions-1", "wells-1", "udf-runner-1"]


async def test_closing_the_zoomed_pane_shows_the_others(tmp_path):
    app = make_app(tmp_path, FOUR_CURVES)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        app.query_one("#curves-2").query_one(DataTable).focus()
        await pilot.press("z")
        await settle(pilot)
        assert app.screen.maximized is not None
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.maximized is None  # it left a blank screen
        assert [p.pane_id for p in app.panes()] == ["curves-1", "curves-3", "curves-4"]
        assert all(p.size.width > 0 and p.size.height > 0 for p in app.panes())
