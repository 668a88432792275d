"""Every DataForge command, fuzzed through `invoke` on a real data dir (hypothesis).

The commands are the registry of a real app (`build_app`), so a new command is fuzzed
without touching this file. Each gets payloads of four kinds:

- random JSON values (also non-objects: lists, numbers, null);
- objects keyed by the command's real parameter names (camelCase and snake_case) mixed
  with junk keys, holding random or hostile values;
- valid payloads built from the live database (real ids, shipped and broken LAS files, real
  UDFs with their inputs and defaults, export targets under tmp_path);
- valid payloads with one thing mutated: a field (also inside `request`, `parameters`,
  `inputs`, `changes`) replaced by a wrong type, a negative / huge id, NaN / ±inf, an empty
  or 100 000-character string, a path traversal, a nonexistent file, a directory, the
  database's own files; or a key dropped, duplicated in both spellings, or a junk key added.

Every call must end in a result or an `InvokeError` within TIMEOUT — never another exception,
never a hang. A call that failed must leave everything as it was: the database (every row of
every table, curve blobs included), the shared state (selection, depth window, settings),
the files under tmp_path (settings.json, export targets; no temporary files left behind), and
it must announce nothing. An `execute_udf` that starts is awaited: a failed or cancelled
execution has written nothing, a completed one added exactly its own curve. Commands not in
MUTATING must leave the database unchanged even when they succeed (an export only reads).

File paths are confined to tmp_path: the working directory is a folder five levels deep in it
(`../../etc/passwd` stays inside) and absolute paths elsewhere are re-rooted there, except a
few harmless system files that an import may try to read.
"""

from __future__ import annotations

import asyncio
import copy
import faulthandler
import json
import os
import sqlite3
import tempfile
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import InvokeError
from core.dataforge.api import ExecuteUdfRequest
from core.dataforge.app import build_app, close_app
from core.dataforge.context import DataForge
from core.tasks import TaskManager

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "core" / "dataforge" / "data" / "las"
EDGE = ROOT / "tests" / "data" / "las" / "edge-cases"
# Small files only (the 300 kB one would make each successful import cost 50 ms): good
# ones, and broken ones that must fail without a trace.
LAS_FILES = [str(p) for p in (SHIPPED / "sample.las", SHIPPED / "sample_2.0.las",
                              SHIPPED / "sample_wrapped.las", *sorted(EDGE.glob("*.las")))]
# Outside tmp_path, but only ever read: an import may try them.
SYSTEM_FILES = ("/etc/passwd", "/etc/hostname", "/etc", "/dev/null", "/proc/self/status",
                "/nonexistent/dir/well.las")

TIMEOUT = 20.0  # per invoke (and per execution): a hang fails the test, it does not stall it
EXAMPLES = int(os.environ.get("DATAFORGE_FUZZ_EXAMPLES", "50"))  # per command

# The commands allowed to change the database when they succeed. A new command that writes
# must be added here (the test says so); every other command must leave it byte-identical.
MUTATING = frozenset({"create_workspace", "delete_curve", "rename_curve", "import_las", "execute_udf"})


def _registry_names() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp) / "data", demo=False, watch=False)
        try:
            return sorted(app.commands)
        finally:
            close_app(app)


COMMAND_NAMES = _registry_names()


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


# ---- the world: one app per test function ------------------------------------------------------


@dataclass
class Snapshot:
    db: dict[str, tuple[tuple[str, ...], list[tuple]]]
    shared: dict[str, Any]
    files: dict[str, tuple[int, int]]
    db_files: dict[str, tuple]  # the database's files themselves: never replaced, by anything


