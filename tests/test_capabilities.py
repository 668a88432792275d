"""Capabilities (`core.capabilities`): Tauri 2's ACL on commands and window emits.

Allow, deny wins, unions, globs, default deny, trusted backend calls, nested sets and
cycles, event permissions, JSON/TOML files with overrides and errors, caching and
invalidation, a property test of "deny always wins", and the shipped DataForge defaults.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Builder, PermissionDenied, command
from core.capabilities import (
    BUILTIN_PERMISSION_SETS,
    Acl,
    Capability,
    PermissionSet,
    install,
    load_capabilities,
)

SHIPPED = Path(__file__).resolve().parents[1] / "core" / "dataforge" / "data" / "capabilities"

RUNS: dict[str, int] = {}


@command
def read_doc() -> str:
    RUNS["read_doc"] = RUNS.get("read_doc", 0) + 1
    return "doc"


@command
def delete_doc() -> str:
    RUNS["delete_doc"] = RUNS.get("delete_doc", 0) + 1
    return "deleted"


@command
def rename_doc(name: str) -> str:
    RUNS["rename_doc"] = RUNS.get("rename_doc", 0) + 1
    return name


def cap(identifier: str, windows: list[str], permissions: list[str], **kw) -> Capability:
    return Capability(identifier=identifier, windows=windows, permissions=permissions, **kw)


def make_app(*caps: Capability, sets: tuple[PermissionSet, ...] = ()):
    RUNS.clear()
    app = Builder().invoke_handler(read_doc, delete_doc, rename_doc).build()
    install(app, Acl(caps, sets), strict=True)
    return app


# ---- commands -----------------------------------------------------------------------------
async def test_allowed_command_runs_and_a_denied_body_never_runs():
    app = make_app(cap("viewer", ["view-*"], ["allow-read_doc"]))
    win = app.create_window("view-1")
    assert await win.invoke("read_doc") == "doc"
    with pytest.raises(PermissionDenied) as err:
        await win.invoke("delete_doc")
    msg = str(err.value)
    assert msg.startswith("Command delete_doc not allowed by ACL for window 'view-1'")
    assert "capabilities consulted: viewer" in msg and "no capability allows it" in msg
    assert err.value.command == "delete_doc" and err.value.window == "view-1"
    assert err.value.capabilities == ("viewer",) and err.value.kind == "permission-denied"
    assert RUNS == {"read_doc": 1}  # the denied body never ran


async def test_deny_wins_over_allow_in_the_same_capability():
    app = make_app(cap("c", ["w"], ["allow-delete_doc", "deny-delete_doc", "allow-read_doc"]))
    win = app.create_window("w")
    with pytest.raises(PermissionDenied, match=r"denied by c \(deny-delete_doc\)"):
        await win.invoke("delete_doc")
    assert await win.invoke("read_doc") == "doc"
    assert "delete_doc" not in RUNS


async def test_deny_wins_over_allow_in_another_capability():
    app = make_app(cap("grant", ["w-*"], ["allow-delete_doc", "allow-read_doc"]),
                   cap("guard", ["w-2"], ["deny-delete_doc"]))
    await app.create_window("w-1").invoke("delete_doc")
    with pytest.raises(PermissionDenied, match=r"capabilities consulted: grant, guard\): denied by guard"):
        await app.create_window("w-2").invoke("delete_doc")
    assert RUNS == {"delete_doc": 1}


async def test_rights_are_the_union_of_matching_capabilities():
    app = make_app(cap("read", ["pane-*"], ["allow-read_doc"]),
                   cap("edit", ["pane-editor"], ["allow-delete_doc"]),
                   cap("rename", ["*-editor"], ["allow-rename_doc"]))
    editor, lst = app.create_window("pane-editor"), app.create_window("pane-list")
    assert app.acl.matching("pane-editor") == ("read", "edit", "rename")
    assert await editor.invoke("read_doc") == "doc"
    assert await editor.invoke("delete_doc") == "deleted"
    assert await editor.invoke("rename_doc", {"name": "x"}) == "x"
    assert await lst.invoke("read_doc") == "doc"
    with pytest.raises(PermissionDenied):
        await lst.invoke("rename_doc", {"name": "x"})
    assert app.acl.allowed_commands("pane-editor") == {"read_doc", "delete_doc", "rename_doc"}
    assert app.acl.allowed_commands("pane-list") == {"read_doc"}
    assert app.acl.allowed_commands("pane-list", ["read_doc", "ping"]) == {"read_doc"}


@pytest.mark.parametrize("label, allowed", [
    ("log-tracks-1", True), ("log-tracks-12", True), ("log-tracks-", True),
    ("log-tracks", False), ("LOG-TRACKS-1", False), ("x-log-tracks-1", False),
    ("track-a", True), ("track-ab", False), ("panel-3", True), ("panel-x", False),
])
def test_window_globs(label, allowed):
    acl = Acl([cap("g", ["log-tracks-*", "track-?", "panel-[0-9]"], ["allow-read_doc"])])
    assert acl.allows_command("read_doc", label) is allowed


def test_command_globs_allow_and_deny():
    acl = Acl([cap("g", ["w"], ["allow-*", "deny-delete_*"])])
    assert acl.allows_command("read_doc", "w") and acl.allows_command("anything", "w")
    assert not acl.allows_command("delete_doc", "w")
    assert "denied by g (deny-delete_*)" in acl.explain("delete_doc", "w")
    assert acl.explain("read_doc", "w") == "allowed by g (allow-*)"


async def test_unknown_window_is_denied_with_a_clear_message():
    app = make_app(cap("reader", ["pane-*"], ["allow-read_doc"]),
                   cap("editor", ["editor"], ["allow-delete_doc"]))
    with pytest.raises(PermissionDenied) as err:
        await app.create_window("stranger").invoke("read_doc")
    msg = str(err.value)
    assert msg.startswith("Command read_doc not allowed by ACL for window 'stranger'")
    assert "no capability matches window 'stranger'" in msg and "default deny" in msg
    assert "reader [pane-*]" in msg and "editor [editor]" in msg  # what it could have matched
    assert err.value.capabilities == ()
    assert RUNS == {}


async def test_an_empty_acl_denies_every_window_and_no_acl_allows_everything():
    app = make_app()
    with pytest.raises(PermissionDenied, match="capabilities consulted: none"):
        await app.create_window("w").invoke("read_doc")
    app.acl = None  # no ACL installed: every window may do everything
    assert await app.get_window("w").invoke("read_doc") == "doc"


async def test_no_window_is_trusted():
    app = make_app(cap("reader", ["pane-*"], []))
    assert await app.invoke("delete_doc") == "deleted"  # backend / CLI: never checked
    app.acl.check_command("delete_doc", None)  # and the ACL agrees
    app.acl.check_event("curve-deleted", None)
    app.create_window("pane-1")
    with pytest.raises(PermissionDenied):
        await app.invoke("delete_doc", window="pane-1")  # a label names the window
    assert RUNS == {"delete_doc": 1}


async def test_an_unknown_command_is_not_found_before_the_acl_is_asked():
    from core import CommandNotFound

    app = make_app(cap("reader", ["pane-*"], ["allow-read_doc"]))
    with pytest.raises(CommandNotFound):
        await app.create_window("pane-1").invoke("nope")


# ---- permission sets ----------------------------------------------------------------------
async def test_nested_permission_sets():
    sets = (PermissionSet("docs:read", ["allow-read_doc"]),
            PermissionSet("docs:edit", ["docs:read", "allow-rename_doc"]),
            PermissionSet("docs:all", ["docs:edit", "allow-delete_doc"], description="everything"),
            PermissionSet("docs:safe", ["docs:all", "deny-delete_doc"]))
    app = make_app(cap("all", ["admin"], ["docs:all"]), cap("safe", ["user"], ["docs:safe"]), sets=sets)
    admin, user = app.create_window("admin"), app.create_window("user")
    for name, args in (("read_doc", None), ("rename_doc", {"name": "n"}), ("delete_doc", None)):
        await admin.invoke(name, args)
    await user.invoke("rename_doc", {"name": "n"})
    with pytest.raises(PermissionDenied, match=r"denied by safe \(deny-delete_doc via docs:safe\)"):
        await user.invoke("delete_doc")
    assert app.acl.explain("read_doc", "user") == \
        "allowed by safe (allow-read_doc via docs:safe > docs:all > docs:edit > docs:read)"


@pytest.mark.parametrize("sets, culprit", [
    ([("a:x", ["a:x"])], "a:x"),
    ([("a:x", ["a:y"]), ("a:y", ["a:x"])], "a:x"),
    ([("a:x", ["allow-read_doc", "a:y"]), ("a:y", ["a:z"]), ("a:z", ["deny-rename_doc", "a:y"])], "a:y"),
])
def test_permission_set_cycles_are_a_value_error_naming_the_set(sets, culprit):
    with pytest.raises(ValueError, match=f"permission set '{culprit}' includes itself") as err:
        Acl([cap("c", ["*"], [sets[0][0]])], [PermissionSet(i, p) for i, p in sets])
    assert " -> " in str(err.value)


def test_unknown_and_malformed_permissions_are_rejected():
    with pytest.raises(ValueError, match="capability 'c': unknown permission 'docs:nope'"):
        Acl([cap("c", ["*"], ["docs:nope"])])
    with pytest.raises(ValueError, match="permission set 'docs:a': unknown permission 'grant-all'"):
        Acl([], [PermissionSet("docs:a", ["grant-all"])])
    with pytest.raises(ValueError, match="invalid permission 'allow-emit-'"):
        Acl([cap("c", ["*"], ["allow-emit-"])])
    with pytest.raises(ValueError, match="invalid permission 'deny-a b'"):
        Acl([cap("c", ["*"], ["deny-a b"])])
    with pytest.raises(ValueError, match="would read as a permission"):
        PermissionSet("allow-read_doc", [])
    with pytest.raises(ValueError, match="defined twice"):
        Acl([cap("c", ["*"], []), cap("c", ["x"], [])])
    with pytest.raises(ValueError, match="invalid window glob"):
        cap("c", ["bad label"], [])


def test_builtin_core_default_keeps_core_events_backend_only():
    assert [s.identifier for s in BUILTIN_PERMISSION_SETS] == ["core:default"]
    acl = Acl([cap("c", ["w"], ["core:default", "allow-emit-*"])])
    for event in ("state:selection", "window-closed", "listener-error"):
        assert not acl.allows_event(event, "w")
    assert acl.allows_event("ui:hello", "w")
    with pytest.raises(ValueError, match="unknown permission 'core:default'"):
        Acl([cap("c", ["w"], ["core:default"])], builtins=False)


# ---- events -------------------------------------------------------------------------------
async def test_event_permissions_block_window_emits_but_not_the_backend():
    app = make_app(cap("ui", ["pane-*"], ["allow-emit-ui:*", "allow-emit-curve-*", "deny-emit-curve-deleted"]))
    app.bus.bind()
    got: list[tuple[str, str | None]] = []
    for name in ("ui:focus-curve", "curve-deleted", "curve-added", "other"):
        app.listen_any(name, lambda ev: got.append((ev.event, ev.source)))
    pane = app.create_window("pane-1")
    pane.emit("ui:focus-curve", {"curve_id": 1})
    pane.emit("curve-added", {})
    for emit in (lambda: pane.emit("curve-deleted", {}), lambda: pane.emit_to("pane-2", "curve-deleted", {}),
                 lambda: pane.emit_filter("curve-deleted", {}, lambda t: True)):
        with pytest.raises(PermissionDenied) as err:
            emit()
        assert str(err.value).startswith("Event curve-deleted not allowed by ACL for window 'pane-1'")
        assert "denied by ui (deny-emit-curve-deleted)" in str(err.value)
        assert err.value.event == "curve-deleted" and err.value.command is None
    with pytest.raises(PermissionDenied, match="Event other not allowed by ACL .*no capability allows it"):
        pane.emit("other")
    with pytest.raises(PermissionDenied, match="no capability matches window 'stray'"):
        app.create_window("stray").emit("ui:focus-curve")
    app.emit("curve-deleted", {"curve_id": 1})  # the backend may emit anything
    await app.drain()
    assert got == [("ui:focus-curve", "pane-1"), ("curve-added", "pane-1"), ("curve-deleted", None)]


def test_check_event_accepts_a_label_for_a_closed_window():
    acl = Acl([cap("ui", ["pane-*"], ["allow-emit-ui:*"])])
    acl.check_event("ui:x", "pane-9")
    with pytest.raises(PermissionDenied):
        acl.check_event("data-refreshed", "pane-9")


def test_commands_and_events_are_separate_namespaces():
    acl = Acl([cap("c", ["w"], ["allow-*"]), cap("e", ["v"], ["allow-emit-*"])])
    assert acl.allows_command("x", "w") and not acl.allows_event("x", "w")
    assert acl.allows_event("x", "v") and not acl.allows_command("x", "v")


# ---- caching and changes ------------------------------------------------------------------
def test_rules_are_resolved_once_per_label_and_answers_cached_per_name(monkeypatch):
    acl = Acl([cap("c", ["w-*"], ["allow-read_doc"])])
    calls = []
    original = acl._compiled.resolve
    monkeypatch.setattr(acl._compiled, "resolve", lambda label: calls.append(label) or original(label))
    for _ in range(3):
        acl.check_command("read_doc", "w-1")
        with pytest.raises(PermissionDenied):
            acl.check_command("delete_doc", "w-1")
    assert calls == ["w-1"]
    assert acl.rules("w-1").commands == {"read_doc": True, "delete_doc": False}
    assert acl.rules("w-1") is acl.rules("w-1")


async def test_changing_the_acl_drops_the_cache():
    app = make_app(cap("c", ["w"], ["allow-read_doc"]))
    acl, win = app.acl, app.create_window("w")
    await win.invoke("read_doc")
    acl.add(cap("guard", ["w"], ["deny-read_doc"]))
    with pytest.raises(PermissionDenied, match="denied by guard"):
        await win.invoke("read_doc")
    assert acl.remove("guard") and not acl.remove("guard")
    await win.invoke("read_doc")
    acl.add_permission_set(PermissionSet("docs:more", ["allow-delete_doc"]))
    acl.add(cap("c", ["w"], ["allow-read_doc", "docs:more"]))  # replaces "c"
    assert await win.invoke("delete_doc") == "deleted"
    acl.add_permission_set(PermissionSet("docs:more", ["deny-read_doc"]))
    with pytest.raises(PermissionDenied):
        await win.invoke("read_doc")
    assert set(acl.capabilities) == {"c"} and "docs:more" in acl.permission_sets


def test_a_rejected_change_leaves_the_acl_as_it_was():
    acl = Acl([cap("c", ["w"], ["allow-read_doc"])])
    assert acl.allows_command("read_doc", "w")
    with pytest.raises(ValueError, match="unknown permission"):
        acl.add(cap("bad", ["w"], ["no:such-set"]))
    with pytest.raises(ValueError, match="includes itself"):
        acl.add_permission_set(PermissionSet("x:y", ["x:y"]))
    assert set(acl.capabilities) == {"c"} and acl.allows_command("read_doc", "w")


def test_invalidate_sees_models_edited_in_place():
    c = cap("c", ["w"], ["allow-read_doc"])
    acl = Acl([c])
    assert acl.allows_command("read_doc", "w")
    c.permissions[:] = ["deny-read_doc"]  # frozen model, but the list is still a list
    assert acl.allows_command("read_doc", "w")  # cached
    acl.invalidate()
    assert not acl.allows_command("read_doc", "w")


def test_install_reports_permissions_for_unregistered_commands(caplog):
    app = Builder().invoke_handler(read_doc).build()
    acl = Acl([cap("c", ["w"], ["allow-read_doc", "allow-raed_doc", "allow-*"])])
    with pytest.raises(ValueError, match=r"capability 'c': allow-raed_doc"):
        install(app, acl, strict=True)
    assert app.acl is None
    assert install(app, acl) is acl and app.acl is acl
    assert "allow-raed_doc" in caplog.text


# ---- files --------------------------------------------------------------------------------
def write(path: Path, content: str | dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_json_and_toml_files(tmp_path):
    write(tmp_path / "a.json", {"$schema": "ignored", "identifier": "reader", "description": "reads",
                                "windows": ["pane-*"], "permissions": ["docs:read"]})
    write(tmp_path / "b.toml", """
