"""core.dataforge.db.Database: schema, file modes, CRUD, atomic writes, thinning, stats,
concurrency, cross-process change tracking and behaviour under a locked database."""

from __future__ import annotations

import math
import os
import sqlite3
import stat
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.dataforge.db import SCHEMA_VERSION, Database, thin_minmax
from core.dataforge.models import NotFound
from core.dataforge.paths import database_path, ensure_data_dir


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def root(tmp_path):
    return ensure_data_dir(tmp_path / "data")


@pytest.fixture
def db(root):
    database = Database(root)
    yield database
    database.close()


def _well(db: Database, ws_id: int, n: int = 50, name: str = "W-1", curves=None):
    depths = 1000.0 + 0.5 * np.arange(n)
    if curves is None:
        curves = [("GR", "gAPI", "gamma", np.linspace(10, 150, n))]
    return db.add_well(ws_id, {"name": name}, depths, curves)


# ---- schema and pragmas -------------------------------------------------------------------


def test_schema_version_tables_and_wal(db, root):
    raw = sqlite3.connect(database_path(root))
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"meta", "workspaces", "wells", "curves"} <= tables
    finally:
        raw.close()
    assert db.counts() == {"workspaces": 0, "wells": 0, "curves": 0}


def test_foreign_keys_are_on_for_every_threads_connection(db):
    # foreign_keys is per connection: a delete from a worker thread must cascade too.
    ws = db.create_workspace("cascade")
    well, _ = _well(db, ws.id)
    errors = []

    def worker():
        try:
            assert db._conn().execute("PRAGMA foreign_keys").fetchone()[0] == 1
            db.delete_workspace(ws.id)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert not errors
    assert db.counts() == {"workspaces": 0, "wells": 0, "curves": 0}
    with pytest.raises(NotFound):
        db.get_well(well.id)


def test_reopening_keeps_data_and_a_newer_schema_is_refused(root):
    first = Database(root)
    first.create_workspace("kept")
    first.close()
    again = Database(root)
    assert [w.name for w in again.list_workspaces()] == ["kept"]
    again.close()
    raw = sqlite3.connect(database_path(root))
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(RuntimeError, match="newer than this DataForge"):
        Database(root)


def test_closed_database_refuses_new_connections(root):
    database = Database(root)
    database.close()
    with pytest.raises(RuntimeError, match="closed"):
        database.list_workspaces()


# ---- file modes ------------------------------------------------------------------------------


def test_data_dir_is_0700_and_database_files_are_0600(tmp_path):
    old = os.umask(0)  # a permissive umask must not widen anything
    try:
        data = ensure_data_dir(tmp_path / "nested" / "dataforge")
        database = Database(data)
        database.create_workspace("w")  # creates the -wal and -shm files
        assert _mode(data) == 0o700
        assert _mode(database.path) == 0o600
        for suffix in ("-wal", "-shm"):
            side = database.path.with_name(database.path.name + suffix)
            assert side.exists() and _mode(side) == 0o600
        database.close()
    finally:
        os.umask(old)


def test_ensure_data_dir_returns_the_resolved_existing_dir_and_rejects_a_file(tmp_path):
    existing = tmp_path / "d"
    existing.mkdir()
    assert ensure_data_dir(existing) == existing.resolve()
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError):
        ensure_data_dir(afile)


# ---- CRUD and errors ---------------------------------------------------------------------------


def test_workspace_crud_and_not_found_messages(db):
    a = db.create_workspace("  Alpha  ")
    b = db.create_workspace("Beta")
    assert a.name == "Alpha" and a.well_count == 0 and a.created_at
    assert [w.name for w in db.list_workspaces()] == ["Alpha", "Beta"]
    assert db.get_workspace(b.id) == b
    db.delete_workspace(a.id)
    assert [w.id for w in db.list_workspaces()] == [b.id]
    for call in (lambda: db.get_workspace(7), lambda: db.delete_workspace(7)):
        with pytest.raises(NotFound) as info:
            call()
        assert str(info.value) == "workspace 7 not found"
        assert isinstance(info.value, LookupError)
    with pytest.raises(NotFound, match=r"^well 99 not found$"):
        db.get_well(99)
    with pytest.raises(NotFound, match=r"^well 99 not found$"):
        db.get_depths(99)
    with pytest.raises(NotFound, match=r"^curve 123 not found$"):
        db.get_curve(123)
    with pytest.raises(NotFound, match=r"^curve 123 not found$"):
        db.get_samples(123)
    with pytest.raises(NotFound, match=r"^workspace 7 not found$"):
        _well(db, 7)


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 101])
def test_invalid_workspace_names(db, name):
    with pytest.raises(ValueError):
        db.create_workspace(name)
    assert db.counts()["workspaces"] == 0