@dataclass
class World:
    app: Any
    tmp: Path
    cwd: Path
    jail: Path
    exports: Path
    events: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    udfs: list | None = None
    command: str = ""

    @property
    def df(self) -> DataForge:
        return self.app.state(DataForge)

    @property
    def db_path(self) -> Path:
        return self.df.db.path

    def _read(self) -> sqlite3.Connection:
        # A fresh read-only connection each time: it sees the file as it is now (a database
        # replaced on disk would show here, not hide behind an old file descriptor).
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, isolation_level=None)

    def db_dump(self) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
        conn = self._read()
        try:
            conn.execute("BEGIN")  # one consistent read
            out: dict[str, tuple[tuple[str, ...], list[tuple]]] = {
                "sqlite_master": (("type", "name", "sql"), conn.execute(
                    "SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()),
                "user_version": (("user_version",), conn.execute("PRAGMA user_version").fetchall()),
            }
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            for table in tables:
                cur = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
                out[table] = (tuple(d[0] for d in cur.description), cur.fetchall())
            conn.execute("COMMIT")
            return out
        finally:
            conn.close()

    def snapshot(self, context: str) -> Snapshot:
        try:
            db = self.db_dump()
        except sqlite3.Error as exc:
            pytest.fail(f"the database can no longer be read {context}: {exc}")
        names = set(getattr(self.app, "_shared", {})) | {"selection", "depth_window", "settings"}
        shared = {n: self.app.shared(n).snapshot() for n in sorted(names)}
        files = {}
        for path in self.tmp.rglob("*"):
            if path.is_file() and not (path.parent == self.db_path.parent
                                       and path.name.startswith(self.db_path.name)):
                st_ = path.stat()
                files[str(path.relative_to(self.tmp))] = (st_.st_size, st_.st_mtime_ns)
        db_files = {}
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{self.db_path}{suffix}")
            if path.exists():  # the same file (inode), and the main one still starts as SQLite's
                with open(path, "rb") as fh:
                    head = fh.read(16) if not suffix else b""
                db_files[suffix or "db"] = (path.stat().st_ino, head)
        assert db_files.get("db", (0, b""))[1] == b"SQLite format 3\x00", \
            f"the database file is no longer a database {context}"
        return Snapshot(db, shared, files, db_files)

    def live(self) -> dict[str, Any]:
        """Ids and facts of the database as it is now, for building valid payloads."""
        conn = self._read()
        try:
            curves = conn.execute("SELECT id, well_id, mnemonic FROM curves ORDER BY id").fetchall()
            wells = conn.execute("SELECT id, workspace_id, start_depth, stop_depth FROM wells "
                                 "ORDER BY id").fetchall()
            workspaces = [r[0] for r in conn.execute("SELECT id FROM workspaces ORDER BY id")]
        finally:
            conn.close()
        executions = [t.id for t in self.app.state(TaskManager).list("execution")]
        if self.udfs is None:  # the registry does not change (and listing it builds schemas)
            self.udfs = self.df.registry.list()
        return {"curves": curves, "wells": wells, "workspaces": workspaces,
                "executions": executions, "udfs": self.udfs}

    def existing_files(self) -> list[str]:
        db = self.db_path
        return [str(db), f"{db}-wal", f"{db}-shm", str(db.parent / "settings.json"),
                str(self.tmp / "text.las"), str(self.jail / "a" / "b" / "etc" / "passwd")]

    def confine(self, value: str, command: str) -> str:
        """A path the OS would open inside tmp_path (see the module docstring)."""
        if command.startswith("import") and (value in SYSTEM_FILES or value in LAS_FILES):
            return value  # only read
        if "\x00" in value:
            return value  # no OS call accepts it
        target = Path(os.path.normpath(os.path.join(self.cwd, value)))
        if target == self.tmp or self.tmp in target.parents:
            return value
        return str(self.jail / value.replace("..", "__").lstrip("/\\"))


def _confine_args(world: World, command: str, args: Any) -> Any:
    if not isinstance(args, dict):
        return args
    out = {}
    for key, value in args.items():
        if isinstance(key, str) and isinstance(value, str) and \
                any(word in key.lower() for word in ("path", "file", "dir")):
            value = world.confine(value, command)
        out[key] = value
    return out


@pytest.fixture
async def world(tmp_path, monkeypatch):
    tmp = tmp_path.resolve()
    jail = tmp / "jail"
    cwd = jail / "a" / "b" / "c" / "cwd"
    cwd.mkdir(parents=True)
    (jail / "a" / "b" / "etc").mkdir()
    (jail / "a" / "b" / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    exports = tmp / "exports"
    exports.mkdir()
    (tmp / "empty.las").write_bytes(b"")
    (tmp / "garbage.las").write_bytes(bytes(range(256)) * 8)
    (tmp / "text.las").write_text("just some text\nno sections here\n")
    monkeypatch.chdir(cwd)
    app = build_app(tmp / "data", watch=False)
    app.bus.bind()
    w = World(app=app, tmp=tmp, cwd=cwd, jail=jail, exports=exports)
    # One finished execution, so cancel_execution and list_executions have a real one.
    well_id = w.live()["wells"][0][0]
    started = await app.invoke("execute_udf", {"request": {"udf_id": "vsh_gr", "well_id": well_id,
                                                           "save_result": False}})
    assert (await app.state(TaskManager).wait(started.execution_id, timeout=TIMEOUT)).state == "completed"
    app.bus.taps.append(lambda record: record.get("kind") == "emit" and w.events.append(record["event"]))
    try:
        yield w
        if w.counts:
            print(f"fuzz {w.command}: {dict(sorted(w.counts.items()))}")  # `pytest -s`: the figures
    finally:
        tasks = app.state(TaskManager)
        for t in tasks.list():
            tasks.cancel(t.id)
        close_app(app)


# ---- payload strategies -------------------------------------------------------------------------

json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
JUNK_KEYS = ["", " ", "id", "ID", "wellID", "curve-id", "Path", "__proto__", "constructor", "args",
             "request_id", "k" * 200, "💥", "well_id ", "WELL_ID"]
HOSTILE = [
    None, True, False, 0, -1, -2, -(2**31), 2**31, -(2**63), 2**63 - 1, 2**63, 2**64, 10**30, -(10**30),
    0.5, -0.0, 1e308, float("nan"), float("inf"), float("-inf"), "", " ", "\t\n", "x" * 100_000,
    "../../etc/passwd", "../../../../../../../../../../etc/passwd", "/etc/passwd",
    "..\\..\\windows\\win.ini", "file:///etc/passwd", "~/.bashrc", "\x00", "well\x00.las",
    "n" * 5000 + ".las", ".", "/", "NaN", "-1", "1e400", "0x10", "null", "😀" * 40, "GR;DROP TABLE curves",
    [], {}, [1, 2, 3], [None], {"a": 1}, {"id": -1},
]


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) < len(typing.get_args(tp)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True
    return tp, False


def from_annotation(tp: Any) -> st.SearchStrategy:
    """Well-typed values for a parameter this file knows nothing about (a new command)."""
    tp, optional = _unwrap_optional(tp)
    origin = typing.get_origin(tp)
    if tp is bool:
        base: st.SearchStrategy = st.booleans()
    elif tp is int:
        base = st.integers(-5, 1000)
    elif tp is float:
        base = st.floats(-1e6, 1e6)
    elif tp is str:
        base = st.text(max_size=20)
    elif origin in (list, tuple, set):
        inner = typing.get_args(tp)
        base = st.lists(from_annotation(inner[0]) if inner else json_values, max_size=4)
    elif origin is dict or tp is dict:
        inner = typing.get_args(tp)
        base = st.dictionaries(st.text(max_size=8),
                               from_annotation(inner[1]) if len(inner) == 2 else json_values, max_size=3)
    elif isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        fields = {n: from_annotation(f.annotation) for n, f in tp.model_fields.items() if f.is_required()}
        optional_fields = {n: from_annotation(f.annotation) for n, f in tp.model_fields.items()
                           if not f.is_required()}
        base = st.fixed_dictionaries(fields, optional=optional_fields)
    else:
        base = json_values
    return st.none() | base if optional else base


# Draws must not depend on the live database (hypothesis replays a draw sequence and checks it
# asks for the same things): choices are drawn as plain integers, then resolved against it.
_CHOICE = st.integers(0, 2**16)


def _pick(draw, items: list, default: Any) -> Any:
    index = draw(_CHOICE)
    return items[index % len(items)] if items else default


@st.composite
def udf_request(draw, live: dict[str, Any]) -> dict[str, Any]:
    udf = draw(st.sampled_from(live["udfs"]))  # the registry does not change
    well_id, workspace_id, _, _ = _pick(draw, live["wells"], (1, 1, None, None))
    own = [c[0] for c in live["curves"] if c[1] == well_id]
    request: dict[str, Any] = {"udf_id": udf.id, "well_id": well_id}
    inputs = {}
    for spec in udf.inputs:
        named = draw(st.booleans())
        curve_id = _pick(draw, own, 10**6)
        if named or not spec.aliases:  # "any curve" inputs must be named
            inputs[spec.name] = curve_id
    if draw(st.booleans()) or inputs:
        request["inputs"] = inputs
    defaults = dict(udf.defaults)
    if defaults:
        keep = draw(st.lists(st.sampled_from(sorted(defaults)), unique=True))
        request["parameters"] = {k: defaults[k] for k in keep}
    if draw(st.booleans()):
        request["workspace_id"] = workspace_id
    request["save_result"] = draw(st.booleans())
    if draw(st.booleans()):
        request["output_mnemonic"] = draw(st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True))
    return request


@st.composite
def valid_payload(draw, world: World, command: str, live: dict[str, Any]) -> dict[str, Any]:
    """Arguments the command should accept (snake_case keys); dependent values follow
    earlier ones (curve_ids of the chosen well, bottom below top)."""
    spec = world.app.commands[command]
    out: dict[str, Any] = {}
    for arg in spec.args:
        if not arg.required and not draw(st.booleans()):
            continue
        name, tp = arg.name, arg.annotation
        well_id = out.get("well_id")
        if name == "curve_id":
            value = _pick(draw, [c[0] for c in live["curves"]], 1)
        elif name == "well_id":
            value = _pick(draw, [w[0] for w in live["wells"]], 1)
        elif name == "workspace_id":
            value = _pick(draw, live["workspaces"], 1)
        elif name == "curve_ids":
            own = [c[0] for c in live["curves"] if well_id is None or c[1] == well_id]
            picks = draw(st.lists(_CHOICE, max_size=4))
            value = list(dict.fromkeys(own[i % len(own)] for i in picks)) if own else []
        elif name == "execution_id":
            value = _pick(draw, live["executions"], "execution-1")
        elif name == "path":
            if command.startswith("import"):
                value = draw(st.sampled_from(LAS_FILES))
            else:  # a new file, or one that exists (a user may pick any file to overwrite)
                fresh = str(world.exports / f"out{draw(st.integers(0, 4))}.las")
                value = draw(st.sampled_from([fresh] * 4 + world.existing_files()))
        elif name == "mnemonic":
            value = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True))
        elif name == "name":
            value = draw(st.text(min_size=1, max_size=30).filter(str.strip))
        elif name in ("top", "bottom", "cursor"):
            value = draw(st.floats(0, 4000))
            if name == "bottom" and out.get("top") is not None:
                value = out["top"] + abs(value) + 1
        elif name == "max_points":
            value = draw(st.integers(2, 5000))
        elif name == "changes":
            value = draw(st.fixed_dictionaries({}, optional={
                "depth_unit": st.sampled_from(["m", "ft"]),
                "theme": st.sampled_from(["textual-dark", "nord", "gruvbox"])}))
        elif name == "request":
            value = draw(udf_request(live))
        else:
            value = draw(from_annotation(tp))
        out[name] = value
    return out


