"""Robustness of the terminal app against its own data: names that look like markup, saved
pane settings that do not validate, a theme that is not installed, errors shown in the pane."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from textual.content import Content
from textual.widgets import DataTable, Input, OptionList, Select

from core.dataforge.context import DataForge
from core.dataforge.udfs import udf
from tui_helpers import L, make_app, ready, select_demo, settle, wait_until

WELLINGTON = Path(__file__).parent / "data" / "wellington_kgs_1-32_excerpt.las"
NAMES = ("Bad[/]name", "[b]x", "a\\[b")  # a stray close tag, a style tag, an escaped bracket


def screen_text(app) -> str:
    """Everything on the screen as plain text: titles, cells, labels and notifications."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def las_named(tmp_path: Path, well_name: str, n: int) -> Path:
    """The Wellington excerpt as a well named `well_name` (its comma-delimited ~A made readable)."""
    head, data = WELLINGTON.read_text().split("\n~A", 1)
    path = tmp_path / f"named-{n}.las"
    path.write_text(head.replace("Wellington KGS 1-32", well_name, 1) + "\n~A" + data.replace(",", " "))
    return path


async def test_workspace_names_with_markup_show_literally_and_the_next_start_works(tmp_path):
    layout = L.Split("horizontal", (L.Leaf("workspaces-1", "workspaces"), L.Leaf("wells-1", "wells")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        for name in NAMES:
            await app.core.invoke("create_workspace", {"name": name})
        await settle(pilot)
        prompts = [str(o.prompt) for o in app.query_one("#workspace-list", OptionList).options]
        assert all(any(p.startswith(f"{name}  ") for p in prompts) for name in NAMES), prompts
        assert all(name in screen_text(app) for name in NAMES)
        # The new-workspace dialog names the clashing workspace as it is spelt.
        app.query_one("#workspace-list").focus()
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#ask-input", Input).value = "bad[/]NAME"
        await settle(pilot)
        assert "a workspace named 'Bad[/]name' already exists" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running
    again = make_app(tmp_path, layout)  # the reported bug: every later start exited with rc 1
    async with again.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        assert all(name in screen_text(again) for name in NAMES)
        assert again.is_running


async def test_well_names_with_markup_show_literally_in_list_header_and_tracks(tmp_path):
    layout = L.Split("horizontal", (L.Leaf("wells-1", "wells"), L.Leaf("log-tracks-1", "log-tracks")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        ws = await app.core.invoke("create_workspace", {"name": "Named"})
        await app.core.invoke("select_workspace", {"workspaceId": ws.id})
        wells = [(await app.core.invoke("import_las", {"path": str(las_named(tmp_path, name, i)),
                                                      "workspaceId": ws.id})).well
                 for i, name in enumerate(NAMES)]
        await app.core.invoke("select_well", {"wellId": wells[0].id})
        tracks = app.query_one("#log-tracks-1")
        await wait_until(lambda: NAMES[0] in Content.from_markup(tracks.border_title or "").plain, pilot=pilot)
        await settle(pilot)
        prompts = [str(o.prompt) for o in app.query_one("#well-list", OptionList).options]
        assert all(any(p.startswith(f"{name}  ") for p in prompts) for name in NAMES), prompts
        header = str(app.query_one("#well-header").render())
        assert f"Well      {NAMES[0]}" in header
        text = screen_text(app)
        assert all(name in text for name in NAMES)
        assert f"· {NAMES[0]}" in text  # the log tracks' border title names the well as spelt
        assert app.is_running


async def test_curve_mnemonics_with_markup_show_literally_and_can_be_renamed(tmp_path):
    layout = L.Split("horizontal", (L.Leaf("curves-1", "curves"), L.Leaf("log-tracks-1", "log-tracks")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        curves = await app.core.invoke("list_curves", {"wellId": demo["well"].id})
        for curve, name in zip(curves, NAMES):
            await app.core.invoke("rename_curve", {"curveId": curve.id, "mnemonic": name})
        await settle(pilot)
        table = app.query_one("#curves-1").query_one(DataTable)
        await wait_until(lambda: any(NAMES[0] in str(table.get_row_at(i)[0]) for i in range(table.row_count)),
                         pilot=pilot)
        cells = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert all(name in cells for name in NAMES), cells
        text = screen_text(app)
        assert all(name in text for name in NAMES)
        # The rename dialog says the current name, and a clash, as spelt.
        table.focus()
        table.move_cursor(row=cells.index(NAMES[0]))
        await pilot.press("r")
        await settle(pilot)
        assert f"Rename {NAMES[0]} to" in screen_text(app)
        app.screen.query_one("#ask-input", Input).value = NAMES[2]
        await settle(pilot)
        assert f"{NAMES[2]} already exists in this well" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        # The log tracks' readout names the curves at the cursor as spelt.
        tracks = app.query_one("#log-tracks-1")
        await tracks.set_view(None, None, demo["well"].start_depth + 10)
        await settle(pilot)
        readout = str(tracks.query_one("#track-readout").render())
        assert any(f"{name}=" in readout for name in NAMES), readout
        assert app.is_running


async def test_udf_names_and_outputs_with_markup_show_literally_in_runner_and_executions(tmp_path):
    layout = L.Split("horizontal", (L.Leaf("udf-runner-1", "udf-runner"), L.Leaf("executions-1", "executions")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        registry = app.core.state(DataForge).registry
        done = threading.Event()

        @udf("markup_test", name="Bad[/]name UDF", description="[b]x is not bold", inputs=["GR"],
             output="GR_M", registry=registry, replace=True)
        def markup_test(inputs, params, ctx):
            done.set()
            return inputs["GR"] * 1.0

        ws = await app.core.invoke("create_workspace", {"name": "Named"})
        await app.core.invoke("select_workspace", {"workspaceId": ws.id})
        well = (await app.core.invoke("import_las", {"path": str(las_named(tmp_path, NAMES[0], 0)),
                                                    "workspaceId": ws.id})).well
        await app.core.invoke("select_well", {"wellId": well.id})
        runner = app.query_one("#udf-runner-1")
        await runner.reload_udfs()
        runner.query_one("#udf-select", Select).value = "markup_test"
        await settle(pilot)  # a name typed before the UDF is chosen goes with the old UDF
        runner.query_one("#udf-output", Input).value = NAMES[2]
        await settle(pilot)
        await wait_until(lambda: runner.check is not None and runner.check.ok, pilot=pilot)
        await settle(pilot)
        check = str(runner.query_one("#udf-check").render())
        assert f"will write {NAMES[2]}" in check and f"to well {NAMES[0]}" in check, check
        assert "[b]x is not bold" in str(runner.query_one("#udf-description").render())
        assert "Bad[/]name UDF" in screen_text(app)
        await runner.action_run()
        await wait_until(lambda: runner.execution_id is None and "done" in str(
            runner.query_one("#udf-status").render()), pilot=pilot)
        await settle(pilot)
        assert f"saved {NAMES[2]}" in str(runner.query_one("#udf-status").render())
        names = [str(label.render()) for label in app.query(".exec-name")]
        assert f"markup_test on {NAMES[0]}" in names, names
        assert app.is_running


async def test_event_names_and_payloads_with_markup_show_literally_in_the_event_log(tmp_path):
    app = make_app(tmp_path, L.Leaf("event-log-1", "event-log"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        app.core.emit("odd-event", {"note": NAMES[1], "path": NAMES[2]})
        table = log.query_one(DataTable)
        await wait_until(lambda: any("odd-event" == str(table.get_row_at(i)[3])
                                     for i in range(table.row_count)), pilot=pilot)
        await settle(pilot)
        row = next(table.get_row_at(i) for i in range(table.row_count) if str(table.get_row_at(i)[3]) == "odd-event")
        assert str(row[7]) == f"note={NAMES[1]}, path={NAMES[2]}"
        text = screen_text(app)
        assert "odd-event" in text and f"note={NAMES[1]}, path={NAMES[2]}" in text
        assert app.is_running


async def test_errors_with_markup_show_literally_as_a_notification_and_in_the_pane(tmp_path):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:  # toasts drawn, as in use
        await ready(pilot)
        pane = app.query_one("#curves-1")
        pane.show_error(f"cannot read {NAMES[0]} or {NAMES[1]}")
        await settle(pilot)
        assert str(pane.query_one(".pane-error").render()).endswith(f"cannot read {NAMES[0]} or {NAMES[1]}")
        assert screen_text(app).count(f"cannot read {NAMES[0]} or {NAMES[1]}") == 2  # the toast and the pane
        assert app.is_running


# ---- errors stay visible in the pane ------------------------------------------------------------

async def test_a_pane_error_shows_in_the_pane_until_escape_or_the_next_success(tmp_path):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await select_demo(pilot, 0)
        pane = app.query_one("#curves-1")
        strip = pane.query_one(".pane-error")
        assert not strip.display
        await pane.try_invoke("get_curve_data", {"curveId": 999_999})
        await settle(pilot)
        assert strip.display and pane.region.contains_region(strip.region)
        assert "curve 999999 not found" in str(strip.render())
        pane.query_one(DataTable).focus()
        await pilot.press("escape")
        await settle(pilot)
        assert pane.error is None and not strip.display
        await pane.try_invoke("get_curve_data", {"curveId": 999_999})
        await settle(pilot)
        assert strip.display
        await pane.try_invoke("list_workspaces")  # another command's success says nothing of it
        await settle(pilot)
        assert strip.display
        curve = (await app.core.invoke("list_curves", {"wellId": pane.selection.well_id}))[0]
        await pane.try_invoke("get_curve_data", {"curveId": curve.id, "maxPoints": 8})  # the next success
        await settle(pilot)
        assert not strip.display and pane.error is None


# ---- saved pane settings that do not validate -----------------------------------------------------

BAD_SETTINGS = {
    "curves-1": {"selection": {"well_id": "abc"}, "linked": False},
    "event-log-1": {"filter": 5},
    "udf-runner-1": {"udf_id": ["x"], "parameters": "x", "inputs": [1], "chosen_units": 3, "execution": {}},
    "log-tracks-1": {"view": {"top": "deep"}, "linked": "yes"},
}


async def test_bad_saved_pane_settings_fall_back_to_defaults_with_a_notification(tmp_path):
    tree = L.Split("horizontal", tuple(L.Leaf(pid, pid.rsplit("-", 1)[0], settings)
                                       for pid, settings in BAD_SETTINGS.items()))
    (tmp_path / "layout.json").write_text(json.dumps(L.to_dict(tree)))
    app = make_app(tmp_path, save_layout=True)
    async with app.run_test(size=(200, 40)) as pilot:
        await ready(pilot)
        assert app.is_running and {p.pane_id for p in app.panes()} == set(BAD_SETTINGS)
        curves = app.query_one("#curves-1")
        assert curves.selection.well_id is None and not curves.linked  # the rest of its settings kept
        assert app.query_one("#log-tracks-1").linked
        messages = " ".join(n.message for n in app._notifications)
        assert "curves-1" in messages and "selection" in messages
        assert all(pid in messages for pid in BAD_SETTINGS)
    saved = json.loads((tmp_path / "layout.json").read_text())
    leaves = {leaf.pane_id: dict(leaf.settings) for leaf in L.leaves(L.from_dict(saved))}
    assert "selection" not in leaves["curves-1"] and leaves["curves-1"]["linked"] is False
    assert leaves["udf-runner-1"] == {} and leaves["event-log-1"] == {}
    again = make_app(tmp_path, save_layout=True)  # repaired: said once, not at every start
    async with again.run_test(size=(200, 40)) as pilot:
        await ready(pilot)
        assert not any("ignored" in n.message for n in again._notifications)


# ---- a theme that is not installed -------------------------------------------------------------

async def test_an_unknown_theme_keeps_the_current_one_with_the_settings_screen_open(tmp_path):
    from tui.settings import SettingsScreen

    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        theme = app.theme
        app.action_settings()
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await app.core.invoke("update_settings", {"changes": {"theme": "nope"}})
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, SettingsScreen)
        assert app.screen.query_one("#set-theme", Select).value == theme and app.theme == theme
        assert "nope" in str(app.screen.query_one("#settings-error").render())
        # Other settings still apply, and the setting itself is left as sent.
        await app.core.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
        await settle(pilot)
        assert app.screen.query_one("#set-depth_unit", Select).value == "ft"
        assert app.core.shared("settings").get().theme == "nope"


async def test_opening_settings_with_an_unknown_theme_shows_the_current_one_and_changes_nothing(tmp_path):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        theme = app.theme
        await app.core.invoke("update_settings", {"changes": {"theme": "nope"}})
        await settle(pilot)
        assert app.theme == theme
        app.action_settings()
        await settle(pilot)
        assert app.screen.query_one("#set-theme", Select).value == theme
        assert app.core.shared("settings").get().theme == "nope"  # opening the screen is no choice
        assert "nope" in str(app.screen.query_one("#settings-error").render())


# ---- pin state and counts in the border title ----------------------------------------------------

async def test_pinning_keeps_the_count_and_shows_the_state_in_the_border_title(tmp_path):
    layout = L.Split("horizontal", (L.Leaf("curves-1", "curves"), L.Leaf("executions-1", "executions")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        curves = app.query_one("#curves-1")
        n = demo["well"].curve_count
        await wait_until(lambda: f"{n} curves" in (curves.border_title or ""), pilot=pilot)
        assert "linked" in curves.border_title
        curves.query_one(DataTable).focus()
        await pilot.press("p")
        await settle(pilot)
        assert f"{n} curves" in curves.border_title and "pinned" in curves.border_title
        assert "linked" not in curves.border_title
        text = screen_text(app)
        assert f"Curves · curves-1 · {n} curves" in text and "pinned" in text
        await pilot.press("p")
        await settle(pilot)
        assert f"{n} curves" in curves.border_title and "linked" in curves.border_title
        executions = app.query_one("#executions-1")
        app.core.emit("execution-started", {"id": "x-1", "name": "a run"})
        await wait_until(lambda: "· 1" in (executions.border_title or ""), pilot=pilot)
        executions.action_toggle_pinned()
        await settle(pilot)
        assert "· 1" in executions.border_title and "pinned" in executions.border_title


async def test_a_data_dir_and_plugin_parameter_titles_with_markup_show_literally(tmp_path):
    from pydantic import BaseModel, Field

    from tui.status import StatusBar

    data_dir = tmp_path / "logs[/]2026"
    app = make_app(data_dir, L.Leaf("udf-runner-1", "udf-runner"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        status = app.query_one(StatusBar)
        await wait_until(lambda: status.status is not None, pilot=pilot)
        await settle(pilot)
        assert str(data_dir) in str(status.render())

        class Params(BaseModel):
            k: float = Field(1.0, title="Gain [/]x")

        @udf("markup_titles", name="Markup titles", inputs=["GR"], output="GR_K", params=Params,
             registry=app.core.state(DataForge).registry, replace=True)
        def markup_titles(inputs, params, ctx):
            return inputs["GR"] * params.k

        await select_demo(pilot, 0)
        runner = app.query_one("#udf-runner-1")
        await runner.reload_udfs()
        runner.query_one("#udf-select", Select).value = "markup_titles"
        await settle(pilot)
        await wait_until(lambda: "Gain [/]x" in screen_text(app), pilot=pilot)
        runner.query_one("#field-k", Input).value = "abc"
        await wait_until(lambda: "⚠" in screen_text(app), pilot=pilot)
        assert app.is_running


async def test_a_broken_plugin_and_a_bad_capability_override_are_said_at_start(tmp_path):
    """Both are logged and skipped by the backend; a terminal app hides the log, so the
    user heard nothing of them (a helper's review)."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "broken.py").write_text("raise RuntimeError('oops in my plugin')\n")
    (tmp_path / "capabilities").mkdir()
    (tmp_path / "capabilities" / "mine.json").write_text("{ not json")
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        said = [n.message for n in app._notifications if n.title == "At start"]
        assert any("broken.py" in m and "oops in my plugin" in m for m in said), said
        assert any("mine.json" in m for m in said), said
        assert app.is_running and app.core.acl.allows_command("list_curves", "curves-1")