def test_duplicate_workspace_name_is_a_clear_error_and_writes_nothing(db):
    db.create_workspace("Field A")
    token_before = db.last_writer()
    for dup in ("Field A", "  Field A "):
        with pytest.raises(ValueError, match=r"a workspace named 'Field A' already exists"):
            db.create_workspace(dup)
    assert db.counts()["workspaces"] == 1
    assert db.last_writer() == token_before


def test_well_and_curve_crud(db):
    ws = db.create_workspace("w")
    depths = np.array([10.0, 10.5, 11.0, 12.0])
    gr = np.array([1.0, np.nan, 3.0, 4.0])
    well, curves = db.add_well(ws.id, {"name": "  A-1 ", "uwi": "U1", "depth_unit": "ft"}, depths,
                               [("GR", "gAPI", "gamma", gr), ("RT", "ohm.m", "", [2.0, 3.0, 4.0, 5.0])])
    assert well.name == "A-1" and well.uwi == "U1" and well.depth_unit == "ft"
    assert (well.start_depth, well.stop_depth) == (10.0, 12.0)
    assert well.step == 0.5  # median of the steps when none is given
    assert well.curve_count == 2
    assert db.get_workspace(ws.id).well_count == 1
    np.testing.assert_array_equal(db.get_depths(well.id), depths)
    np.testing.assert_array_equal(db.get_samples(curves[0].id), gr)
    info = curves[0]
    assert (info.mnemonic, info.unit, info.description) == ("GR", "gAPI", "gamma")
    assert (info.sample_count, info.null_count) == (4, 1)
    assert (info.min, info.max) == (1.0, 4.0)
    assert info.mean == pytest.approx(8.0 / 3)
    assert not info.is_computed and info.provenance is None

    saved = db.save_curve(well.id, "VSH", "v/v", "shale", np.array([0.1, 0.2, np.nan, np.nan]),
                          {"udf": "vshale", "inputs": [info.id]})
    assert saved.is_computed and saved.provenance == {"udf": "vshale", "inputs": [info.id]}
    assert (saved.min_depth, saved.max_depth) == (10.0, 10.5)  # last non-null sample
    assert [c.mnemonic for c in db.list_curves(well.id)] == ["GR", "RT", "VSH"]

    renamed = db.rename_curve(saved.id, "VSH_GR")
    assert renamed.mnemonic == "VSH_GR" and db.get_curve(saved.id).mnemonic == "VSH_GR"
    db.delete_curve(saved.id)
    with pytest.raises(NotFound):
        db.get_curve(saved.id)
    db.delete_well(well.id)
    assert db.counts() == {"workspaces": 1, "wells": 0, "curves": 0}
    with pytest.raises(NotFound, match=f"^well {well.id} not found$"):
        db.delete_well(well.id)
    with pytest.raises(NotFound, match=f"^curve {saved.id} not found$"):
        db.delete_curve(saved.id)


def test_save_curve_validates_length_mnemonic_and_well(db):
    ws = db.create_workspace("w")
    well, _ = _well(db, ws.id, n=10)
    before = db.counts()
    with pytest.raises(ValueError, match="has 9 samples but the well has 10 depths"):
        db.save_curve(well.id, "X", "", "", np.zeros(9), None)
    with pytest.raises(ValueError, match="invalid mnemonic"):
        db.save_curve(well.id, "TWO WORDS", "", "", np.zeros(10), None)
    with pytest.raises(NotFound, match="^well 999 not found$"):
        db.save_curve(999, "X", "", "", np.zeros(10), None)
    assert db.counts() == before
    db.save_curve(well.id, "NEW", "", "", np.zeros(10), None)
    with pytest.raises(ValueError, match="already has a curve named new"):  # any case: one name
        db.save_curve(well.id, "new", "", "", np.ones(10), None)
    assert [c.mnemonic for c in db.list_curves(well.id)].count("NEW") == 1