def hostile_paths(world: World) -> st.SearchStrategy:
    db = world.db_path
    paths = [str(world.tmp / "missing.las"), str(world.tmp / "no" / "such" / "dir" / "x.las"),
             str(world.tmp), str(world.exports) + "/", str(world.tmp / "empty.las"),
             str(world.tmp / "garbage.las"), str(world.tmp / "text.las"), str(db),
             str(db) + "-wal", str(db) + "-shm", str(db.parent / "settings.json"),
             str(world.jail / "a" / "b" / "etc" / "passwd"), "../../etc/passwd", "/etc/passwd",
             "../../../../../../../../../../etc/passwd", "..\\..\\windows\\win.ini", "well\x00.las",
             "n" * 5000 + ".las", "", ".", "/", "~/.bashrc", "file:///etc/passwd", *SYSTEM_FILES]
    return st.sampled_from(paths)


def hostile_values(world: World, key: Any = None) -> st.SearchStrategy:
    anything = st.one_of(st.sampled_from(HOSTILE), hostile_paths(world), json_values,
                         st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=40))
    if isinstance(key, str) and any(word in key.lower() for word in ("path", "file", "dir")):
        return hostile_paths(world) | anything  # a path field: mostly hostile paths
    return anything


def _styled(draw, payload: dict[str, Any]) -> dict[str, Any]:
    """Each key in snake_case or camelCase (both are accepted), sometimes in both (refused)."""
    out: dict[Any, Any] = {}
    for key, value in payload.items():
        style = "snake"
        if isinstance(key, str):
            style = draw(st.sampled_from(["snake", "camel", "camel", "both"]))
        if style in ("snake", "both"):
            out[key] = value
        if style in ("camel", "both"):
            out[to_camel(key)] = value
    return out


