"""The app shell: the status bar, layout saving, the command palette, the footer, LAS import."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from textual import events
from textual.command import CommandPalette
from textual.widgets import DataTable, Footer, Input, OptionList
from textual.widgets._footer import FooterKey

from core.dataforge.context import DataForge
from tui.app import DataForgeApp, KindPicker
from tui.dialogs import AskDialog
from tui.status import StatusBar
from tui_helpers import L, make_app, ready, select_demo, settle, wait_until

SIZE = (160, 48)
EDGE = Path(__file__).resolve().parent / "data" / "las" / "edge-cases"
GOOD_LAS = EDGE / "data_characters.las"  # a small real-world file lasio reads (WELL blank: named after the file)

BROWSE = L.Split("horizontal", (
    L.Split("vertical", (L.Leaf("workspaces-1", "workspaces"), L.Leaf("wells-1", "wells"))),
    L.Split("vertical", (L.Leaf("wells-2", "wells"), L.Leaf("curves-1", "curves"))),
))


def notes(app) -> list[str]:
    return [f"{n.title or ''}: {n.message}" for n in app._notifications]


def status_text(app) -> str:
    return str(app.query_one(StatusBar).render())


def palette_titles(app) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


def screen_line(app, y: int) -> str:
    return app.screen._compositor.render_strips()[y].text


# ---- 1. the status bar -------------------------------------------------------------------------
@pytest.mark.parametrize("width", [80, 160])
async def test_the_status_bar_has_its_own_row_above_the_footer(tmp_path, width):
    app = make_app(tmp_path)
    async with app.run_test(size=(width, 30)) as pilot:
        await ready(pilot)
        status, footer = app.query_one(StatusBar), app.query_one(Footer)
        await wait_until(lambda: status.status is not None, pilot=pilot)
        assert status.region.height == 1 and status.region.width > 0
        assert app.screen.region.contains_region(status.region)
        assert not status.region.overlaps(footer.region)
        assert status.region.bottom <= footer.region.y
        assert app.screen.get_widget_at(status.region.x + 2, status.region.y)[0] is status  # not covered
        figures = await app.core.invoke("get_dataforge_status")
        line = screen_line(app, status.region.y)
        assert f"{figures.workspaces} workspaces" in line and f"{figures.wells} wells" in line
        assert f"{figures.curves} curves" in status_text(app)


async def test_the_status_bar_follows_data_events_and_app_focus(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = (await app.core.invoke("get_dataforge_status")).workspaces
        await wait_until(lambda: f"{before} workspaces" in status_text(app), pilot=pilot)
        await app.core.invoke("create_workspace", {"name": "From an event"})  # emits workspace-added
        await wait_until(lambda: f"{before + 1} workspaces" in status_text(app), pilot=pilot)
        # Another process changed the data without telling us: the terminal regains focus.
        app.core.state(DataForge).db.create_workspace("Behind our back")
        await settle(pilot)
        assert f"{before + 1} workspaces" in status_text(app)
        app.post_message(events.AppFocus())
        await wait_until(lambda: f"{before + 2} workspaces" in status_text(app), pilot=pilot)


async def test_a_zoomed_pane_fills_the_screen_above_the_footer_and_the_status_bar_comes_back(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        status, footer = app.query_one(StatusBar), app.query_one(Footer)
        await pilot.press("z")
        await settle(pilot)
        zoomed = app.screen.maximized
        assert zoomed is not None and zoomed.region.height == SIZE[1] - 1  # Textual's maximize: pane + footer
        await pilot.press("z")
        await settle(pilot)
        assert app.screen.maximized is None
        assert status.region.height == 1 and not status.region.overlaps(footer.region)
        assert app.screen.get_widget_at(status.region.x + 2, status.region.y)[0] is status


async def test_splitting_a_zoomed_pane_unzooms_and_shows_both_panes(tmp_path):
    """The zoomed pane is replaced when the layout is rebuilt: the screen must not stay blank."""
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert app.screen.maximized is not None
        await pilot.press("s")
        await wait_until(lambda: len(app.panes()) == 5, pilot=pilot)
        await settle(pilot)
        assert app.screen.maximized is None
        for pane in app.panes():
            assert pane.region.height > 2 and pane.region.width > 2, pane.pane_id
            assert app.screen.get_widget_at(pane.region.x + 1, pane.region.y + 1)[0] is not None


# ---- 2. saving the layout ----------------------------------------------------------------------
async def test_a_layout_that_cannot_be_saved_is_a_notification_not_a_crash(tmp_path):
    (tmp_path / "layout.json").mkdir()  # os.replace onto a directory fails
    app = DataForgeApp(data_dir=tmp_path, save_layout=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        count = len(app.panes())
        await pilot.press("s")
        await settle(pilot)
        assert app.is_running and app.return_code is None
        assert len(app.panes()) == count + 1  # the split happened; only saving it failed
        failed = [n for n in notes(app) if "Could not save the layout" in n]
        assert failed and str(tmp_path / "layout.json") in failed[0]
        await pilot.press("s")  # the same failure again: said once, not on every change
        await settle(pilot)
        assert len([n for n in notes(app) if "Could not save the layout" in n]) == 1
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".layout-")]  # no temp file left
    assert app.return_code in (None, 0)


async def test_a_read_only_data_dir_is_a_notification_and_the_next_save_works(tmp_path, monkeypatch):
    app = DataForgeApp(data_dir=tmp_path, save_layout=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)

        def read_only(*a, **kw):
            raise PermissionError(13, "Permission denied", str(tmp_path))

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
        await pilot.press("s")
        await settle(pilot)
        assert app.is_running
        assert any("Could not save the layout" in n and "Permission denied" in n for n in notes(app))
        monkeypatch.undo()
        await pilot.press("x")
        await settle(pilot)
        saved = L.from_dict(__import__("json").loads((tmp_path / "layout.json").read_text()))
        assert len(L.leaves(saved)) == len(app.panes())


async def test_pane_settings_changes_are_saved_once_after_a_pause_and_on_exit(tmp_path, monkeypatch):
    import json

    app = DataForgeApp(data_dir=tmp_path, save_layout=True)
    app.LAYOUT_SAVE_DELAY = 0.4
    writes: list[str] = []
    real = tempfile.mkstemp

    def counting(*a, **kw):
        if kw.get("prefix") == ".layout-":
            writes.append(kw["prefix"])
        return real(*a, **kw)

    def saved_linked() -> bool:
        tree = L.from_dict(json.loads((tmp_path / "layout.json").read_text()))
        return L.find(tree, "curves-1").settings["linked"]

    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        monkeypatch.setattr(tempfile, "mkstemp", counting)
        pane = app.query_one("#curves-1")
        for _ in range(5):  # a burst of changes (typing a filter, scrolling a pinned view)
            pane.action_toggle_pinned()
            await pilot.pause()
        await wait_until(lambda: writes, pilot=pilot)
        await pilot.pause(0.6)
        assert len(writes) == 1 and saved_linked() is False
        pane.action_toggle_pinned()
        await pilot.pause()
    assert len(writes) == 2 and saved_linked() is True  # the pending save is written on exit


# ---- 3. the command palette --------------------------------------------------------------------
async def test_the_palette_lists_the_focused_panes_actions(tmp_path):
    layout = L.Split("horizontal", (L.Leaf("curves-1", "curves"), L.Leaf("log-tracks-1", "log-tracks"),
                                    L.Leaf("event-log-1", "event-log")))
    app = make_app(tmp_path, layout)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select_demo(pilot)
        app.query_one("#curves-1").query_one(DataTable).focus()
        await settle(pilot)
        titles = palette_titles(app)
        assert "Rename (curves-1)" in titles and "Delete (curves-1)" in titles
        assert "Pin/link (curves-1)" in titles
        assert not any("log-tracks-1" in t and "Zoom in" in t for t in titles)  # another pane's keys
        app.query_one("#log-tracks-1 #track-area").focus()
        await settle(pilot)
        titles = palette_titles(app)
        for action in ("Zoom in", "Zoom out", "Top", "Bottom", "Page ↓", "Page ↑", "Cursor ↓", "Cursor ↑"):
            assert f"{action} (log-tracks-1)" in titles, action
        assert titles.count("Go to depth (log-tracks-1)") == 1  # the pane's own command, not twice
        assert "Rename (curves-1)" not in titles
        app.query_one("#event-log-1 #log-filter", Input).focus()  # a text field eats c, space, /
        await settle(pilot)
        titles = palette_titles(app)
        assert {"Pause/resume (event-log-1)", "Clear log (event-log-1)", "Filter (event-log-1)"} <= set(titles)
        assert "Import LAS file…" in titles


async def test_every_app_key_is_in_the_palette(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = palette_titles(app)
        for binding in DataForgeApp.BINDINGS:
            title = "Quit" if binding.action == "quit" else DataForgeApp.PALETTE[binding.action][0]
            assert title in titles, binding


async def test_a_pane_action_runs_from_the_palette(tmp_path):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select_demo(pilot)
        app.query_one(DataTable).focus()
        await settle(pilot)
        await pilot.press("ctrl+p")
        await wait_until(lambda: isinstance(app.screen, CommandPalette), pilot=pilot)
        await pilot.press(*"rename (curves")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, AskDialog), pilot=pilot)
        await pilot.press("escape")


# ---- 4. the footer and splitting -------------------------------------------------------------
@pytest.mark.parametrize("width", [80, 160])
async def test_the_footer_shows_stacked_split_kind_and_import_and_stays_readable(tmp_path, width):
    app = make_app(tmp_path)
    async with app.run_test(size=(width, 30)) as pilot:
        await ready(pilot)
        app.query_one("#log-tracks-1 #track-area").focus()  # the pane with the most keys
        await settle(pilot)
        footer = app.query_one(Footer)
        keys = [k for k in footer.query(FooterKey) if "-command-palette" not in k.classes]
        palette = footer.query_one(".-command-palette", FooterKey)
        assert {"s", "S", "n", "N", "K", "i", "f2", "q"} <= {k.key for k in keys}
        assert palette.region.right == width  # the last column is the palette's, not a stray letter
        line = screen_line(app, footer.region.y)
        assert line.rstrip().endswith("^p palette") and line.count("^p palette") == 1
        for a, b in zip(keys, keys[1:]):  # in order, never on top of each other
            assert a.region.right < b.region.x
        if width >= 160:  # everything fits beside the widest pane's keys
            assert all(k.region.right <= palette.region.x for k in keys)
            for text in ("s S Split", "n N New…", "x Close", "K Kind…", "i Import…", "f2 Settings", "q Quit"):
                assert text in line, (text, line)
        else:  # the rest scrolls; the palette lists everything
            assert "Pin/link" in line and "Zoom in" in line


@pytest.mark.parametrize("key, direction", [("n", "horizontal"), ("N", "vertical")])
async def test_new_pane_asks_the_kind_and_splits_in_the_chosen_direction(tmp_path, key, direction):
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press(key)
        await wait_until(lambda: isinstance(app.screen, KindPicker), pilot=pilot)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("wells")
        await pilot.press("enter")
        await wait_until(lambda: len(app.panes()) == 2, pilot=pilot)
        await settle(pilot)
        assert isinstance(app._tree, L.Split) and app._tree.direction == direction
        assert [leaf.kind for leaf in L.leaves(app._tree)] == ["curves", "wells"]
        assert app.focused_pane().KIND == "wells"


async def test_changing_a_panes_kind_gives_it_a_label_and_the_rights_of_its_new_kind(tmp_path):
    """K on a read-only curve list turning it into a UDF runner: the window is relabelled
    (udf-runner-1), so the capabilities of its new kind apply, not the curve list's."""
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("K")
        await wait_until(lambda: isinstance(app.screen, KindPicker), pilot=pilot)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("udf-runner")
        await pilot.press("enter")
        await wait_until(lambda: [p.pane_id for p in app.panes()] == ["udf-runner-1"], pilot=pilot)
        await settle(pilot)
        pane = app.focused_pane()
        assert pane.KIND == "udf-runner" and pane.window.label == "udf-runner-1"
        assert app.core.acl.allows_command("execute_udf", "udf-runner-1")
        assert not app.core.acl.allows_command("execute_udf", "curves-1")
        assert [leaf.pane_id for leaf in L.leaves(app._tree)] == ["udf-runner-1"]


