"""Capabilities: allow, deny wins, unions, globs, sets, events, files, and the app's defaults."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Builder, PermissionDenied, command
from core.capabilities import Acl, Capability, PermissionSet, load_capabilities
from core.dataforge import paths
from core.dataforge.app import build_app, close_app

CALLS: list[str] = []


@command
def read_thing() -> str:
    CALLS.append("read")
    return "ok"


@command
def delete_thing() -> None:
    CALLS.append("delete")


def make(caps, sets=()):
    app = Builder().invoke_handler(read_thing, delete_thing).build()
    app.acl = Acl([Capability(**c) for c in caps], [PermissionSet(**s) for s in sets])
    return app


async def test_allowed_command_runs_and_denied_one_never_runs():
    CALLS.clear()
    app = make([{"identifier": "viewer", "windows": ["view-*"], "permissions": ["allow-read_thing"]}])
    w = app.create_window("view-1")
    assert await w.invoke("read_thing") == "ok"
    with pytest.raises(PermissionDenied) as err:
        await w.invoke("delete_thing")
    assert str(err.value).startswith("Command delete_thing not allowed by ACL")
    assert "view-1" in str(err.value) and "viewer" in str(err.value)
    assert CALLS == ["read"]


async def test_deny_wins_within_and_across_capabilities():
    app = make([
        {"identifier": "a", "windows": ["w-*"], "permissions": ["allow-*", "deny-delete_thing"]},
        {"identifier": "b", "windows": ["w-2"], "permissions": ["allow-delete_thing"]},
        {"identifier": "c", "windows": ["w-3"], "permissions": ["deny-read_thing"]},
    ])
    for label in ("w-1", "w-2"):
        with pytest.raises(PermissionDenied, match="denied by a"):
            await app.create_window(label).invoke("delete_thing")
    w3 = app.create_window("w-3")
    with pytest.raises(PermissionDenied, match="denied by c"):
        await w3.invoke("read_thing")


async def test_rights_are_the_union_of_matching_capabilities():
    app = make([
        {"identifier": "r", "windows": ["pane-*"], "permissions": ["allow-read_thing"]},
        {"identifier": "d", "windows": ["pane-editor"], "permissions": ["allow-delete_thing"]},
    ])
    editor, other = app.create_window("pane-editor"), app.create_window("pane-list")
    await editor.invoke("read_thing")
    await editor.invoke("delete_thing")
    await other.invoke("read_thing")
    with pytest.raises(PermissionDenied, match="no capability allows it"):
        await other.invoke("delete_thing")


async def test_unknown_window_is_denied_with_a_clear_message_and_no_window_is_trusted():
    app = make([{"identifier": "r", "windows": ["pane-*"], "permissions": ["allow-read_thing"]}])
    with pytest.raises(PermissionDenied, match="no capability matches window 'stranger'"):
        await app.create_window("stranger").invoke("read_thing")
    assert await app.invoke("read_thing") == "ok"  # backend / CLI


async def test_permission_sets_nest_and_cycles_are_rejected():
    app = make([{"identifier": "x", "windows": ["*"], "permissions": ["demo:all"]}],
               [{"identifier": "demo:read", "permissions": ["allow-read_thing"]},
                {"identifier": "demo:all", "permissions": ["demo:read", "allow-delete_thing"]}])
    w = app.create_window("any")
    await w.invoke("read_thing")
    await w.invoke("delete_thing")
    with pytest.raises(ValueError, match="permission set 'demo:a' includes itself"):
        make([{"identifier": "x", "windows": ["*"], "permissions": ["demo:a"]}],
             [{"identifier": "demo:a", "permissions": ["demo:b"]},
              {"identifier": "demo:b", "permissions": ["demo:a"]}])
    with pytest.raises(ValueError, match="unknown permission 'grant-everything'"):
        make([{"identifier": "x", "windows": ["*"], "permissions": ["grant-everything"]}])


async def test_event_permissions_block_window_emits_but_not_the_backend():
    app = make([{"identifier": "ui", "windows": ["*"],
                 "permissions": ["allow-emit-ui:*", "deny-emit-curve-*"]}])
    got = []
    app.listen_any("ui:ping", lambda ev: got.append(ev.event))
    app.listen_any("curve-deleted", lambda ev: got.append(ev.event))
    w = app.create_window("pane-1")
    w.emit("ui:ping", 1)
    with pytest.raises(PermissionDenied, match="Event curve-deleted not allowed by ACL"):
        w.emit("curve-deleted", {"curve_id": 1})
    app.emit("curve-deleted", {"curve_id": 1})
    await app.drain()
    assert got == ["ui:ping", "curve-deleted"]


def test_json_and_toml_files_and_later_sources_override(tmp_path):
    shipped, override = tmp_path / "shipped", tmp_path / "override"
    shipped.mkdir(), override.mkdir()
    (shipped / "a.json").write_text(json.dumps({"capabilities": [
        {"identifier": "main", "windows": ["*"], "permissions": ["allow-read_thing"]}]}))
    (shipped / "b.toml").write_text('identifier = "extra"\nwindows = ["x"]\npermissions = ["allow-delete_thing"]\n')
    acl = load_capabilities(shipped)
    assert acl.allows_command("read_thing", "anything") and acl.allows_command("delete_thing", "x")
    (override / "main.toml").write_text('identifier = "main"\nwindows = ["*"]\npermissions = ["deny-read_thing"]\n')
    acl = load_capabilities(shipped, override)
    assert not acl.allows_command("read_thing", "anything")


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read capabilities"),
    ('{"identifier": "x", "windows": [], "permissions": []}', "windows"),
    ('{"identifier": "x", "windows": ["*"]}', "permissions: Field required"),
    ("[1, 2]", "expected an object"),
])
def test_malformed_files_name_the_file_and_the_problem(tmp_path, content, message):
    bad = tmp_path / "broken.json"
    bad.write_text(content)
    with pytest.raises(ValueError) as err:
        load_capabilities(tmp_path)
    assert "broken.json" in str(err.value) and message in str(err.value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["allow", "deny"]), st.sampled_from(["read_thing", "delete_thing", "*"])),
                max_size=8),
       st.lists(st.tuples(st.sampled_from(["allow", "deny"]), st.sampled_from(["read_thing", "delete_thing", "*"])),
                max_size=8))
def test_deny_always_wins(first, second):
    caps = [Capability(identifier="one", windows=["w"], permissions=[f"{a}-{c}" for a, c in first]),
            Capability(identifier="two", windows=["w*"], permissions=[f"{a}-{c}" for a, c in second])]
    acl = Acl(caps)
    for cmd in ("read_thing", "delete_thing"):
        perms = first + second
        denied = any(a == "deny" and c in (cmd, "*") for a, c in perms)
        allowed = any(a == "allow" and c in (cmd, "*") for a, c in perms)
        assert acl.allows_command(cmd, "w") == (allowed and not denied)


# ---- the DataForge defaults ----------------------------------------------------------------
READ = ["list_workspaces", "list_wells", "list_curves", "get_curve_data", "get_dataforge_status", "list_udfs"]
SELECT = ["select_workspace", "select_well", "select_curve", "set_depth_window"]
EXPECT = {
    # window: (allowed beyond read+select, denied)
    "curves-1": ([], ["execute_udf", "delete_curve", "rename_curve", "update_settings", "cancel_execution"]),
    "log-tracks-2": ([], ["execute_udf", "delete_curve", "rename_curve", "update_settings"]),
    "event-log-1": ([], ["execute_udf", "delete_curve", "rename_curve", "import_las"]),
    "wells-1": ([], ["execute_udf", "delete_curve", "create_workspace"]),
    "udf-runner-1": (["execute_udf", "cancel_execution", "check_udf_request"],
                     ["delete_curve", "rename_curve", "update_settings"]),
    "executions-1": (["cancel_execution"], ["execute_udf", "delete_curve", "update_settings"]),
    "workspaces-1": (["create_workspace", "import_las"], ["execute_udf", "delete_curve", "update_settings"]),
    "settings": (["update_settings"], ["execute_udf", "delete_curve", "rename_curve"]),
    "curve-editor": (["rename_curve", "delete_curve"], ["execute_udf", "update_settings"]),
    "status-bar": ([], ["execute_udf", "update_settings", "delete_curve"]),
}


@pytest.mark.parametrize("label", sorted(EXPECT))
def test_shipped_defaults(label):
    acl = load_capabilities(paths.capabilities_dir())
    allowed, denied = EXPECT[label]
    for name in READ + SELECT + allowed:
        assert acl.allows_command(name, label), f"{label} should be allowed {name}"
    for name in denied:
        assert not acl.allows_command(name, label), f"{label} should not be allowed {name}"
    assert not acl.allows_event("curve-deleted", label)
    assert not acl.allows_event("state:selection", label)
    assert acl.allows_event("ui:focus-curve", label)


async def test_the_dataforge_app_enforces_its_capabilities(tmp_path):
    app = build_app(tmp_path / "data", watch=False)
    try:
        curves = app.create_window("curves-1")
        assert await curves.invoke("list_workspaces")
        with pytest.raises(PermissionDenied, match="Command update_settings not allowed by ACL"):
            await curves.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
        assert (await app.invoke("get_settings")).depth_unit == "m"  # nothing ran
        settings_window = app.create_window("settings")
        assert (await settings_window.invoke("update_settings", {"changes": {"depth_unit": "ft"}})).depth_unit == "ft"
    finally:
        close_app(app)


async def test_a_broken_override_falls_back_to_the_shipped_defaults(tmp_path):
    data = tmp_path / "data"
    (data / "capabilities").mkdir(parents=True)
    (data / "capabilities" / "mine.json").write_text("{oops")
    app = build_app(data, watch=False)
    try:
        with pytest.raises(PermissionDenied):
            await app.create_window("curves-1").invoke("delete_curve", {"curveId": 1})
    finally:
        close_app(app)


# ---- overrides in the data dir, on the real app ---------------------------------------------
READ_ONLY_PANES_WITHOUT_LOG_TRACKS = '''
[[capabilities]]
identifier = "dataforge-read-only-panes"
description = "Replaces the shipped capability of that name: log tracks are no longer read-only."
windows = ["wells-*", "curves-*", "event-log-*", "status-bar"]
permissions = ["dataforge:read-only", "deny-create_workspace", "deny-import_las"]
'''
EXTRA = {"capabilities": [
    {"identifier": "log-tracks-delete", "windows": ["log-tracks-*"], "permissions": ["allow-delete_curve"]},
    # deny still wins: the (overridden) read-only capability denies curves-* delete_curve
    {"identifier": "curves-delete", "windows": ["curves-*"], "permissions": ["allow-delete_curve"]},
    # and an override can take away what the defaults allow
    {"identifier": "runner-no-execute", "windows": ["udf-runner-*"], "permissions": ["deny-execute_udf"]},
]}


async def _a_demo_curve(app):
    ws = (await app.invoke("list_workspaces"))[0]
    well = (await app.invoke("list_wells", {"workspaceId": ws.id}))[0]
    return well, (await app.invoke("list_curves", {"wellId": well.id}))


async def test_a_capability_file_in_the_data_dir_overrides_the_shipped_one(tmp_path, caplog):
    data = tmp_path / "data"
    (data / "capabilities").mkdir(parents=True)
    (data / "capabilities" / "panes.toml").write_text(READ_ONLY_PANES_WITHOUT_LOG_TRACKS)
    (data / "capabilities" / "extra.json").write_text(json.dumps(EXTRA))
    app = build_app(data, watch=False)  # what the TUI and the CLI call
    try:
        assert app.acl.origin("dataforge-read-only-panes") == data / "capabilities" / "panes.toml"
        well, curves = await _a_demo_curve(app)
        log_tracks, runner = app.create_window("log-tracks-1"), app.create_window("udf-runner-1")
        # granted by the override: a log-tracks window deletes a curve
        await log_tracks.invoke("delete_curve", {"curveId": curves[0].id})
        after = await app.invoke("list_curves", {"wellId": well.id})
        assert [c.id for c in after] == [c.id for c in curves[1:]]
        # deny still wins over allow: curves-* is allowed by curves-delete, denied by read-only
        with pytest.raises(PermissionDenied, match=r"Command delete_curve not allowed by ACL for window "
                                                    r"'curves-1' .*denied by dataforge-read-only-panes"):
            await app.create_window("curves-1").invoke("delete_curve", {"curveId": curves[1].id})
        # denied by the override, allowed by the defaults: nothing runs
        with pytest.raises(PermissionDenied, match=r"Command execute_udf not allowed by ACL for window "
                                                    r"'udf-runner-1' .*denied by runner-no-execute"):
            await runner.invoke("execute_udf", {"request": {"udf_id": "vsh_gr", "well_id": well.id}})
        assert await app.invoke("list_executions") == []
        assert await app.invoke("list_curves", {"wellId": well.id}) == after
        # what the override leaves alone stays as shipped
        assert await runner.invoke("list_udfs")
        with pytest.raises(PermissionDenied):
            await log_tracks.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
        await app.create_window("curve-editor").invoke("delete_curve", {"curveId": curves[1].id})
    finally:
        close_app(app)
    assert "capability overrides ignored" not in caplog.text and "unregistered" not in caplog.text


@pytest.mark.parametrize("name, content, problem", [
    ("mine.json", "{oops", "cannot read capabilities from"),
    ("mine.toml", "identifier = \"x\"\nwindows = [\"log-tracks-*\"\npermissions = []\n",
     "cannot read capabilities from"),
    ("mine.json", json.dumps({"identifier": "x", "windows": ["log-tracks-*"],
                              "permissions": ["dataforge:nope"]}), "unknown permission 'dataforge:nope'"),
    ("mine.json", json.dumps({"identifier": "x", "windows": ["log-tracks-*"], "permissions": "allow-delete_curve"}),
     "permissions: Input should be a valid list"),
    # well-formed, but the command does not exist: a typo would silently grant nothing
    ("mine.json", json.dumps({"identifier": "x", "windows": ["log-tracks-*"],
                              "permissions": ["allow-delet_curve"]}), "allow-delet_curve"),
])
async def test_a_malformed_override_is_a_warning_naming_the_file(tmp_path, caplog, name, content, problem):
    data = tmp_path / "data"
    (data / "capabilities").mkdir(parents=True)
    bad = data / "capabilities" / name
    bad.write_text(content)
    caplog.set_level("WARNING")
    app = build_app(data, watch=False)  # never raises: the shipped defaults are the safe side
    try:
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any(str(bad) in w and problem in w for w in warnings), warnings
        _, curves = await _a_demo_curve(app)
        log_tracks = app.create_window("log-tracks-1")
        with pytest.raises(PermissionDenied):  # the shipped defaults hold
            await log_tracks.invoke("delete_curve", {"curveId": curves[0].id})
        assert await log_tracks.invoke("list_workspaces")
    finally:
        close_app(app)


async def test_a_broken_override_file_costs_only_itself(tmp_path, caplog):
    data = tmp_path / "data"
    (data / "capabilities").mkdir(parents=True)
    (data / "capabilities" / "a-broken.json").write_text("{oops")
    (data / "capabilities" / "b-mine.json").write_text(json.dumps(  # log tracks may delete
        {"identifier": "dataforge-read-only-panes", "windows": ["wells-*", "curves-*", "event-log-*"],
         "permissions": ["dataforge:read-only"]}))
    (data / "capabilities" / "c-mine.json").write_text(json.dumps(
        {"identifier": "mine", "windows": ["log-tracks-*"], "permissions": ["allow-delete_curve"]}))
    caplog.set_level("WARNING")
    app = build_app(data, watch=False)
    try:
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("a-broken.json" in w for w in warnings) and not any("-mine" in w for w in warnings)
        _, curves = await _a_demo_curve(app)
        await app.create_window("log-tracks-1").invoke("delete_curve", {"curveId": curves[0].id})
        with pytest.raises(PermissionDenied):  # the rest of the shipped rules still hold
            await app.create_window("curves-1").invoke("delete_curve", {"curveId": curves[1].id})
    finally:
        close_app(app)


def test_answers_are_cached_per_window_and_command():
    acl = load_capabilities(paths.capabilities_dir())
    assert acl.rules("curves-1").commands == {}
    acl.check_command("list_curves", "curves-1")
    assert acl.rules("curves-1").commands == {"list_curves": True}
    assert acl.rules("curves-1") is acl.rules("curves-1")  # resolved once per label


async def test_did_you_mean_never_names_a_forbidden_command_nor_a_far_stand_in():
    """`delete_thin` from a viewer got no hint about delete_thing (forbidden) — but it must
    not be offered read_thing either (a developer's review saw list_curves offered)."""
    from core import CommandNotFound

    app = make([{"identifier": "viewer", "windows": ["view-*"], "permissions": ["allow-read_thing"]}])
    w = app.create_window("view-1")
    with pytest.raises(CommandNotFound) as err:
        await w.invoke("delete_thin")
    assert err.value.suggestions == [] and "did you mean" not in str(err.value)
    with pytest.raises(CommandNotFound, match=r"did you mean read_thing\?"):
        await w.invoke("read_thin")
    with pytest.raises(CommandNotFound, match=r"did you mean delete_thing\?"):
        await app.invoke("delete_thin")  # the backend may call anything