@st.composite
def mutated_payload(draw, world: World, command: str, live: dict[str, Any]) -> dict[str, Any]:
    payload = copy.deepcopy(draw(valid_payload(world, command, live)))
    spots: list[tuple[dict, Any]] = []

    def walk(d: dict, depth: int) -> None:
        for key, value in d.items():
            spots.append((d, key))
            if isinstance(value, dict) and depth < 2:
                walk(value, depth + 1)

    walk(payload, 0)
    op = draw(st.sampled_from(["replace", "replace", "replace", "drop", "junk"] if spots else ["junk"]))
    if op == "junk":
        key = draw(st.sampled_from(JUNK_KEYS) | st.text(max_size=10) | st.integers())
        payload[key] = draw(hostile_values(world))
    else:
        pathy = [spot for spot in spots if isinstance(spot[1], str) and "path" in spot[1].lower()]
        container, key = _pick(draw, pathy if pathy and draw(st.booleans()) else spots, None)
        if op == "drop":
            del container[key]
        else:
            container[key] = draw(hostile_values(world, key))
    return _styled(draw, payload)


@st.composite
def payloads(draw, world: World, command: str) -> Any:
    live = world.live()
    spec = world.app.commands[command]
    names = [a.name for a in spec.args] + [to_camel(a.name) for a in spec.args]
    kind = draw(st.sampled_from(["random", "keys", "mutated", "mutated", "mutated", "valid", "valid"]))
    world.counts[kind] = world.counts.get(kind, 0) + 1
    if kind == "random":
        return draw(json_values)
    if kind == "keys":
        keys = st.sampled_from(names + JUNK_KEYS) if names else st.sampled_from(JUNK_KEYS)
        return draw(st.dictionaries(keys, json_values | hostile_values(world), max_size=5))
    if kind == "mutated":
        return draw(mutated_payload(world, command, live))
    return _styled(draw, draw(valid_payload(world, command, live)))