# ---- 5. LAS import -----------------------------------------------------------------------------
async def _wells_lists(app) -> list[list[str]]:
    return [[o.id for o in pane.query_one(OptionList).options if o.id] for pane in app.query(".pane")
            if pane.KIND == "wells"]


async def test_importing_a_las_file_adds_the_well_everywhere_and_selects_it(tmp_path):
    from tui.import_dialog import ImportDialog

    app = make_app(tmp_path, BROWSE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot)
        await pilot.press("i")
        await wait_until(lambda: isinstance(app.screen, ImportDialog), pilot=pilot)
        field = app.screen.query_one(Input)
        field.value = str(GOOD_LAS)
        await pilot.press("enter")
        await wait_until(lambda: not isinstance(app.screen, ImportDialog), pilot=pilot)
        await wait_until(lambda: not app.query_one("#activity").display, pilot=pilot)
        await settle(pilot)
        wells = await app.core.invoke("list_wells", {"workspaceId": demo["workspace"].id})
        new = next(w for w in wells if w.name == "data_characters")
        assert new.source_file == str(GOOD_LAS.resolve())
        sel = app.core.shared("selection").get()
        assert (sel.workspace_id, sel.well_id) == (demo["workspace"].id, new.id)
        lists = await _wells_lists(app)
        assert len(lists) == 2 and all(str(new.id) in ids for ids in lists)
        for pane in app.query(".pane"):
            if pane.KIND == "wells":
                options = pane.query_one(OptionList)
                assert options.get_option_at_index(options.highlighted).id == str(new.id)
        table = app.query_one("#curves-1").query_one(DataTable)
        assert table.row_count == len(new and await app.core.invoke("list_curves", {"wellId": new.id}))
        assert any("Imported" in n and "data_characters" in n for n in notes(app))