@pytest.mark.parametrize("bad", ["", "   ", "has space", "x" * 33, None])
def test_rename_validation_rejects_bad_mnemonics(db, bad):
    ws = db.create_workspace("w")
    _, curves = _well(db, ws.id)
    with pytest.raises(ValueError, match="invalid mnemonic"):
        db.rename_curve(curves[0].id, bad)
    assert db.get_curve(curves[0].id).mnemonic == "GR"


def test_rename_clash_is_case_insensitive_but_own_name_in_other_case_is_fine(db):
    ws = db.create_workspace("w")
    n = 20
    _, curves = _well(db, ws.id, n=n, curves=[("GR", "", "", np.ones(n)), ("RT", "", "", np.ones(n))])
    with pytest.raises(ValueError, match="already has a curve named gr"):
        db.rename_curve(curves[1].id, "gr")
    assert db.get_curve(curves[1].id).mnemonic == "RT"
    assert db.rename_curve(curves[0].id, "gr").mnemonic == "gr"
    assert db.rename_curve(curves[0].id, "  " + "Z" * 32 + " ").mnemonic == "Z" * 32
    with pytest.raises(NotFound, match="^curve 4242 not found$"):
        db.rename_curve(4242, "OK")


# ---- add_well is all-or-nothing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("depths", "curves", "message"),
    [
        (np.arange(5.0), [("GR", "", "", np.ones(5)), ("RT", "", "", np.ones(4))],
         "curve RT has 4 samples but the well has 5 depths"),
        (np.arange(5.0), [("GR", "", "", np.ones(5)), ("BAD NAME", "", "", np.ones(5))], "invalid mnemonic"),
        (np.array([1.0, 2.0, 2.0]), [("GR", "", "", np.ones(3))], "depths must increase strictly"),
        (np.array([3.0, 2.0, 1.0]), [("GR", "", "", np.ones(3))], "depths must increase strictly"),
        (np.array([1.0, np.nan, 3.0]), [("GR", "", "", np.ones(3))], "null or non-finite"),
        (np.array([]), [], "at least one depth"),
    ],
)
def test_add_well_rejects_bad_input_and_writes_no_well(db, depths, curves, message):
    ws = db.create_workspace("w")
    before, token = db.counts(), db.last_writer()
    with pytest.raises(ValueError, match=message):
        db.add_well(ws.id, {"name": "X"}, depths, curves)
    assert db.counts() == before and db.list_wells(ws.id) == []
    assert db.last_writer() == token


def test_add_well_needs_a_name(db):
    ws = db.create_workspace("w")
    with pytest.raises(ValueError, match="well name is required"):
        db.add_well(ws.id, {"name": "  "}, np.arange(3.0), [("GR", "", "", np.ones(3))])
    assert db.counts()["wells"] == 0


def test_add_well_rolls_back_the_well_row_when_a_curve_insert_fails(db, monkeypatch):
    # A failure after the well row is inserted (inside the transaction): the well row goes too.
    ws = db.create_workspace("w")
    real = Database._insert_curve
    calls = []

    def failing(self, conn, well_id, row, provenance):
        calls.append(row[0])
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return real(self, conn, well_id, row, provenance)

    monkeypatch.setattr(Database, "_insert_curve", failing)
    n = 8
    with pytest.raises(sqlite3.OperationalError, match="simulated"):
        db.add_well(ws.id, {"name": "X"}, np.arange(float(n)),
                    [("A", "", "", np.ones(n)), ("B", "", "", np.ones(n)), ("C", "", "", np.ones(n))])
    assert calls == ["A", "B"]
    assert db.counts() == {"workspaces": 1, "wells": 0, "curves": 0}
    monkeypatch.undo()
    well, curves = db.add_well(ws.id, {"name": "X"}, np.arange(float(n)), [("A", "", "", np.ones(n))])
    assert db.counts() == {"workspaces": 1, "wells": 1, "curves": 1}


# ---- thin_minmax ---------------------------------------------------------------------------------