# ---- checks ---------------------------------------------------------------------------------------


def _diff(before: dict, after: dict) -> str:
    lines = []
    for table in sorted(set(before) | set(after)):
        b_cols, b_rows = before.get(table, ((), []))
        a_cols, a_rows = after.get(table, ((), []))
        if (b_cols, b_rows) == (a_cols, a_rows):
            continue
        gone, new = set(b_rows) - set(a_rows), set(a_rows) - set(b_rows)
        lines.append(f"{table}: {len(gone)} row(s) gone {_short(sorted(map(_short_row, gone)), 400)}, "
                     f"{len(new)} new {_short(sorted(map(_short_row, new)), 400)}")
    return "; ".join(lines) or "(same rows, different order)"


def _short_row(row: tuple) -> tuple:
    return tuple(f"<{len(v)} bytes>" if isinstance(v, bytes) else v for v in row)


def _rows(dump: dict, table: str) -> list[dict[str, Any]]:
    cols, rows = dump[table]
    return [dict(zip(cols, r)) for r in rows]


async def _settle(world: World) -> None:
    """Wait for every running task (an execution started by the call) and every event."""
    tasks = world.app.state(TaskManager)
    for info in tasks.list():
        if info.state == "running":
            await tasks.wait(info.id, timeout=TIMEOUT)
    await world.app.drain(timeout=TIMEOUT)


