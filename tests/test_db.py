"""core.dataforge.db.Database and core.dataforge.paths: schema and pragmas, file modes, CRUD,
not-found messages, min/max thinning, stats, concurrent writers, change tracking, and the
reliability faults (read-only, locked, failing mid-transaction) during an import."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from core.dataforge import paths
from core.dataforge.db import SCHEMA_VERSION, Database
from core.dataforge.las_io import import_las
from core.dataforge.models import CurveData, LasImportError, NotFound

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "core" / "dataforge" / "data" / "las" / "sample_2.0.las"  # 7 curves, 3 rows


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def root(tmp_path):
    return paths.ensure_data_dir(tmp_path / "data")


@pytest.fixture
def db(root):
    database = Database(root)
    yield database
    database.close()


def _add(db, ws_id, n=100, name="W-1", curves=("GR", "RT")):
    depths = 2000.0 + 0.5 * np.arange(n)
    data = [(m, "u", f"{m} curve", np.arange(n, dtype=float) + k) for k, m in enumerate(curves)]
    return db.add_well(ws_id, {"name": name}, depths, data)


def _in_thread(fn):
    """Run fn in a new thread (so it gets its own connection); return its result or raise."""
    box: dict = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert not t.is_alive()
    if "error" in box:
        raise box["error"]
    return box["result"]


# ---- paths --------------------------------------------------------------------------------


def test_default_data_dir_env_override_and_platform_default(monkeypatch, tmp_path):
    monkeypatch.setenv("DATAFORGE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert paths.default_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("DATAFORGE_DATA_DIR")
    assert paths.default_data_dir() == Path(platformdirs.user_data_dir("dataforge", appauthor=False))
    assert paths.plugins_dir(tmp_path) == tmp_path / "plugins"
    assert paths.database_path(tmp_path) == tmp_path / "dataforge.db"
    shipped = paths.shipped_las_dir()
    assert {p.name for p in shipped.glob("*.las")} == {
        "6038187_v1.2.las", "sample.las", "sample_2.0.las", "sample_wrapped.las"}
    assert (shipped / "LICENSE-lasio-examples").is_file()
    assert all(p.stat().st_size < 1_000_000 for p in shipped.iterdir())


def test_file_modes_dir_0700_db_0600_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0o000)
    try:
        data = paths.ensure_data_dir(tmp_path / "a" / "b" / "dataforge")
        assert data == (tmp_path / "a" / "b" / "dataforge").resolve()
        assert _mode(data) == 0o700
        database = Database(data)
        try:
            database.create_workspace("w")  # WAL: creates -wal and -shm
            assert _mode(database.path) == 0o600
            for suffix in ("-wal", "-shm"):
                assert _mode(Path(f"{database.path}{suffix}")) == 0o600
        finally:
            database.close()
    finally:
        os.umask(old)


def test_ensure_data_dir_leaves_an_existing_dirs_mode_alone(tmp_path):
    existing = tmp_path / "mine"
    existing.mkdir()
    os.chmod(existing, 0o750)
    assert paths.ensure_data_dir(existing) == existing.resolve()
    assert _mode(existing) == 0o750
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        paths.ensure_data_dir(tmp_path / "file")


# ---- schema and pragmas ---------------------------------------------------------------------


def test_schema_version_wal_foreign_keys_busy_timeout(db, root):
    conn = db._conn()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    # every worker thread's own connection is configured the same way
    assert _in_thread(lambda: db._conn().execute("PRAGMA foreign_keys").fetchone()[0]) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"meta", "workspaces", "wells", "curves"}
    assert conn.execute("SELECT key FROM meta").fetchall() == [("last_writer",)]
    assert db.path == paths.database_path(root) and db.root == root


def test_reopen_keeps_data_migrates_nothing_twice_and_refuses_newer_or_garbage(root, tmp_path):
    first = Database(root)
    first.create_workspace("kept")
    first.close()
    again = Database(root)
    assert [w.name for w in again.list_workspaces()] == ["kept"]
    again.close()
    raw = sqlite3.connect(paths.database_path(root))
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(RuntimeError, match="newer than this DataForge"):
        Database(root)
    junk = tmp_path / "junk"
    junk.mkdir()
    paths.database_path(junk).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RuntimeError, match="not a DataForge database or is damaged"):
        Database(junk)


# ---- CRUD and not-found messages ---------------------------------------------------------------


def test_workspaces_create_list_unique_names(db):
    a = db.create_workspace("  North Sea ")
    assert a.name == "North Sea" and a.well_count == 0 and a.created_at.endswith("Z")
    with pytest.raises(ValueError, match="^a workspace named 'North Sea' already exists$"):
        db.create_workspace("North Sea")
    with pytest.raises(ValueError, match="^a workspace named 'North Sea' already exists$"):
        db.create_workspace("NORTH sea")  # one name in any case: Demo, demo, DEMO were three
    for bad in ("", "   "):
        with pytest.raises(ValueError, match="name is required"):
            db.create_workspace(bad)
    b = db.create_workspace("Onshore")
    _add(db, b.id)
    assert [(w.name, w.well_count) for w in db.list_workspaces()] == [("North Sea", 0), ("Onshore", 1)]
    assert db.counts() == {"workspaces": 2, "wells": 1, "curves": 2}


def test_wells_and_curves_crud_with_cached_stats(db):
    ws = db.create_workspace("w")
    depths = np.array([100.0, 100.5, 101.0, 101.5, 102.0])
    gr = np.array([np.nan, 20.0, np.nan, 80.0, np.nan])
    header = {"name": "A-1", "uwi": "UWI-1", "company": "Co", "field": "F", "location": "L",
              "depth_unit": "ft", "null_value": -999.25, "source_file": "/x/a.las"}
    well, (c_gr, c_gr2) = db.add_well(ws.id, header, depths,
                                      [("GR", "gAPI", "gamma", gr), ("GR", "gAPI", "again", np.ones(5))])
    assert (well.name, well.uwi, well.company, well.field, well.location) == ("A-1", "UWI-1", "Co", "F", "L")
    assert (well.start_depth, well.stop_depth, well.step) == (100.0, 102.0, 0.5)
    assert (well.depth_unit, well.null_value, well.source_file, well.curve_count) == ("ft", -999.25, "/x/a.las", 2)
    assert db.get_well(well.id) == well and db.list_wells(ws.id) == [well]
    # duplicate mnemonics are distinct rows
    assert c_gr.id != c_gr2.id and [c.mnemonic for c in db.list_curves(well.id)] == ["GR", "GR"]
    assert (c_gr.sample_count, c_gr.null_count) == (5, 3)
    assert (c_gr.min_depth, c_gr.max_depth) == (100.5, 101.5)  # first/last non-null sample
    assert (c_gr.min, c_gr.max, c_gr.mean) == (20.0, 80.0, 50.0)
    assert not c_gr.is_computed and c_gr.provenance is None
    np.testing.assert_array_equal(db.get_samples(c_gr.id), gr)
    np.testing.assert_array_equal(db.get_depths(well.id), depths)
    assert db.get_samples(c_gr.id).flags.writeable  # a copy, not a view of the blob

    prov = {"udf_id": "vsh_linear", "inputs": {"gr": c_gr.id}, "parameters": {"gr_clean": 20}}
    vsh = db.save_curve(well.id, "VSH", "v/v", "shale volume", np.linspace(0, 1, 5), prov)
    assert vsh.is_computed and vsh.provenance == prov and vsh.sample_count == 5
    with pytest.raises(ValueError, match="already has a curve named vsh"):  # never overwrites
        db.save_curve(well.id, "vsh", "v/v", "", np.zeros(5), prov)
    np.testing.assert_array_equal(db.get_samples(vsh.id), np.linspace(0, 1, 5))
    second = db.save_curve(well.id, "VSH_2", "v/v", "", np.zeros(5), prov)
    assert second.id != vsh.id
    with pytest.raises(ValueError, match="has 4 samples but the well has 5 depths"):
        db.save_curve(well.id, "BAD", "", "", np.zeros(4), prov)

    assert db.rename_curve(vsh.id, " VSH_GR ").mnemonic == "VSH_GR"
    for bad in ("", "   ", "TWO WORDS", "TAB\tX", "X" * 33):
        with pytest.raises(ValueError, match="invalid mnemonic"):
            db.rename_curve(vsh.id, bad)
    assert db.rename_curve(vsh.id, "X" * 32).mnemonic == "X" * 32
    db.delete_curve(vsh.id)
    assert db.get_well(well.id).curve_count == 3
    db.delete_well(well.id)  # cascades to its curves
    assert db.counts() == {"workspaces": 1, "wells": 0, "curves": 0}


@pytest.mark.parametrize("call, message", [
    (lambda db: db.get_workspace(7), "workspace 7 not found"),
    (lambda db: db.get_well(3), "well 3 not found"),
    (lambda db: db.get_depths(3), "well 3 not found"),
    (lambda db: db.delete_well(3), "well 3 not found"),
    (lambda db: db.save_curve(3, "X", "", "", np.zeros(2), {}), "well 3 not found"),
    (lambda db: db.get_curve(12), "curve 12 not found"),
    (lambda db: db.get_samples(12), "curve 12 not found"),
    (lambda db: db.get_curve_data(12), "curve 12 not found"),
    (lambda db: db.get_curve_stats(12), "curve 12 not found"),
    (lambda db: db.rename_curve(12, "OK"), "curve 12 not found"),
    (lambda db: db.delete_curve(12), "curve 12 not found"),
    (lambda db: db.add_well(7, {"name": "W"}, np.arange(3.0), []), "workspace 7 not found"),
])
def test_not_found_messages(db, call, message):
    with pytest.raises(NotFound) as info:
        call(db)
    assert str(info.value) == message and isinstance(info.value, LookupError)


# ---- reading: range filter and min/max thinning ---------------------------------------------------


def test_range_filter_is_inclusive_and_keeps_nans(db):
    ws = db.create_workspace("w")
    depths = 1000.0 + 0.5 * np.arange(21)
    values = np.arange(21.0)
    values[4:6] = np.nan
    well, (curve,) = db.add_well(ws.id, {"name": "W"}, depths, [("X", "u", "", values)])
    data = db.get_curve_data(curve.id, top=1001.0, bottom=1003.0)
    assert isinstance(data, CurveData) and not data.thinned
    assert (data.curve_id, data.mnemonic, data.unit) == (curve.id, "X", "u")
    assert data.depths == [1001.0, 1001.5, 1002.0, 1002.5, 1003.0]
    np.testing.assert_array_equal(data.values, [2.0, 3.0, np.nan, np.nan, 6.0])
    assert '"values":[2.0,3.0,null,null,6.0]' in data.model_dump_json()  # NaN is JSON null
    assert db.get_curve_data(curve.id, top=5000.0).depths == []


def test_thinning_100k_samples_keeps_each_buckets_exact_min_and_max(db):
    ws = db.create_workspace("w")
    n, max_points = 100_000, 1000
    rng = np.random.default_rng(42)
    depths = 500.0 + 0.1524 * np.arange(n)
    values = np.cumsum(rng.normal(size=n)) + 5 * (rng.random(n) < 0.001) * rng.normal(size=n) * 20
    values[20_000:22_000] = np.nan  # long gap: ten whole buckets of nulls
    values[50_010:50_020] = np.nan  # short gap inside one bucket
    well, (curve,) = db.add_well(ws.id, {"name": "W"}, depths, [("X", "", "", values)])

    data = db.get_curve_data(curve.id, max_points=max_points)
    assert data.thinned and len(data.values) <= max_points
    out_d, out_v = np.array(data.depths), np.array(data.values)
    assert np.all(np.diff(out_d) > 0)  # depth order
    lookup = dict(zip(depths.tolist(), values.tolist()))
    assert all(np.isnan(v) and np.isnan(lookup[d]) or lookup[d] == v for d, v in zip(out_d, out_v))
    # Per bucket (max_points // 2 equal-count buckets): the emitted samples' min and max are
    # exactly the bucket's; an all-null bucket emits one NaN, so the gap stays a gap.
    edges = np.linspace(0, n, max_points // 2 + 1).astype(int)
    all_null_buckets = 0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (out_d >= depths[lo]) & (out_d <= depths[hi - 1])
        emitted, true = out_v[inside], values[lo:hi]
        assert 1 <= emitted.size <= 2
        if np.isnan(true).all():
            all_null_buckets += 1
            assert emitted.size == 1 and np.isnan(emitted[0])
        else:
            assert np.nanmin(emitted) == np.nanmin(true) and np.nanmax(emitted) == np.nanmax(true)
    assert all_null_buckets == 10
    assert np.nanmin(out_v) == np.nanmin(values) and np.nanmax(out_v) == np.nanmax(values)

    window = db.get_curve_data(curve.id, top=600.0, bottom=700.0, max_points=50)
    assert window.thinned and len(window.values) <= 50
    assert min(window.depths) >= 600.0 and max(window.depths) <= 700.0
    sel = values[(depths >= 600.0) & (depths <= 700.0)]
    assert min(window.values) == sel.min() and max(window.values) == sel.max()
    assert not db.get_curve_data(curve.id, top=600.0, bottom=601.0, max_points=50).thinned


def test_stats_agree_with_numpy(db):
    ws = db.create_workspace("w")
    rng = np.random.default_rng(3)
    n = 4001
    values = rng.lognormal(1.0, 1.2, n)
    values[rng.random(n) < 0.2] = np.nan
    well, (curve,) = db.add_well(ws.id, {"name": "W"}, np.arange(float(n)), [("RT", "ohm.m", "", values)])
    s = db.get_curve_stats(curve.id)
    assert (s.curve_id, s.count, s.nulls) == (curve.id, n, int(np.isnan(values).sum()))
    assert (s.min, s.max) == (np.nanmin(values), np.nanmax(values))
    assert s.mean == pytest.approx(np.nanmean(values), rel=1e-12)
    assert s.std == pytest.approx(np.nanstd(values), rel=1e-12)
    assert [s.p10, s.p50, s.p90] == pytest.approx(list(np.nanpercentile(values, [10, 50, 90])), rel=1e-12)
    empty = db.save_curve(well.id, "NUL", "", "", np.full(n, np.nan), None)
    e = db.get_curve_stats(empty.id)
    assert (e.count, e.nulls) == (n, n)
    assert [e.min, e.max, e.mean, e.std, e.p10, e.p50, e.p90] == [None] * 7


# ---- all-or-nothing writes ------------------------------------------------------------------------


def test_add_well_with_a_bad_curve_length_writes_nothing(db):
    ws = db.create_workspace("w")
    before, token = db.counts(), db.last_writer()
    with pytest.raises(ValueError, match="curve RT has 9 samples but the well has 10 depths"):
        db.add_well(ws.id, {"name": "W"}, np.arange(10.0),
                    [("GR", "", "", np.ones(10)), ("RT", "", "", np.ones(9))])
    assert db.counts() == before and db.last_writer() == token


def test_add_well_failing_mid_transaction_rolls_back_and_releases_the_lock(db, monkeypatch):
    ws = db.create_workspace("w")
    before, token = db.counts(), db.last_writer()
    real = Database._insert_curve
    inserted = []

    def third_fails(self, conn, well_id, row, provenance):
        inserted.append(row[0])
        if len(inserted) == 3:
            raise sqlite3.OperationalError("disk I/O error (injected)")
        return real(self, conn, well_id, row, provenance)

    monkeypatch.setattr(Database, "_insert_curve", third_fails)
    with pytest.raises(sqlite3.OperationalError, match="injected"):
        _add(db, ws.id, curves=("A", "B", "C", "D"))
    assert inserted == ["A", "B", "C"]  # the well row and two curves were written, then undone
    assert db.counts() == before and db.last_writer() == token
    monkeypatch.undo()
    well, curves = _in_thread(lambda: _add(db, ws.id, curves=("A", "B", "C", "D")))  # lock released
    assert well.curve_count == 4 and db.counts()["curves"] == 4


# ---- concurrency and change tracking ----------------------------------------------------------------


def test_eight_threads_writing_at_once_lose_no_write(db):
    ws = db.create_workspace("w")
    n = 500
    well, _ = _add(db, ws.id, n=n, curves=("GR",))
    barrier = threading.Barrier(8)
    errors = []

    def writer(k):
        try:
            barrier.wait(10)
            for j in range(5):
                db.save_curve(well.id, f"T{k}_{j}", "", "", np.full(n, k * 10.0 + j), {"k": k})
                _add(db, ws.id, n=20, name=f"W{k}-{j}", curves=("X",))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert db.counts() == {"workspaces": 1, "wells": 1 + 40, "curves": 1 + 40 + 40}
    saved = {c.mnemonic: c for c in db.list_curves(well.id)}
    for k in range(8):
        for j in range(5):
            np.testing.assert_array_equal(db.get_samples(saved[f"T{k}_{j}"].id), np.full(n, k * 10.0 + j))


def test_data_version_moves_when_another_database_or_process_writes(db, root):
    v0 = db.data_version()
    db.create_workspace("mine")
    assert db.data_version() == v0  # a commit on this connection does not count
    other = Database(root)
    try:
        other.create_workspace("theirs")
    finally:
        other.close()
    v1 = db.data_version()
    assert v1 != v0
    script = ("import sys; from core.dataforge.db import Database; "
              "d = Database(sys.argv[1]); d.create_workspace('from-a-process'); print(d.token); d.close()")
    proc = subprocess.run([sys.executable, "-c", script, str(root)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert db.data_version() != v1
    assert db.last_writer() == proc.stdout.strip() != db.token
    assert "from-a-process" in {w.name for w in db.list_workspaces()}


def test_last_writer_is_the_token_of_the_last_committed_write(db, root):
    assert db.last_writer() is None
    assert len(db.token) == 32 and int(db.token, 16) >= 0
    other = Database(root)
    try:
        assert other.token != db.token
        ws = db.create_workspace("a")
        assert other.last_writer() == db.token
        well, (curve,) = _add(other, ws.id, curves=("GR",))
        assert db.last_writer() == other.token
        with pytest.raises(ValueError):
            db.save_curve(well.id, "X", "", "", np.zeros(3), {})  # fails validation: no stamp
        assert db.last_writer() == other.token
        db.rename_curve(curve.id, "GR2")
        assert other.last_writer() == db.token
    finally:
        other.close()


def test_close_closes_every_threads_connection(root):
    database = Database(root)
    conns = [database._conn(), _in_thread(database._conn), _in_thread(database._conn)]
    assert len({id(c) for c in conns}) == 3
    database.close()
    for conn in conns:
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    with pytest.raises(RuntimeError, match="closed"):
        database.counts()


# ---- reliability: faults during an import --------------------------------------------------------


class _ReadOnly:
    """Makes the database read-only for connections opened from now on, until `fix()`.

    Not root: the files and the data dir lose their write bits (the real thing). Root ignores
    permission bits, so there new connections open the file with SQLite's `mode=ro`, which is
    what SQLite itself falls back to when the file is not writable.
    """

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db, self.mp = db, monkeypatch
        self.files = [p for p in db.root.iterdir() if p.name.startswith("dataforge.db")]
        self.modes = {p: _mode(p) for p in [db.root, *self.files]}
        if os.geteuid() != 0:
            for p in self.files:
                os.chmod(p, 0o400)
            os.chmod(db.root, 0o500)
        else:
            def read_only_open(self_db):
                return sqlite3.connect(f"file:{self_db.path}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False, timeout=self_db._busy_ms / 1000)
            monkeypatch.setattr(Database, "_open", read_only_open)

    def fix(self) -> None:
        for p, mode in self.modes.items():
            os.chmod(p, mode)
        self.mp.undo()


def test_import_while_the_database_is_read_only_fails_clearly_then_succeeds(db, monkeypatch):
    ws = db.create_workspace("w")
    before, token = db.counts(), db.last_writer()
    fault = _ReadOnly(db, monkeypatch)
    worker_box: dict = {}
    go, done = threading.Event(), threading.Event()

    def worker():  # one long-lived worker thread, like the app's pool: it keeps its connection
        while go.wait(30):
            go.clear()
            try:
                worker_box["result"] = import_las(db, SAMPLE, ws.id)
            except BaseException as exc:  # noqa: BLE001
                worker_box["result"] = exc
            done.set()
            if worker_box.get("stop"):
                return

    t = threading.Thread(target=worker)
    t.start()
    try:
        go.set()
        assert done.wait(30)
        done.clear()
        error = worker_box["result"]
        assert isinstance(error, LasImportError)
        assert str(error).startswith("sample_2.0.las: not imported, the database could not be written")
        assert "readonly" in str(error)
        fault.fix()
        assert db.counts() == before and db.last_writer() == token and db.list_wells(ws.id) == []

        worker_box["stop"] = True
        go.set()  # the same thread again: its read-only connection must not be reused
        assert done.wait(30)
        result = worker_box["result"]
        assert not isinstance(result, BaseException), result
        assert [c.mnemonic for c in result.curves] == ["DT", "RHOB", "NPHI", "SFLU", "SFLA", "ILM", "ILD"]
        assert db.counts() == {"workspaces": 1, "wells": 1, "curves": 7}
    finally:
        worker_box["stop"] = True
        go.set()
        t.join(30)
        fault.fix()


def test_import_while_another_process_holds_the_write_lock_fails_clearly_then_succeeds(root):
    setup = Database(root)
    ws = setup.create_workspace("w")
    setup.close()
    db = Database(root, busy_timeout=0.2)
    holder = sqlite3.connect(paths.database_path(root), isolation_level=None, timeout=0)
    try:
        before, token = db.counts(), db.last_writer()
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(LasImportError, match=r"^sample_2\.0\.las: not imported, .*database is locked"):
            import_las(db, SAMPLE, ws.id)
        holder.execute("ROLLBACK")
        assert db.counts() == before and db.last_writer() == token
        result = import_las(db, SAMPLE, ws.id)
        assert result.well.curve_count == 7 and db.counts()["curves"] == 7
        assert db.last_writer() == db.token
    finally:
        holder.close()
        db.close()


def test_import_failing_mid_transaction_leaves_nothing_then_succeeds(db, monkeypatch):
    ws = db.create_workspace("w")
    before = db.counts()
    real = Database._insert_curve
    calls = []

    def disk_full_on_fifth(self, conn, well_id, row, provenance):
        calls.append(row[0])
        if len(calls) == 5:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, conn, well_id, row, provenance)

    monkeypatch.setattr(Database, "_insert_curve", disk_full_on_fifth)
    with pytest.raises(LasImportError, match=r"^sample_2\.0\.las: not imported, .*disk is full"):
        import_las(db, SAMPLE, ws.id)
    assert db.counts() == before
    assert db._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    monkeypatch.undo()
    assert import_las(db, SAMPLE, ws.id).well.curve_count == 7