def _brute_thin(values: np.ndarray, max_points: int) -> list[int]:
    """Per bucket, in a plain loop: the first index of the min and of the max non-null value;
    an all-null bucket keeps its first sample. Bucket edges as the function defines them."""
    n = len(values)
    buckets = max(1, max_points // 2)
    edges = [int(x) for x in np.linspace(0, n, buckets + 1).astype(np.int64)]
    picks: set[int] = set()
    for b in range(buckets):
        s, e = edges[b], edges[b + 1]
        if s == e:
            continue
        ok = [i for i in range(s, e) if not math.isnan(values[i])]
        if not ok:
            picks.add(s)
            continue
        lo = min(values[i] for i in ok)
        hi = max(values[i] for i in ok)
        picks.add(next(i for i in ok if values[i] == lo))
        picks.add(next(i for i in ok if values[i] == hi))
    return sorted(picks)


_sample = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan),
                    st.sampled_from([0.0, -0.0, 1.0, 1.0, 1.0]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_sample, min_size=1, max_size=400), max_points=st.integers(1, 120))
def test_thin_minmax_matches_brute_force_per_bucket_min_max(values, max_points):
    arr = np.array(values, dtype=float)
    idx = thin_minmax(arr, max_points)
    expected = _brute_thin(arr, max_points)
    assert idx.tolist() == expected
    # ... so the envelope of the kept samples is the envelope of all samples, per bucket
    assert np.all(np.diff(idx) > 0)
    if max_points >= 2:
        assert idx.size <= max_points


@settings(max_examples=60, deadline=None)
@given(n=st.integers(200, 3000), max_points=st.integers(2, 200), gap=st.integers(0, 150),
       seed=st.integers(0, 2**32 - 1))
def test_thin_minmax_with_long_null_gaps(n, max_points, gap, seed):
    rng = np.random.default_rng(seed)
    arr = np.cumsum(rng.normal(size=n))
    start = int(rng.integers(0, n))
    arr[start:start + gap] = np.nan
    assert thin_minmax(arr, max_points).tolist() == _brute_thin(arr, max_points)


# ---- reading ----------------------------------------------------------------------------------------


def test_get_curve_data_range_filters_and_thinning(db):
    ws = db.create_workspace("w")
    n = 1000
    depths = 100.0 + 0.25 * np.arange(n)
    values = np.sin(np.arange(n) / 7.0)
    values[300:320] = np.nan
    well, (curve,) = db.add_well(ws.id, {"name": "W"}, depths, [("SIN", "", "", values)])
    full = db.get_curve_data(curve.id)
    assert full.depths == depths.tolist() and not full.thinned
    np.testing.assert_array_equal(np.array(full.values), values)  # NaN kept in place

    window = db.get_curve_data(curve.id, top=150.0, bottom=160.0)  # inclusive at both ends
    keep = (depths >= 150.0) & (depths <= 160.0)
    assert window.depths == depths[keep].tolist() and window.depths[0] == 150.0 and window.depths[-1] == 160.0
    np.testing.assert_array_equal(np.array(window.values), values[keep])
    assert db.get_curve_data(curve.id, top=340.0).depths == depths[depths >= 340.0].tolist()
    assert db.get_curve_data(curve.id, bottom=100.5).depths == [100.0, 100.25, 100.5]
    empty = db.get_curve_data(curve.id, top=5000.0)
    assert empty.depths == [] and empty.values == []

    thin = db.get_curve_data(curve.id, max_points=100)
    assert thin.thinned and 0 < len(thin.values) <= 100
    idx = thin_minmax(values, 100)
    assert thin.depths == depths[idx].tolist()
    np.testing.assert_array_equal(np.array(thin.values), values[idx])
    assert np.nanmax(thin.values) == np.nanmax(values) and np.nanmin(thin.values) == np.nanmin(values)
    assert not db.get_curve_data(curve.id, max_points=n).thinned  # not more points than asked

    both = db.get_curve_data(curve.id, top=150.0, bottom=200.0, max_points=20)
    sub = values[(depths >= 150.0) & (depths <= 200.0)]
    assert both.thinned
    np.testing.assert_array_equal(np.array(both.values), sub[thin_minmax(sub, 20)])
    with pytest.raises(NotFound):
        db.get_curve_data(10_000)


