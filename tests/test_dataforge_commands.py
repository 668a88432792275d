"""The DataForge commands and events, through `invoke`, on a real data dir."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from core import CommandFailed, InvalidArgs, InvokeError
from core.dataforge.app import build_app, close_app
from core.dataforge.context import DataForge
from core.dataforge.udfs import udf
from core.tasks import TaskManager

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "core" / "dataforge" / "data" / "las" / "sample_2.0.las"


@pytest.fixture
async def app(tmp_path):
    app = build_app(tmp_path / "data", watch=False)
    app.bus.bind()
    yield app
    close_app(app)


async def demo_well(app):
    ws = next(w for w in await app.invoke("list_workspaces") if w.name == "Demo")
    wells = await app.invoke("list_wells", {"workspaceId": ws.id})
    return ws, wells[0]


def record(app, *names):
    seen = []
    for name in names:
        app.listen(name, lambda ev: seen.append((ev.event, ev.payload)))
    return seen


async def test_first_start_creates_the_demo_and_the_samples(app):
    names = [w.name for w in await app.invoke("list_workspaces")]
    assert "Demo" in names and "Samples" in names
    status = await app.invoke("get_dataforge_status")
    assert status.wells >= 4 and status.curves > 20 and status.udfs >= 12
    assert status.running_executions == 0


async def test_select_workspace_clears_the_dependent_selection_and_syncs_new_windows(app):
    ws, well = await demo_well(app)
    seen = record(app, "workspace-selected", "well-selected")
    await app.invoke("select_well", {"wellId": well.id})
    assert (await app.invoke("get_current_selection")).well_id == well.id
    await app.invoke("select_workspace", {"workspaceId": ws.id})
    sel = await app.invoke("get_current_selection")
    assert (sel.workspace_id, sel.well_id, sel.curve_id) == (ws.id, None, None)
    late = app.create_window("curves-9").sync("selection")
    got = []
    late.subscribe(got.append)
    assert got[-1].workspace_id == ws.id and got[-1].well_id is None
    await app.drain()
    assert [e for e, _ in seen] == ["well-selected", "workspace-selected"]


async def test_select_curve_sets_well_and_workspace_too(app):
    ws, well = await demo_well(app)
    curve = (await app.invoke("list_curves", {"wellId": well.id}))[0]
    sel = await app.invoke("select_curve", {"curveId": curve.id})
    assert (sel.workspace_id, sel.well_id, sel.curve_id) == (ws.id, well.id, curve.id)


async def test_not_found_errors_name_the_thing(app):
    with pytest.raises(CommandFailed, match="workspace 9999 not found"):
        await app.invoke("list_wells", {"workspaceId": 9999})
    with pytest.raises(CommandFailed, match="curve 9999 not found"):
        await app.invoke("select_curve", {"curveId": 9999})
    with pytest.raises(InvalidArgs, match="invalid args `workspaceId` for command `list_wells`"):
        await app.invoke("list_wells", {"workspaceId": "three"})


async def test_curve_data_thinning_keeps_extremes_and_nulls(app):
    _, well = await demo_well(app)
    curves = await app.invoke("list_curves", {"wellId": well.id})
    gr = next(c for c in curves if c.mnemonic == "GR")
    full = await app.invoke("get_curve_data", {"curveId": gr.id})
    thin = await app.invoke("get_curve_data", {"curveId": gr.id, "maxPoints": 200})
    assert len(full.values) == gr.sample_count and len(thin.values) <= 200
    assert np.nanmax(thin.values) == np.nanmax(full.values)
    assert np.nanmin(thin.values) == np.nanmin(full.values)
    rhob = next(c for c in curves if c.mnemonic == "RHOB")
    rhob_data = await app.invoke("get_curve_data", {"curveId": rhob.id, "maxPoints": 100})
    assert math.isnan(rhob_data.values[0])  # the density tool starts below the well's top
    top, bottom = gr.min_depth + 10, gr.min_depth + 20
    part = await app.invoke("get_curve_data", {"curveId": gr.id, "top": top, "bottom": bottom})
    assert part.depths and min(part.depths) >= top and max(part.depths) <= bottom
    with pytest.raises(CommandFailed, match="top .* is below bottom"):
        await app.invoke("get_curve_data", {"curveId": gr.id, "top": bottom, "bottom": top})


async def test_curve_stats_match_numpy(app):
    _, well = await demo_well(app)
    curves = await app.invoke("list_curves", {"wellId": well.id})
    rhob = next(c for c in curves if c.mnemonic == "RHOB")
    values = np.array((await app.invoke("get_curve_data", {"curveId": rhob.id})).values)
    stats = await app.invoke("get_curve_stats", {"curveId": rhob.id})
    assert stats.count == values.size and stats.nulls == int(np.isnan(values).sum())
    assert stats.mean == pytest.approx(np.nanmean(values))
    assert stats.p50 == pytest.approx(np.nanpercentile(values, 50))
    assert stats.p10 <= stats.p50 <= stats.p90


async def test_execute_udf_returns_at_once_then_saves_a_curve_with_provenance(app):
    ws, well = await demo_well(app)
    seen = record(app, "execution-progress", "execution-complete", "curve-added")
    before = {c.id for c in await app.invoke("list_curves", {"wellId": well.id})}
    result = await app.invoke("execute_udf", {"request": {
        "udf_id": "vsh_gr", "well_id": well.id, "workspace_id": ws.id,
        "parameters": {"method": "larionov_tertiary"}, "save_result": True}})
    assert result.execution_id.startswith("execution-") and result.state == "running"
    info = await app.state(TaskManager).wait(result.execution_id, timeout=30)
    await app.drain()
    assert info.state == "completed"
    after = await app.invoke("list_curves", {"wellId": well.id})
    new = [c for c in after if c.id not in before]
    assert len(new) == 1 and new[0].is_computed
    assert new[0].provenance["udf_id"] == "vsh_gr"
    assert new[0].provenance["parameters"]["method"] == "larionov_tertiary"
    gr = next(c for c in after if c.mnemonic == "GR")
    assert new[0].provenance["inputs"] == {"GR": gr.id}
    events = [e for e, _ in seen]
    assert events[-1] == "execution-complete" and "curve-added" in events
    assert "execution-progress" in events
    values = np.array((await app.invoke("get_curve_data", {"curveId": new[0].id})).values)
    assert np.nanmin(values) >= 0 and np.nanmax(values) <= 1
    listed = await app.invoke("list_executions")
    assert listed[-1].state == "completed" and listed[-1].curve_id == new[0].id


async def test_bad_udf_requests_fail_before_any_task_starts(app):
    _, well = await demo_well(app)
    with pytest.raises(CommandFailed, match="window"):
        await app.invoke("execute_udf", {"request": {"udf_id": "moving_average", "well_id": well.id,
                                                     "parameters": {"window": 0},
                                                     "inputs": None}})
    with pytest.raises(CommandFailed, match="no UDF with id 'nope'"):
        await app.invoke("execute_udf", {"request": {"udf_id": "nope", "well_id": well.id}})
    assert app.state(TaskManager).list("execution") == []


async def test_check_udf_request_reports_per_field(app):
    _, well = await demo_well(app)
    curves = await app.invoke("list_curves", {"wellId": well.id})
    gr = next(c for c in curves if c.mnemonic == "GR")
    bad = await app.invoke("check_udf_request", {"request": {
        "udf_id": "moving_average", "well_id": well.id, "parameters": {"window": -3},
        "inputs": {"curve": gr.id}}})
    assert not bad.ok and "window" in bad.param_errors
    missing = await app.invoke("check_udf_request", {"request": {"udf_id": "moving_average",
                                                                 "well_id": well.id}})
    assert not missing.ok and "curve" in missing.input_errors
    good = await app.invoke("check_udf_request", {"request": {
        "udf_id": "moving_average", "well_id": well.id, "parameters": {"window": 7},
        "inputs": {"curve": gr.id}}})
    assert good.ok and good.inputs == {"curve": gr.id} and good.output_mnemonic == "GR_MA"


async def test_udf_output_names_never_clash_or_break_the_rules(app):
    _, well = await demo_well(app)
    curves = await app.invoke("list_curves", {"wellId": well.id})
    gr = next(c for c in curves if c.mnemonic == "GR")
    request = {"udf_id": "moving_average", "well_id": well.id, "inputs": {"curve": gr.id}}
    names = []
    for _ in range(3):  # the default name is numbered when an earlier run took it
        check = await app.invoke("check_udf_request", {"request": request})
        started = await app.invoke("execute_udf", {"request": request})
        info = await app.state(TaskManager).wait(started.execution_id, timeout=30)
        assert info.state == "completed"
        names.append(check.output_mnemonic)
    assert names == ["GR_MA", "GR_MA_2", "GR_MA_3"]
    after = [c.mnemonic for c in await app.invoke("list_curves", {"wellId": well.id})]
    assert sorted(after) == sorted([c.mnemonic for c in curves] + names)
    # A name the user gives must be free and valid: said by the check, refused by the run.
    for given, message in (("gr", "already has a curve named gr"), ("Gr_Ma_2", "already has a curve"),
                           ("bad name!", "1–32 characters, no spaces"), ("X" * 33, "1–32 characters")):
        check = await app.invoke("check_udf_request", {"request": {**request, "output_mnemonic": given}})
        assert not check.ok and message in check.error
        with pytest.raises(CommandFailed, match=message.split(":")[0][:20]):
            await app.invoke("execute_udf", {"request": {**request, "output_mnemonic": given}})
    assert len(await app.invoke("list_curves", {"wellId": well.id})) == len(after)


async def test_a_rule_across_parameters_is_reported_for_the_form(app):
    _, well = await demo_well(app)
    check = await app.invoke("check_udf_request", {"request": {
        "udf_id": "vsh_gr", "well_id": well.id, "parameters": {"gr_clean": 150, "gr_shale": 20}}})
    assert not check.ok
    assert check.param_errors == {"parameters": "gr_shale (20.0) must be greater than gr_clean (150.0)"}


def _hold_udf(app, gate: threading.Event, started: threading.Event):
    registry = app.state(DataForge).registry

    @udf("hold_test", name="Hold", inputs=["GR"], output="GR_HOLD", registry=registry, replace=True)
    def hold(inputs, params, ctx):
        started.set()
        gate.wait(10)
        return inputs["GR"]


async def test_cancel_leaves_no_curve(app):
    _, well = await demo_well(app)
    gate, started = threading.Event(), threading.Event()
    _hold_udf(app, gate, started)
    before = len(await app.invoke("list_curves", {"wellId": well.id}))
    seen = record(app, "execution-cancelled", "curve-added")
    result = await app.invoke("execute_udf", {"request": {"udf_id": "hold_test", "well_id": well.id}})
    await asyncio.to_thread(started.wait, 10)
    assert await app.invoke("cancel_execution", {"executionId": result.execution_id}) is True
    gate.set()
    info = await app.state(TaskManager).wait(result.execution_id, timeout=10)
    await app.drain()
    assert info.state == "cancelled"
    assert len(await app.invoke("list_curves", {"wellId": well.id})) == before
    assert [e for e, _ in seen] == ["execution-cancelled"]
    # Cancelling a finished execution is a no-op, not an error.
    assert await app.invoke("cancel_execution", {"executionId": result.execution_id}) is False


async def test_settings_validate_and_sync(app):
    seen = record(app, "state:settings")
    new = await app.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
    assert new.depth_unit == "ft"
    with pytest.raises(CommandFailed, match="unknown setting"):
        await app.invoke("update_settings", {"changes": {"colour": "red"}})
    with pytest.raises(CommandFailed, match="depth_unit"):
        await app.invoke("update_settings", {"changes": {"depth_unit": "yards"}})
    await app.drain()
    assert [p["value"].depth_unit for _, p in seen] == ["ft"]


async def test_rename_and_delete_announce_and_update_selection(app):
    _, well = await demo_well(app)
    curve = next(c for c in await app.invoke("list_curves", {"wellId": well.id}) if c.mnemonic == "SP")
    await app.invoke("select_curve", {"curveId": curve.id})
    seen = record(app, "curve-updated", "curve-deleted")
    renamed = await app.invoke("rename_curve", {"curveId": curve.id, "mnemonic": "SP_RAW"})
    assert renamed.mnemonic == "SP_RAW"
    with pytest.raises(CommandFailed):
        await app.invoke("rename_curve", {"curveId": curve.id, "mnemonic": "has space"})
    await app.invoke("delete_curve", {"curveId": curve.id})
    await app.drain()
    assert [e for e, _ in seen] == ["curve-updated", "curve-deleted"]
    assert (await app.invoke("get_current_selection")).curve_id is None


async def test_import_and_export_round_trip(app, tmp_path):
    import lasio

    seen = record(app, "well-added", "curve-added")
    result = await app.invoke("import_las", {"path": str(SAMPLE)})
    await app.drain()
    assert seen[0][0] == "well-added" and len(seen) == 1 + len(result.curves)
    out = tmp_path / "out.las"
    await app.invoke("export_las", {"wellId": result.well.id, "path": str(out)})
    original, again = lasio.read(str(SAMPLE)), lasio.read(str(out))
    for curve in original.curves[1:]:
        np.testing.assert_allclose(again[curve.mnemonic], original[curve.mnemonic], equal_nan=True)


async def test_schema_covers_every_command_and_event(app):
    from core.dataforge.schema import EVENT_PAYLOADS, app_schema

    schema = app_schema(app)
    assert set(schema["commands"]) == set(app.commands)
    for name in ("workspace-selected", "curve-added", "execution-progress", "data-refreshed"):
        assert name in schema["events"] and name in EVENT_PAYLOADS
    assert "workspaceId" in str(schema["commands"]["list_wells"]["args"]) or \
        "workspace_id" in str(schema["commands"]["list_wells"]["args"])


async def test_a_second_process_writing_is_announced_as_data_refreshed(tmp_path):
    app = build_app(tmp_path / "data", watch=True)
    app.bus.bind()
    try:
        refreshed = asyncio.Event()
        app.listen("data-refreshed", lambda ev: refreshed.set())
        # Our own writes are not announced as external.
        await app.invoke("create_workspace", {"name": "Local"})
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tui.cli", "--data-dir", str(tmp_path / "data"), "import", str(SAMPLE),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        await asyncio.wait_for(refreshed.wait(), timeout=5)
        names = [w.name for ws in await app.invoke("list_workspaces")
                 for w in await app.invoke("list_wells", {"workspaceId": ws.id})]
        assert names.count("AAAAA_2") == 2  # the shipped sample (demo) and the one just imported
    finally:
        close_app(app)


async def test_local_writes_are_not_reported_as_external(tmp_path):
    from core.dataforge.context import ExternalChangeWatcher

    app = build_app(tmp_path / "data", watch=False)
    app.bus.bind()
    try:
        watcher = ExternalChangeWatcher(app.state(DataForge), app)
        version = app.state(DataForge).db.data_version()
        await app.invoke("create_workspace", {"name": "Mine"})
        version = watcher.check(version)
        assert watcher.announced == 0
        other = build_app(tmp_path / "data", demo=False, watch=False)
        try:
            await other.invoke("create_workspace", {"name": "Theirs"})
        finally:
            close_app(other)
        watcher.check(version)
        assert watcher.announced == 1
    finally:
        close_app(app)


async def test_settings_are_kept_in_the_data_dir(tmp_path):
    app = build_app(tmp_path / "data", demo=False, watch=False)
    await app.invoke("update_settings", {"changes": {"depth_unit": "ft", "theme": "nord"}})
    close_app(app)
    again = build_app(tmp_path / "data", demo=False, watch=False)
    try:
        settings = await again.invoke("get_settings")
        assert (settings.depth_unit, settings.theme) == ("ft", "nord")
    finally:
        close_app(again)
    (tmp_path / "data" / "settings.json").write_text("{not json")
    broken = build_app(tmp_path / "data", demo=False, watch=False)
    try:
        assert (await broken.invoke("get_settings")).depth_unit == "m"  # defaults, not a crash
    finally:
        close_app(broken)


async def test_a_unit_parameter_follows_the_curve_and_a_contradicting_one_is_refused(app):
    """sample.las has RHOB in K/M3: left out, density_unit follows it; given as g/cc (a form
    sending its default) it was obeyed and PHID came out near -1 544 v/v."""
    res = await app.invoke("import_las", {"path": str(SAMPLE.with_name("sample.las"))})
    well = res.well.id
    auto = await app.invoke("check_udf_request", {"request": {"udf_id": "phid", "well_id": well}})
    assert auto.ok and auto.parameters["density_unit"] == "kg/m3"
    wrong = await app.invoke("check_udf_request", {"request": {
        "udf_id": "phid", "well_id": well, "parameters": {"density_unit": "g/cc"}}})
    assert not wrong.ok and "RHOB curve is in K/M3" in wrong.param_errors["density_unit"]
    with pytest.raises(InvokeError, match="density_unit|Density"):
        await app.invoke("execute_udf", {"request": {
            "udf_id": "phid", "well_id": well, "parameters": {"density_unit": "g/cc"}}})
    assert not [c for c in await app.invoke("list_curves", {"wellId": well}) if c.mnemonic == "PHID"]


async def test_settings_saved_by_another_process_reach_the_running_app(tmp_path):
    """`dataforge invoke update_settings` rewrote settings.json but the open app stayed in
    feet (a user review); the watcher now applies the file, and our own saves are no-ops."""
    from core.dataforge.context import ExternalChangeWatcher

    app = build_app(tmp_path / "data", demo=False, watch=False)
    app.bus.bind()
    try:
        watcher = ExternalChangeWatcher(app.state(DataForge), app)
        seen: list = []
        app.listen("state:settings", lambda ev: seen.append(ev.payload["value"].depth_unit))
        stamp = watcher.settings_stamp()
        assert stamp == 0  # a new data dir has no settings file yet
        await app.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
        await app.drain()
        stamp = watcher.check_settings(stamp)  # our own save: nothing new to apply
        await app.drain()
        assert seen == ["ft"]
        other = build_app(tmp_path / "data", demo=False, watch=False)
        try:
            await other.invoke("update_settings", {"changes": {"depth_unit": "m"}})
        finally:
            close_app(other)
        watcher.check_settings(stamp)
        await app.drain()
        assert seen == ["ft", "m"] and app.shared("settings").get().depth_unit == "m"
    finally:
        close_app(app)
