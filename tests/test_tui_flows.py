"""Flows a user runs: UDF runs seen everywhere, cancel, linked log tracks, outside changes, the event log."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

from textual.widgets import DataTable, ProgressBar, Select

from core.dataforge.context import DataForge
from core.dataforge.udfs import udf
from core.tasks import TaskManager
from tui.widgets import LogTrack
from tui_helpers import L, make_app, ready, select_demo, settle, wait_until

ROOT = Path(__file__).resolve().parents[1]

RUN_LAYOUT = L.Split("horizontal", (
    L.Split("vertical", (L.Leaf("curves-1", "curves"), L.Leaf("curves-2", "curves"))),
    L.Split("vertical", (L.Leaf("udf-runner-1", "udf-runner"), L.Leaf("executions-1", "executions"))),
))


def hold_udf(app, gate: threading.Event, reached: threading.Event) -> None:
    """A UDF that reports progress, then waits for the test: a run caught mid-way."""
    registry = app.core.state(DataForge).registry

    @udf("hold_test", name="Hold", inputs=["GR"], output="GR_HOLD", registry=registry, replace=True)
    def hold(inputs, params, ctx):
        reached.set()
        gate.wait(20)
        return inputs["GR"] * 1.0


async def choose_udf(pilot, runner, udf_id: str) -> None:
    await runner.reload_udfs()
    runner.query_one("#udf-select", Select).value = udf_id
    await settle(pilot)
    await wait_until(lambda: runner.check is not None and runner.check.ok, pilot=pilot)


async def start_held_run(app, pilot, click: bool = True):
    """Start `hold_test` from the runner and wait until the UDF body is running: (runner, gate, id).
    `click` presses the Run button; otherwise the action runs as a key binding would."""
    gate, reached = threading.Event(), threading.Event()
    hold_udf(app, gate, reached)
    runner = app.query_one("#udf-runner-1")
    await choose_udf(pilot, runner, "hold_test")
    if click:
        await pilot.click("#udf-run")
    else:
        await runner.action_run()
    await asyncio.to_thread(reached.wait, 10)
    await settle(pilot)
    return runner, gate, runner.execution_id


async def test_a_udf_run_shows_progress_in_two_panes_and_its_result_in_every_curve_list(tmp_path):
    app = make_app(tmp_path, RUN_LAYOUT)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        runner, gate, running = await start_held_run(app, pilot)
        assert running is not None
        assert not runner.query_one("#udf-cancel").disabled and runner.query_one("#udf-run").disabled
        executions = app.query_one("#executions-1")
        row = executions.query_one(f"#exec-{running}")
        assert row.info.state == "running"
        assert row.query_one(ProgressBar).progress == runner.query_one("#udf-progress", ProgressBar).progress > 0
        gate.set()
        await wait_until(lambda: runner.execution_id is None, pilot=pilot)
        await settle(pilot)
        assert executions.query_one(f"#exec-{running}").info.state == "completed"
        for pane_id in ("curves-1", "curves-2"):
            table = app.query_one(f"#{pane_id}").query_one(DataTable)
            assert table.row_count == demo["well"].curve_count + 1
            assert any("GR_HOLD" in str(table.get_row_at(i)[0]) for i in range(table.row_count))


async def test_an_executions_pane_opened_mid_run_names_the_run_and_sees_it_end(tmp_path):
    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        runner, gate, running = await start_held_run(app, pilot)
        expected = next(i for i in await app.core.invoke("list_executions") if i.id == running)
        await app.action_split("horizontal", "executions")
        await wait_until(lambda: len(app.query(f"#exec-{running}")) == 1, pilot=pilot)
        pane = app.query_one("#executions-1")
        gate.set()
        await wait_until(lambda: pane.query_one(f"#exec-{running}").info.state == "completed", pilot=pilot)
        await settle(pilot)
        info = pane.query_one(f"#exec-{running}").info
        assert info.name == expected.name and info.udf_id == "hold_test" and info.fraction == 1.0
        assert expected.name in str(pane.query_one(f"#exec-{running} .exec-name").render())


async def test_cancel_from_the_executions_pane_leaves_no_curve(tmp_path):
    app = make_app(tmp_path, RUN_LAYOUT)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        runner, gate, execution = await start_held_run(app, pilot, click=False)
        await pilot.click(f"#exec-{execution} .exec-cancel")
        gate.set()
        await wait_until(lambda: runner.execution_id is None, pilot=pilot)
        await settle(pilot)
        assert "cancelled" in str(runner.query_one("#udf-status").render())
        assert app.query_one("#executions-1").query_one(f"#exec-{execution}").info.state == "cancelled"
        curves = await app.core.invoke("list_curves", {"wellId": demo["well"].id})
        assert len(curves) == demo["well"].curve_count
        assert app.query_one("#curves-1").query_one(DataTable).row_count == demo["well"].curve_count


async def test_the_executions_pane_cancels_with_a_key_too(tmp_path):
    app = make_app(tmp_path, RUN_LAYOUT)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        runner, gate, execution = await start_held_run(app, pilot, click=False)
        executions = app.query_one("#executions-1")
        executions.query_one("#exec-list").focus()
        await pilot.press("c")
        gate.set()
        await wait_until(lambda: runner.execution_id is None, pilot=pilot)
        await settle(pilot)
        assert executions.query_one(f"#exec-{execution}").info.state == "cancelled"
        assert len(await app.core.invoke("list_curves", {"wellId": demo["well"].id})) == demo["well"].curve_count
        await pilot.press("c")  # nothing left running: said, not silently ignored
        await settle(pilot)
        assert any("Nothing is running" in n.message for n in app._notifications)
        assert any(c.title.startswith("Cancel run (executions-1)")
                   for c in app.get_system_commands(app.screen))


async def test_a_run_that_ends_before_execute_udf_answers_is_still_seen_as_done(tmp_path):
    # A key binding runs `action_run` outside the pane's queue, so the pane may handle the
    # execution's end event before `execute_udf` has returned its id to the runner.
    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        runner = app.query_one("#udf-runner-1")
        await choose_udf(pilot, runner, "vsh_gr")
        real = runner.try_invoke
        tasks = app.core.state(TaskManager)

        async def slow_answer(name, args=None, **kw):
            result = await real(name, args, **kw)
            if name == "execute_udf":  # hold the answer until the pane heard the end
                await tasks.wait(result.execution_id, timeout=10)
                await settle(pilot)
            return result

        runner.try_invoke = slow_answer
        await runner.action_run()
        await settle(pilot)
        assert runner.execution_id is None
        assert "done" in str(runner.query_one("#udf-status").render())
        assert not runner.query_one("#udf-run").disabled and runner.query_one("#udf-cancel").disabled


async def test_invalid_parameters_are_shown_inline_and_nothing_is_sent(tmp_path):
    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        runner = app.query_one("#udf-runner-1")
        runner.query_one("#udf-select", Select).value = "moving_average"
        await settle(pilot)
        runner.query_one("#field-window").value = "-4"
        await settle(pilot)
        assert runner.check is not None and not runner.check.ok
        assert "must be at least 1" in str(runner.query_one("#error-window").render())
        assert runner.query_one("#udf-run").disabled
        await runner.action_run()
        await settle(pilot)
        assert await app.core.invoke("list_executions") == []
        runner.query_one("#field-window").value = "abc"
        await settle(pilot)
        assert "not a whole number" in str(runner.query_one("#error-window").render())
        runner.query_one("#field-window").value = ""
        await settle(pilot)
        await wait_until(lambda: "required" in str(runner.query_one("#error-window").render()), pilot=pilot)
        assert "a value is required (the default is 5)" in str(runner.query_one("#error-window").render())


LINKED_TRACKS = L.Split("horizontal", (L.Leaf("log-tracks-1", "log-tracks"), L.Leaf("log-tracks-2", "log-tracks"),
                                       L.Leaf("log-tracks-3", "log-tracks")))


async def test_linked_log_tracks_scroll_zoom_and_move_the_cursor_together(tmp_path):
    app = make_app(tmp_path, LINKED_TRACKS)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        one, two, three = (app.query_one(f"#log-tracks-{i}") for i in (1, 2, 3))
        three.query_one("#track-area").focus()
        await pilot.press("p")  # pin the third
        await settle(pilot)
        one.query_one("#track-area").focus()
        await pilot.press("plus")  # zoom in
        await pilot.press("pagedown")
        await pilot.press("down", "down", "down")
        await settle(pilot)
        shared = app.core.shared("depth_window").get()
        assert shared.top is not None and shared.cursor is not None
        for pane in (one, two):
            track = pane.query(LogTrack).first()
            assert (track.top, track.bottom, track.cursor) == (shared.top, shared.bottom, shared.cursor)
        pinned = three.query(LogTrack).first()
        assert pinned.top != shared.top  # pinned: its own window
        # A click on a track of the second pane moves the cursor in the first too.
        track = two.query(LogTrack).first()
        await pilot.click(track, offset=(5, track.header_lines + 10))
        await settle(pilot)
        assert one.query(LogTrack).first().cursor == track.row_to_depth(10)
        # The readout shows every curve's value at the cursor.
        readout = str(one.query_one("#track-readout").render())
        assert "GR=" in readout and "RHOB=" in readout


async def test_a_fresh_log_view_shows_the_top_200_m_and_f_fits_the_whole_well(tmp_path):
    app = make_app(tmp_path, L.Leaf("log-tracks-1", "log-tracks"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        well = demo["well"]
        pane = app.query_one("#log-tracks-1")
        await wait_until(lambda: bool(pane.query(LogTrack)), pilot=pilot)
        track = pane.query(LogTrack).first()
        assert (track.top, track.bottom) == (well.start_depth, well.start_depth + 200)
        readout = str(pane.query_one("#track-readout").render())
        assert f"{well.start_depth:,.1f}–{well.start_depth + 200:,.1f} m of " in readout
        pane.query_one("#track-area").focus()
        await pilot.press("f")
        await settle(pilot)
        assert (track.top, track.bottom) == (well.start_depth, well.stop_depth)


async def test_go_to_depth_rejects_bad_input_inline(tmp_path):
    app = make_app(tmp_path, L.Leaf("log-tracks-1", "log-tracks"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        app.query_one("#track-area").focus()
        await pilot.press("g")
        await settle(pilot)
        dialog_input = app.screen.query_one("#ask-input")
        dialog_input.value = "deep"
        await pilot.press("enter")
        await settle(pilot)
        assert "'deep' is not a number" in str(app.screen.query_one("#ask-error").render())
        dialog_input.value = "99999"
        await pilot.press("enter")
        await settle(pilot)
        assert "outside this well" in str(app.screen.query_one("#ask-error").render())
        dialog_input.value = "2000"
        await pilot.press("enter")
        await settle(pilot)
        view = app.core.shared("depth_window").get()
        assert view.cursor == 2000.0 and view.top < 2000 < view.bottom


async def test_name_dialogs_reject_what_the_backend_would_refuse_inline(tmp_path):
    app = make_app(tmp_path, L.Split("horizontal", (L.Leaf("workspaces-1", "workspaces"),
                                                    L.Leaf("curves-1", "curves"))))
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        before = await app.core.invoke("list_workspaces")

        async def ask(text: str) -> str:
            app.screen.query_one("#ask-input").value = text
            await pilot.press("enter")
            await settle(pilot)
            return str(app.screen.query_one("#ask-error").render())

        app.query_one("#workspace-list").focus()
        await pilot.press("a")
        await settle(pilot)
        assert "required" in await ask("   ")
        assert "at most 100 characters (101 now)" in await ask("w" * 101)
        assert "a workspace named 'Demo' already exists" in await ask("Demo")
        assert await app.core.invoke("list_workspaces") == before  # nothing was sent
        app.screen.query_one("#ask-input").value = "Cores"
        await pilot.press("enter")
        await wait_until(lambda: len(app.query_one("#workspace-list")._options) == len(before) + 1,
                         pilot=pilot)

        app.query_one("#curves-1").query_one(DataTable).focus()
        await pilot.press("r")
        await settle(pilot)
        assert "no spaces" in await ask("G R")
        assert "at most 32 characters (33 now)" in await ask("G" * 33)
        assert "sp already exists in this well" in await ask("sp")  # case-insensitive, as in the db
        await pilot.press("escape")
        await settle(pilot)
        curves = await app.core.invoke("list_curves", {"wellId": demo["well"].id})
        assert sorted(c.mnemonic for c in curves) == sorted(
            ["GR", "SP", "CALI", "RHOB", "NPHI", "PEF", "DT", "RT", "RXO"])


async def test_a_second_process_importing_makes_the_open_app_refresh(tmp_path):
    app = make_app(tmp_path, L.Split("horizontal", (L.Leaf("workspaces-1", "workspaces"), L.Leaf("wells-1", "wells"))))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        ws = next(w for w in await app.core.invoke("list_workspaces") if w.name == "Samples")
        await app.core.invoke("select_workspace", {"workspaceId": ws.id})
        await settle(pilot)
        wells = app.query_one("#wells-1")
        before = wells.query_one("OptionList").option_count
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tui.cli", "--data-dir", str(tmp_path), "import", "--workspace", "Samples",
            str(ROOT / "core" / "dataforge" / "data" / "las" / "sample.las"),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        await wait_until(lambda: wells.query_one("OptionList").option_count == before + 1, pilot=pilot)


async def test_the_event_log_shows_events_and_invokes_and_filters(tmp_path):
    app = make_app(tmp_path, L.Split("horizontal", (L.Leaf("wells-1", "wells"), L.Leaf("event-log-1", "event-log"))))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        await select_demo(pilot, 1)
        await wait_until(lambda: log.query_one(DataTable).row_count > 0, pilot=pilot)
        await pilot.pause(0.15)
        rows = [log.query_one(DataTable).get_row_at(i) for i in range(log.query_one(DataTable).row_count)]
        names = [r[3] for r in rows]
        assert "well-selected" in names and "select_well" in names
        # An invoke is listed where it started: before the event it caused.
        assert names.index("select_well") < names.index("well-selected")
        kinds = {r[3]: str(r[2]) for r in rows}
        assert "invoke" in kinds["select_well"] and "event" in kinds["well-selected"]
        assert any(r[4] == "wells-1" for r in rows)  # the source window of the wells pane's invokes
        # Pause: nothing new is drawn; resume: it catches up.
        log.query_one(DataTable).focus()
        await pilot.press("space")
        count = log.query_one(DataTable).row_count
        await app.core.invoke("select_workspace", {"workspaceId": 1})
        await pilot.pause(0.25)
        assert log.query_one(DataTable).row_count == count
        await pilot.press("space")
        await wait_until(lambda: log.query_one(DataTable).row_count > count, pilot=pilot)
        # Filter by name.
        log.query_one("#log-filter").value = "curve-"
        await pilot.pause(0)
        await app.core.invoke("select_well", {"wellId": 1})
        await app.core.invoke("set_depth_window", {"top": 1600.0, "bottom": 1700.0})
        await pilot.pause(0.25)
        table = log.query_one(DataTable)
        new = [table.get_row_at(i)[3] for i in range(count, table.row_count)]
        assert "set_depth_window" not in new


async def test_the_event_log_stays_bounded_and_current_under_a_flood(tmp_path):
    from tui.panes._event_log import _MAX_PER_FLUSH, _MAX_ROWS

    app = make_app(tmp_path, L.Leaf("event-log-1", "event-log"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        table = log.query_one(DataTable)
        before = log._seen
        total = 20_000
        for i in range(total):
            app.core.emit("flood", {"i": i})
            if i % 1000 == 999:
                await pilot.pause(0.02)  # let the 10 Hz flush run now and then, as a UI would
                assert table.row_count <= 2 * _MAX_ROWS
        await wait_until(lambda: table.row_count and table.get_row_at(table.row_count - 1)[7] == f"i={total - 1}",
                         pilot=pilot)
        assert log._seen - before == total
        numbers = [int(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        assert numbers[-1] >= total  # numbering counts what a flood made it skip
        assert table.cursor_row == table.row_count - 1  # it follows the tail
        assert f"{log._seen} seen" in str(log.query_one("#log-state").render())
        # The log still answers: a filter applies to the rows shown and to what comes next.
        log.query_one("#log-filter").value = "after-"
        await pilot.pause(0)
        for i in range(3 * _MAX_PER_FLUSH):
            app.core.emit("flood", {"i": i})
        app.core.emit("after-flood", {"done": True})
        await wait_until(lambda: table.row_count == 1, pilot=pilot)
        assert table.get_row_at(0)[3] == "after-flood"


async def test_a_udf_input_that_takes_any_curve_starts_from_the_selected_curve(tmp_path):
    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        curves = await app.core.invoke("list_curves", {"wellId": demo["well"].id})
        rhob = next(c for c in curves if c.mnemonic == "RHOB")
        await app.core.invoke("select_curve", {"curveId": rhob.id})
        runner = app.query_one("#udf-runner-1")
        await choose_udf(pilot, runner, "despike")  # its input `curve` has no mnemonic to match
        picker = runner.query_one("#input-curve", Select)
        assert picker.value == rhob.id
        assert runner.check.inputs == {"curve": rhob.id}
        # A pick survives the form being rebuilt when the well's curves change.
        gr = next(c for c in curves if c.mnemonic == "GR")
        picker.value = gr.id
        await settle(pilot)
        sp = next(c for c in curves if c.mnemonic == "SP")
        await app.core.invoke("rename_curve", {"curveId": sp.id, "mnemonic": "SP_OLD"})
        await wait_until(lambda: runner.query_one("#input-curve", Select) is not picker, pilot=pilot)
        await settle(pilot)
        picker = runner.query_one("#input-curve", Select)
        assert picker.value == gr.id and runner.check.inputs == {"curve": gr.id}
        picker.clear()
        await settle(pilot)
        await wait_until(lambda: runner.check is not None and not runner.check.ok, pilot=pilot)
        assert runner.check.error == "choose the curve for input 'curve' above"
        assert runner.query_one("#udf-run").disabled


async def test_a_rule_across_parameters_is_said_in_the_form(tmp_path):
    from textual.widgets import Input

    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        runner = app.query_one("#udf-runner-1")
        await choose_udf(pilot, runner, "vsh_gr")
        runner.query_one("#field-gr_clean", Input).value = "150"
        runner.query_one("#field-gr_shale", Input).value = "20"
        await wait_until(lambda: runner.check is not None and not runner.check.ok, pilot=pilot)
        await settle(pilot)
        said = str(runner.query_one("#udf-check").render())
        assert "GR shale (API) (20.0) must be greater than GR clean (API) (150.0)" in said
        assert runner.query_one("#udf-run").disabled
        runner.query_one("#udf-output", Input).value = "GR"  # taken: said before anything runs
        runner.query_one("#field-gr_shale", Input).value = "200"
        await wait_until(lambda: runner.check is not None and "already has a curve named GR"
                         in (runner.check.error or ""), pilot=pilot)
        await settle(pilot)
        assert "choose another output mnemonic" in str(runner.query_one("#udf-check").render())


async def test_auto_inputs_say_which_curve_they_matched_and_a_typed_output_name_goes_with_its_udf(tmp_path):
    from textual.widgets import Input, Label

    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        runner = app.query_one("#udf-runner-1")
        await choose_udf(pilot, runner, "vsh_gr")
        await wait_until(lambda: runner.check is not None and runner.check.ok, pilot=pilot)
        label = runner.query_one("#input-GR", Select).parent.query_one(Label)
        assert str(label.render()).splitlines()[-1] == "→ GR"  # the curve auto picked
        curves = await app.core.invoke("list_curves", {"wellId": demo["well"].id})
        gr = next(c for c in curves if c.mnemonic == "GR")
        await app.core.invoke("rename_curve", {"curveId": gr.id, "mnemonic": "GR_1"})
        await wait_until(lambda: runner.check is not None and runner.check.inputs.get("GR") == gr.id
                         and str(runner.query_one("#input-GR", Select).parent.query_one(Label).render())
                         .splitlines()[-1] == "→ GR_1", pilot=pilot)
        # A name typed for this UDF's result does not carry over to another UDF.
        runner.query_one("#udf-output", Input).value = "VSH_MINE"
        await settle(pilot)
        runner.query_one("#udf-select", Select).value = "moving_average"
        await settle(pilot)
        assert runner.udf_id == "moving_average" and runner.query_one("#udf-output", Input).value == ""


async def test_delete_asks_with_no_as_the_default_and_every_count_follows(tmp_path):
    app = make_app(tmp_path, L.Split("horizontal", (L.Leaf("wells-1", "wells"), L.Leaf("curves-1", "curves"))))
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        well = demo["well"]
        table = app.query_one("#curves-1").query_one(DataTable)
        table.focus()
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("enter")  # the focused button is No
        await settle(pilot)
        assert len(await app.core.invoke("list_curves", {"wellId": well.id})) == well.curve_count
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(lambda: table.row_count == well.curve_count - 1, pilot=pilot)
        wells = app.query_one("#well-list")
        await wait_until(lambda: f"{well.curve_count - 1} curves" in str(wells.get_option_at_index(0).prompt),
                         pilot=pilot)


async def test_the_runner_names_the_target_well_and_forgets_an_old_result(tmp_path):
    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 1)
        runner = app.query_one("#udf-runner-1")
        await choose_udf(pilot, runner, "vsh_gr")
        await wait_until(lambda: demo["well"].name in str(runner.query_one("#udf-check").render()), pilot=pilot)
        assert f"to well {demo['well'].name}" in str(runner.query_one("#udf-check").render())
        await runner.action_cancel()  # nothing running: said, not silently ignored
        await settle(pilot)
        assert any("Nothing is running" in n.message for n in app._notifications)
        await runner.action_run()
        await wait_until(lambda: "done" in str(runner.query_one("#udf-status").render()), pilot=pilot)
        runner.query_one("#udf-select", Select).value = "moving_average"  # straight after the run
        await settle(pilot)
        assert str(runner.query_one("#udf-status").render()) == ""
        assert "choose the curve" in str(runner.query_one("#udf-check").render())


async def test_unit_parameters_follow_the_input_curve_until_the_user_picks_one(tmp_path):
    """PHID from the runner on sample.las (RHOB in K/M3) came out near -1 544 v/v: the
    form sent its g/cc default over the backend's reading of the curve (a user review)."""
    import numpy as np

    app = make_app(tmp_path, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(140, 48)) as pilot:
        await ready(pilot)
        res = await app.core.invoke("import_las", {"path": str(ROOT / "core/dataforge/data/las/sample.las")})
        await app.core.invoke("select_workspace", {"workspaceId": res.well.workspace_id})
        await app.core.invoke("select_well", {"wellId": res.well.id})
        runner = app.query_one("#udf-runner-1")
        await choose_udf(pilot, runner, "phid")
        unit = runner.query_one("#field-density_unit", Select)
        await wait_until(lambda: unit.value == "kg/m3", pilot=pilot)  # shown as the curve says
        await pilot.click("#udf-run")
        await wait_until(lambda: runner.execution_id is None and "done" in str(
            runner.query_one("#udf-status").render()), pilot=pilot)
        phid = next(c for c in await app.core.invoke("list_curves", {"wellId": res.well.id})
                    if c.mnemonic == "PHID")
        assert -0.2 < phid.mean < 0.6  # a porosity, not -1 544
        # A unit the user picks is theirs: sent, and refused when it contradicts the curve.
        unit.value = "g/cc"
        await wait_until(lambda: runner.check is not None and not runner.check.ok, pilot=pilot)
        assert "RHOB curve is in K/M3" in runner.check.param_errors["density_unit"]
        assert runner.query_one("#udf-run").disabled
        assert np.isfinite(phid.mean)


async def test_a_run_survives_the_rebuild_a_split_makes(tmp_path):
    """Splitting rebuilds every pane: the runner came back at 0 % with Cancel doing nothing
    while its run went on (a user review). It takes its run back; then a new well clears
    the old run's status."""
    app = make_app(tmp_path, RUN_LAYOUT)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        runner, gate, running = await start_held_run(app, pilot)
        app.query_one("#curves-1").query_one(DataTable).focus()
        await pilot.press("s")  # any split rebuilds the layout
        await settle(pilot)
        rebuilt = app.query_one("#udf-runner-1")
        assert rebuilt is not runner
        await wait_until(lambda: rebuilt.execution_id == running, pilot=pilot)
        assert not rebuilt.query_one("#udf-cancel").disabled
        await rebuilt.action_cancel()
        gate.set()
        await wait_until(lambda: rebuilt.execution_id is None, pilot=pilot)
        assert "cancelled" in str(rebuilt.query_one("#udf-status").render())
        await app.core.invoke("select_well", {"wellId": demo["wells"][1].id})
        await wait_until(lambda: str(rebuilt.query_one("#udf-status").render()) == "", pilot=pilot)