[[set]]
identifier = "docs:read"
description = "read docs"
permissions = ["allow-read_doc", "allow-emit-ui:*"]

[[capabilities]]
identifier = "editor"
windows = ["editor"]
permissions = ["docs:read", "allow-delete_doc"]
""")
    write(tmp_path / "c.json", {"permission_sets": [{"identifier": "docs:x", "permissions": []}],
                                "capabilities": [{"identifier": "x", "windows": ["x"], "permissions": ["docs:x"]}]})
    write(tmp_path / "notes.txt", "not a capability file")
    acl = load_capabilities(tmp_path)
    assert set(acl.capabilities) == {"reader", "editor", "x"}
    assert acl.capabilities["reader"].description == "reads"
    assert acl.allows_command("read_doc", "pane-3") and acl.allows_event("ui:a", "pane-3")
    assert acl.allows_command("delete_doc", "editor") and not acl.allows_command("delete_doc", "pane-3")
    assert acl.origin("editor") == tmp_path / "b.toml" and acl.origin("docs:read", kind="set") == tmp_path / "b.toml"
    assert load_capabilities(tmp_path / "a.json", tmp_path / "b.toml").allows_command("read_doc", "pane-1")


def test_a_later_source_overrides_an_earlier_one(tmp_path):
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    write(shipped / "caps.json", {
        "permission_sets": [{"identifier": "docs:edit", "permissions": ["allow-rename_doc"]}],
        "capabilities": [{"identifier": "main", "windows": ["*"], "permissions": ["allow-read_doc", "docs:edit"]},
                         {"identifier": "extra", "windows": ["x"], "permissions": ["allow-delete_doc"]}]})
    write(user / "main.toml", 'identifier = "main"\nwindows = ["*"]\npermissions = ["deny-read_doc", "docs:edit"]\n')
    write(user / "sets.json", {"permission_sets": [{"identifier": "docs:edit", "permissions": []}]})
    base = load_capabilities(shipped)
    assert base.allows_command("read_doc", "w") and base.allows_command("rename_doc", "w")
    acl = load_capabilities(shipped, user)
    assert not acl.allows_command("read_doc", "w")  # main replaced
    assert not acl.allows_command("rename_doc", "w")  # the set replaced too
    assert acl.allows_command("delete_doc", "x")  # untouched capabilities stay
    assert acl.origin("main") == user / "main.toml" and acl.origin("extra") == shipped / "caps.json"


def test_duplicates_within_one_source_name_both_files(tmp_path):
    write(tmp_path / "a.json", {"identifier": "same", "windows": ["*"], "permissions": []})
    write(tmp_path / "b.json", {"identifier": "same", "windows": ["w"], "permissions": []})
    with pytest.raises(ValueError, match=r"b\.json: capability 'same' is already defined in .*a\.json"):
        load_capabilities(tmp_path)


def test_missing_sources_are_skipped_unless_asked_not_to(tmp_path):
    write(tmp_path / "a.json", {"identifier": "a", "windows": ["*"], "permissions": ["allow-read_doc"]})
    acl = load_capabilities(tmp_path, tmp_path / "no-such-dir")
    assert acl.allows_command("read_doc", "w")
    with pytest.raises(FileNotFoundError, match="no-such-dir"):
        load_capabilities(tmp_path, tmp_path / "no-such-dir", missing_ok=False)


@pytest.mark.parametrize("name, content, problem", [
    ("bad.json", "{not json", "cannot read capabilities from"),
    ("bad.toml", "identifier = ", "cannot read capabilities from"),
    ("bad.json", "[1, 2]", "expected an object"),
    ("bad.json", "{}", "the file is empty"),
    ("bad.json", '{"capabilites": []}', "unknown keys: capabilites"),
    ("bad.json", '{"capabilities": {"identifier": "x"}}', "'capabilities' must be a list"),
    ("bad.json", '{"capabilities": [3]}', "capabilities[0]: expected an object"),
    ("bad.json", '{"identifier": "x", "windows": ["*"]}', "capability 'x': permissions: Field required"),
    ("bad.json", '{"identifier": "x", "windows": [], "permissions": []}', "windows: List should have at least 1 item"),
    ("bad.json", '{"identifier": "x", "windows": "w-*", "permissions": []}', "windows: Input should be a valid list"),
    ("bad.json", '{"identifier": "x", "window": ["*"], "permissions": []}', "window: Extra inputs are not permitted"),
    ("bad.json", '{"identifier": "x", "windows": ["*"], "permissions": [1]}', "permissions.0: Input should be a valid string"),
    ("bad.toml", '[[set]]\nidentifier = "a:b"\n', "set[0] 'a:b': permissions: Field required"),
    ("bad.json", '{"identifier": "x", "windows": ["*"], "permissions": ["nope:set"]}', "unknown permission 'nope:set'"),
])
def test_malformed_files_are_a_value_error_naming_the_file_and_the_problem(tmp_path, name, content, problem):
    write(tmp_path / "good.json", {"identifier": "ok", "windows": ["*"], "permissions": []})
    bad = write(tmp_path / name, content)
    with pytest.raises(ValueError) as err:
        load_capabilities(tmp_path)
    assert str(bad) in str(err.value) and problem in str(err.value), str(err.value)


# ---- deny always wins (property) ------------------------------------------------------------
NAMES = ["read_doc", "delete_doc", "rename_doc", "ui:a", "ui:b"]
PATTERNS = NAMES + ["*", "*_doc", "ui:*", "re*"]
LABELS = ["w-1", "w-2", "v"]
GLOBS = LABELS + ["w-*", "*", "?"]
perm = st.tuples(st.sampled_from(["allow", "deny"]), st.booleans(), st.sampled_from(PATTERNS))


@st.composite
def acl_specs(draw):
    n_sets = draw(st.integers(0, 3))
    sets = []
    for i in range(n_sets):  # set i may include sets < i: never a cycle
        perms = draw(st.lists(perm, max_size=4))
        refs = draw(st.lists(st.integers(0, i - 1), max_size=2)) if i else []
        sets.append((f"s:{i}", perms, [f"s:{j}" for j in refs]))
    caps = []
    for i in range(draw(st.integers(1, 4))):
        windows = draw(st.lists(st.sampled_from(GLOBS), min_size=1, max_size=2))
        perms = draw(st.lists(perm, max_size=5))
        refs = draw(st.lists(st.integers(0, n_sets - 1), max_size=2)) if n_sets else []
        caps.append((f"c{i}", windows, perms, [f"s:{j}" for j in refs]))
    return sets, caps


def _text(p) -> str:
    action, is_event, pattern = p
    return f"{action}-emit-{pattern}" if is_event else f"{action}-{pattern}"


@settings(max_examples=300, deadline=None)
@given(acl_specs())
def test_deny_always_wins(spec):
    sets, caps = spec
    acl = Acl([Capability(identifier=i, windows=w, permissions=[_text(p) for p in ps] + refs)
               for i, w, ps, refs in caps],
              [PermissionSet(i, [_text(p) for p in ps] + refs) for i, ps, refs in sets])
    by_set = {i: (ps, refs) for i, ps, refs in sets}

    def flat(perms, refs):  # the oracle: expand sets naively
        out = list(perms)
        for r in refs:
            out += flat(*by_set[r])
        return out

    for label in LABELS:
        rights = [p for i, w, ps, refs in caps if any(fnmatch.fnmatchcase(label, g) for g in w)
                  for p in flat(ps, refs)]
        for name in NAMES:
            for is_event in (False, True):
                hits = [a for a, ev, pat in rights if ev == is_event and fnmatch.fnmatchcase(name, pat)]
                expected = "allow" in hits and "deny" not in hits
                check = acl.check_event if is_event else acl.check_command
                if "deny" in hits:  # any matching deny: denied, whatever allows it
                    with pytest.raises(PermissionDenied, match="denied by"):
                        check(name, label)
                asked = acl.allows_event(name, label) if is_event else acl.allows_command(name, label)
                assert asked is expected, (label, name, is_event, rights)


# ---- the shipped DataForge defaults ---------------------------------------------------------
GROUPS = {
    "read": ["get_dataforge_status", "list_workspaces", "list_wells", "get_well", "list_curves",
             "get_curve_data", "get_curve_stats", "get_current_selection", "get_settings", "list_udfs",
             "list_executions", "ping", "check_udf_request"],
    "select": ["select_workspace", "select_well", "select_curve", "set_depth_window"],
    "execute": ["execute_udf"],
    "cancel": ["cancel_execution"],
    "import": ["create_workspace", "import_las"],
    "edit": ["delete_curve", "rename_curve", "export_las"],
    "settings": ["update_settings"],
}
# which groups each window may use; every other group is denied
ALLOWED = {
    "workspaces-1": {"read", "select", "import"},
    "wells-2": {"read", "select"},
    "curves-1": {"read", "select"},
    "log-tracks-3": {"read", "select"},
    "udf-runner-1": {"read", "select", "execute", "cancel"},
    "executions-1": {"read", "select", "cancel"},
    "event-log-1": {"read", "select"},
    "status-bar": {"read", "select"},
    "settings": {"read", "select", "settings"},
    "curve-editor": {"read", "select", "import", "edit"},
}
# groups a window is denied *explicitly* (deny wins: no override capability can grant them)
EXPLICIT_DENY = {
    "read-only": {"execute", "cancel", "edit", "import", "settings"},
    "workspaces": {"execute", "cancel", "edit", "settings"},
    "executions": {"execute", "settings"},
    "udf-runner": {"settings"},
    "curve-editor": {"execute", "settings"},
}
UNLISTED_LABELS = ["curves", "curve-editor-2", "main", "settings-1", "udf_runner-1"]


@pytest.fixture(scope="module")
def shipped() -> Acl:
    return load_capabilities(SHIPPED)


@pytest.mark.parametrize("label", sorted(ALLOWED))
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_shipped_defaults_commands(shipped, label, group):
    expected = group in ALLOWED[label]
    for name in GROUPS[group]:
        assert shipped.allows_command(name, label) is expected, shipped.explain(name, label)
        if not expected:
            with pytest.raises(PermissionDenied, match=f"^Command {name} not allowed by ACL for window '{label}'"):
                shipped.check_command(name, label)


@pytest.mark.parametrize("label, kind", [
    ("curves-1", "read-only"), ("log-tracks-3", "read-only"), ("event-log-1", "read-only"),
    ("wells-2", "read-only"), ("status-bar", "read-only"), ("workspaces-1", "workspaces"),
    ("executions-1", "executions"), ("udf-runner-1", "udf-runner"), ("curve-editor", "curve-editor"),
])
def test_shipped_defaults_deny_explicitly_so_overrides_cannot_grant(shipped, label, kind, tmp_path):
    # a user override that grants everything to every window changes nothing that is denied
    write(tmp_path / "grant-all.json", {"identifier": "grant-all", "windows": ["*"],
                                        "permissions": ["allow-*", "allow-emit-*"]})
    acl = load_capabilities(SHIPPED, tmp_path)
    for group in EXPLICIT_DENY[kind]:
        for name in GROUPS[group]:
            assert not acl.allows_command(name, label), (label, name)
            assert "denied by" in acl.explain(name, label)
    assert not acl.allows_event("curve-deleted", label) and not acl.allows_event("state:selection", label)


@pytest.mark.parametrize("label", sorted(ALLOWED))
@pytest.mark.parametrize("event, allowed", [
    ("ui:focus-curve", True), ("ui:anything/else", True), ("settings:focus", True),
    ("curve-deleted", False), ("curve-added", False), ("curve-updated", False), ("curve-selected", False),
    ("well-added", False), ("workspace-added", False), ("data-refreshed", False), ("settings-changed", False),
    ("execution-progress", False), ("execution-complete", False), ("state:selection", False),
    ("state:settings", False), ("window-closed", False), ("listener-error", False), ("random-event", False),
])
def test_shipped_defaults_events(shipped, label, event, allowed):
    assert shipped.allows_event(event, label) is allowed, shipped.explain(event, label, event=True)


@pytest.mark.parametrize("label", UNLISTED_LABELS)
def test_shipped_defaults_deny_unlisted_windows(shipped, label):
    with pytest.raises(PermissionDenied, match=f"no capability matches window '{label}'"):
        shipped.check_command("ping", label)


def test_shipped_defaults_fit_the_dataforge_commands(shipped):
    from core.dataforge import paths
    from core.dataforge.commands import COMMANDS

    assert paths.capabilities_dir() == SHIPPED
    app = Builder().invoke_handler(*COMMANDS).build()
    install(app, shipped, strict=True)  # every command a permission names exists
    names = set(app.commands)
    assert names == {n for group in GROUPS.values() for n in group}  # the table covers every command
    reachable = set().union(*(shipped.allowed_commands(label) for label in ALLOWED))
    assert reachable == names
    for c in shipped.capabilities.values():
        assert c.description, c.identifier
    for s in shipped.permission_sets.values():
        assert s.description, s.identifier
    assert shipped.allowed_commands("executions-1") == set(GROUPS["read"] + GROUPS["select"] + GROUPS["cancel"])


async def test_shipped_defaults_on_a_real_invoke(shipped):
    @command(name="update_settings")
    def fake_update_settings(changes: dict) -> dict:
        RUNS["update_settings"] = RUNS.get("update_settings", 0) + 1
        return changes

    RUNS.clear()
    app = Builder().invoke_handler(fake_update_settings).build()
    install(app, shipped)
    with pytest.raises(PermissionDenied, match=r"denied by dataforge-settings-only-in-settings \(deny-update_settings\)"):
        await app.create_window("curves-1").invoke("update_settings", {"changes": {}})
    assert RUNS == {}
    assert await app.create_window("settings").invoke("update_settings", {"changes": {"a": 1}}) == {"a": 1}
    assert await app.invoke("update_settings", {"changes": {}}) == {}  # the CLI
    assert RUNS == {"update_settings": 2}