def _check_execution(world: World, args: Any, info: Any, before: Snapshot, after: Snapshot,
                     events: list[str], what: str) -> None:
    if info.state != "completed":
        assert after.db == before.db, \
            f"{what}: the {info.state} execution wrote: {_diff(before.db, after.db)}"
        assert "curve-added" not in events, f"{what}: a {info.state} execution announced a curve"
        return
    if not ExecuteUdfRequest.model_validate(args["request"]).save_result:
        assert after.db == before.db, f"{what}: save_result=False but: {_diff(before.db, after.db)}"
        return
    for table in after.db:
        if table not in ("curves", "meta"):
            assert after.db[table] == before.db[table], f"{what}: {_diff(before.db, after.db)}"
    old = {r["id"] for r in _rows(before.db, "curves")}
    new = [r for r in _rows(after.db, "curves") if r["id"] not in old]
    assert len(_rows(after.db, "curves")) == len(old) + 1 and len(new) == 1, \
        f"{what}: a completed execution must add exactly one curve: {_diff(before.db, after.db)}"
    curve = new[0]
    depths = next(r for r in _rows(after.db, "wells") if r["id"] == curve["well_id"])["depths"]
    assert curve["is_computed"] == 1 and curve["provenance"]
    assert len(curve["samples"]) == len(depths) == 8 * curve["sample_count"], f"{what}: a short curve"


async def _fuzz_one(world: World, command: str, args: Any) -> None:
    args = _confine_args(world, command, args)
    what = f"{command}({_short(args)})"
    before = world.snapshot(f"before {what}")
    world.events.clear()
    # wait_for cannot end a call that never gives the loop back (a sync command stuck on it):
    # the watchdog thread then dumps every stack and ends the run — a failure, never a hang.
    faulthandler.dump_traceback_later(TIMEOUT + 30, exit=True)
    try:
        result = await asyncio.wait_for(world.app.invoke(command, args), TIMEOUT)
        ok = True
    except InvokeError as exc:
        ok, result = False, exc
        message = str(exc)
        assert message and exc.to_dict()["message"] == message
        assert "Traceback (most recent call last)" not in message
        json.dumps(exc.to_dict())  # what the CLI prints
    except asyncio.TimeoutError:
        pytest.fail(f"{what} did not finish within {TIMEOUT} s")
    finally:
        faulthandler.cancel_dump_traceback_later()
    info = None
    if ok and command == "execute_udf":
        info = await world.app.state(TaskManager).wait(result.execution_id, timeout=TIMEOUT)
    await _settle(world)
    after = world.snapshot(f"after {what}")
    events = list(world.events)
    assert after.db_files == before.db_files, f"{what} replaced the database's files"
    temp_files = [p for p in after.files if Path(p).name.endswith(".tmp") or ".settings-" in p]
    assert not temp_files, f"{what} left temporary files: {temp_files}"
    if not ok:
        world.counts["failed"] = world.counts.get("failed", 0) + 1
        assert after.db == before.db, f"{what} failed ({result}) but changed the database: " \
                                      f"{_diff(before.db, after.db)}"
        assert after.shared == before.shared, f"{what} failed ({result}) but changed shared state"
        assert after.files == before.files, f"{what} failed ({result}) but changed files: " \
            f"{sorted(set(after.files.items()) ^ set(before.files.items()))}"
        assert events == [], f"{what} failed ({result}) but announced {events}"
        return
    world.counts["ok"] = world.counts.get("ok", 0) + 1
    if info is not None:
        world.counts[f"execution-{info.state}"] = world.counts.get(f"execution-{info.state}", 0) + 1
        _check_execution(world, args, info, before, after, events, what)
    elif command not in MUTATING:
        assert after.db == before.db, (
            f"{what} succeeded and changed the database; if {command} is meant to write, add it "
            f"to MUTATING: {_diff(before.db, after.db)}")
    if command == "export_las":
        out = Path(result)
        assert out.is_file() and out.stat().st_size > 0
        assert world.tmp in out.resolve().parents, f"{what} wrote outside tmp_path: {out}"