@pytest.mark.parametrize("name", ["missing.las", "not_a_las_file.las"])
async def test_a_file_that_cannot_be_imported_is_a_clean_error_and_changes_nothing(tmp_path, name):
    path = (EDGE if name != "missing.las" else tmp_path) / name
    app = make_app(tmp_path, BROWSE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select_demo(pilot)
        before = (await app.core.invoke("get_dataforge_status"), app.core.shared("selection").get(),
                  await _wells_lists(app))
        await app.import_las(path).wait()
        await settle(pilot)
        assert app.is_running
        after = (await app.core.invoke("get_dataforge_status"), app.core.shared("selection").get(),
                 await _wells_lists(app))
        assert after == before
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and name in errors[0].message and "Traceback" not in errors[0].message
        assert not app.query_one("#activity").display
        pane = app.focused_pane()  # said in the pane too, where it stays until Esc
        assert pane is not None and pane.error.startswith("Import failed: ") and name in pane.error
        assert pane.query_one(".pane-error").display


async def test_the_import_dialog_refuses_a_missing_path_inline_and_completes_paths(tmp_path):
    from tui.import_dialog import ImportDialog, PathSuggester

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "well_a.las").write_text("~V\n")
    (tmp_path / "logs" / "notes.txt").write_text("")
    suggester = PathSuggester()
    assert await suggester.get_suggestion(str(tmp_path / "lo")) == str(tmp_path / "logs") + os.sep
    assert await suggester.get_suggestion(str(tmp_path / "logs" / "w")) == str(tmp_path / "logs" / "well_a.las")
    assert await suggester.get_suggestion(str(tmp_path / "nowhere" / "x")) is None
    app = make_app(tmp_path, L.Leaf("wells-1", "wells"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await wait_until(lambda: isinstance(app.screen, ImportDialog), pilot=pilot)
        dialog = app.screen
        dialog.query_one(Input).value = str(tmp_path / "logs" / "nope.las")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog and "no such file" in str(dialog.query_one("#import-error").render())
        dialog.query_one(Input).value = str(tmp_path / "logs")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog and "directory" in str(dialog.query_one("#import-error").render())
        # Tab completes, as in a shell (it moved the focus to the buttons: a user's tmux run).
        field = dialog.query_one(Input)
        field.focus()
        field.value = str(tmp_path / "logs" / "w")
        field.cursor_position = len(field.value)
        await wait_until(lambda: field._suggestion.endswith("well_a.las"), pilot=pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert field.has_focus and field.value == str(tmp_path / "logs" / "well_a.las")
        await pilot.press("tab")  # nothing left to complete: on to the next control
        await settle(pilot)
        assert not field.has_focus
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportDialog)
        assert not [n for n in app._notifications if n.severity == "error"]