def test_stats_match_numpy(db):
    ws = db.create_workspace("w")
    rng = np.random.default_rng(5)
    n = 5000
    values = rng.lognormal(3, 0.7, n)
    values[rng.random(n) < 0.1] = np.nan
    well, (curve,) = db.add_well(ws.id, {"name": "W"}, np.arange(float(n)), [("X", "", "", values)])
    stats = db.get_curve_stats(curve.id)
    ok = values[~np.isnan(values)]
    assert stats.count == n and stats.nulls == n - ok.size
    assert stats.min == ok.min() and stats.max == ok.max()
    assert stats.mean == pytest.approx(ok.mean(), rel=1e-12)
    assert stats.std == pytest.approx(ok.std(), rel=1e-12)
    p10, p50, p90 = np.percentile(ok, [10, 50, 90])
    assert (stats.p10, stats.p50, stats.p90) == pytest.approx((p10, p50, p90), rel=1e-12)
    assert curve.min == stats.min and curve.max == stats.max and curve.null_count == stats.nulls
    assert curve.mean == pytest.approx(stats.mean, rel=1e-12)

    all_null = db.save_curve(well.id, "NUL", "", "", np.full(n, np.nan), None)
    s = db.get_curve_stats(all_null.id)
    assert (s.count, s.nulls, s.min, s.max, s.mean, s.p50) == (n, n, None, None, None, None)
    assert (all_null.min, all_null.min_depth, all_null.null_count) == (None, None, n)


# ---- concurrency and change tracking ----------------------------------------------------------------


def test_eight_threads_writing_at_once_lose_nothing(db):
    ws = db.create_workspace("base")
    n = 200
    well, _ = _well(db, ws.id, n=n)
    per_thread = 6
    barrier = threading.Barrier(8, timeout=20)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            barrier.wait()
            for j in range(per_thread):
                db.create_workspace(f"t{k}-{j}")
                db.save_curve(well.id, f"C{k}_{j}", "", "", np.full(n, float(k * 100 + j)), {"k": k})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert db.counts() == {"workspaces": 1 + 8 * per_thread, "wells": 1, "curves": 1 + 8 * per_thread}
    names = {w.name for w in db.list_workspaces()}
    assert names == {"base"} | {f"t{k}-{j}" for k in range(8) for j in range(per_thread)}
    for c in db.list_curves(well.id)[1:]:
        k, j = map(int, c.mnemonic[1:].split("_"))
        np.testing.assert_array_equal(db.get_samples(c.id), np.full(n, float(k * 100 + j)))


def test_data_version_changes_when_another_database_writes(root, db):
    other = Database(root)
    try:
        v0 = db.data_version()
        db.create_workspace("mine")
        assert db.data_version() == v0  # our own connection's commit: unchanged
        other.create_workspace("theirs")
        v1 = db.data_version()
        assert v1 != v0
        assert db.data_version() == v1  # stable while nobody writes
        assert {w.name for w in db.list_workspaces()} == {"mine", "theirs"}
        # another thread of the same Database has its own connection: that counts too
        t = threading.Thread(target=db.create_workspace, args=("thread",))
        t.start()
        t.join(10)
        assert db.data_version() != v1
    finally:
        other.close()


def test_last_writer_token(root, db):
    assert db.last_writer() is None  # the migration does not stamp
    other = Database(root)
    try:
        assert db.token != other.token and len(db.token) == 32
        int(db.token, 16)
        db.create_workspace("a")
        assert db.last_writer() == db.token and other.last_writer() == db.token
        other.create_workspace("b")
        assert db.last_writer() == other.token
        with pytest.raises(ValueError):
            db.create_workspace("b")  # rolled back: does not stamp
        assert db.last_writer() == other.token
        db.delete_workspace(db.list_workspaces()[0].id)
        assert other.last_writer() == db.token
    finally:
        other.close()


# ---- a locked database ----------------------------------------------------------------------------


def test_save_curve_on_a_locked_database_fails_clearly_then_succeeds(root):
    setup = Database(root)
    ws = setup.create_workspace("w")
    n = 100
    well, _ = _well(setup, ws.id, n=n)
    setup.close()

    db = Database(root, busy_timeout=0.2)
    holder = sqlite3.connect(database_path(root), isolation_level=None, timeout=0)
    try:
        before = db.counts()
        token = db.last_writer()
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            db.save_curve(well.id, "NEW", "", "", np.arange(float(n)), {"x": 1})
        holder.execute("ROLLBACK")
        assert db.counts() == before and db.last_writer() == token
        assert [c.mnemonic for c in db.list_curves(well.id)] == ["GR"]

        saved = db.save_curve(well.id, "NEW", "", "", np.arange(float(n)), {"x": 1})
        np.testing.assert_array_equal(db.get_samples(saved.id), np.arange(float(n)))
        assert db.counts()["curves"] == before["curves"] + 1
        # and the Database is not left inside a transaction or holding its write lock
        db.create_workspace("after")
    finally:
        holder.close()
        db.close()