# ---- the tests ------------------------------------------------------------------------------------


async def test_every_registered_command_is_fuzzed(tmp_path):
    app = build_app(tmp_path / "data", watch=False)
    try:
        names = set(app.commands)
        assert names, "the registry is empty"
        assert {"import_las", "export_las", "delete_curve", "rename_curve", "execute_udf",
                "create_workspace", "update_settings"} <= names
        assert names == set(COMMAND_NAMES)
        assert MUTATING <= names, f"MUTATING names unknown commands: {sorted(MUTATING - names)}"
    finally:
        close_app(app)


@pytest.mark.parametrize("command", COMMAND_NAMES)
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
async def test_invoke_ends_in_a_result_or_an_invoke_error_and_a_failure_changes_nothing(
        world, command, data):
    world.command = command
    args = data.draw(payloads(world, command), label="args")
    await _fuzz_one(world, command, args)


async def test_a_successful_export_does_not_touch_the_database(world):
    """Not left to chance: every well exported whole and as a curve subset, twice (the
    second replaces the first), and the database byte for byte as before."""
    before = world.snapshot("before the exports")
    live = world.live()
    for well_id, *_ in live["wells"]:
        own = [c[0] for c in live["curves"] if c[1] == well_id]
        for n, curve_ids in enumerate((None, own[:2], None)):
            args = {"wellId": well_id, "path": str(world.exports / f"w{well_id}-{n % 2}.las")}
            if curve_ids is not None:
                args["curveIds"] = curve_ids
            await world.app.invoke("export_las", args)
    await world.app.drain()
    after = world.snapshot("after the exports")
    assert after.db == before.db, _diff(before.db, after.db)
    assert len(list(world.exports.glob("*.las"))) == 2 * len(live["wells"])


@pytest.mark.parametrize("target", ["db", "db-wal", "db-shm", "symlink", "hardlink"])
async def test_an_export_never_writes_over_the_database(world, target):
    """Found by the fuzz: exporting to the database's own file (or its WAL) replaced it with
    a LAS file — every well gone. Now refused, and the database is as it was."""
    db = world.db_path
    paths = {"db": db, "db-wal": Path(f"{db}-wal"), "db-shm": Path(f"{db}-shm"),
             "symlink": world.exports / "link.las", "hardlink": world.exports / "hard.las"}
    if target == "symlink":
        paths[target].symlink_to(db)
    elif target == "hardlink":
        os.link(db, paths[target])
    before = world.snapshot("before")
    well_id = world.live()["wells"][0][0]
    with pytest.raises(InvokeError, match="not exported, that is the DataForge database"):
        await world.app.invoke("export_las", {"wellId": well_id, "path": str(paths[target])})
    after = world.snapshot("after")
    assert after.db == before.db and after.files == before.files
    assert await world.app.invoke("list_workspaces")  # still a database
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
