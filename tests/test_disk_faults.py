"""The database turns read-only or the disk fills up during an import, a UDF save or an
export: a clear error, nothing half written, the app keeps running, and the same call
succeeds once the fault is gone.

The faults are real where they can be:

- disk full: SQLite's own SQLITE_FULL in the middle of the transaction. Every connection the
  database hands out while the fault is on gets `PRAGMA max_page_count` just above the pages
  in use, so the import fails after its well row and first curves are already inserted (a
  spy on `_insert_curve` proves it was mid-write);
- read-only: connections already open become `query_only` (the state a file system remounted
  read-only leaves them in) and new ones open with SQLite's `mode=ro` (what SQLite does with a
  file it may not write). This works the same for root, where chmod would not stop a write;
- an export on a full disk: `ENOSPC` from the file write (after part of the file was written)
  or from `fsync`; on a read-only folder: `EROFS` from creating the file.

After each fault: the error is one line that says what was being done, why (disk full /
read-only), and which file; the database passes `PRAGMA integrity_check` and
`foreign_key_check` and is row for row as before (no well, no orphan curve, no stamp); the app
answers other invokes; then the fault is removed and the same call completes, whole.
"""

from __future__ import annotations

import asyncio
import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

import lasio
import numpy as np
import pytest

from core import CommandFailed
from core.dataforge import las_io
from core.dataforge.app import build_app, close_app
from core.dataforge.context import DataForge
from core.dataforge.db import Database, DatabaseWriteError
from core.dataforge.las_io import LasExportError
from core.dataforge.models import LasImportError
from core.tasks import TaskManager

ROWS, N_CURVES = 30_000, 8  # the big LAS file: every curve a 240 kB blob, ~59 pages each
PAGE_SIZE = 4096


# ---- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
async def app(tmp_path):
    app = build_app(tmp_path / "data", watch=False)
    app.bus.bind()
    events: list[tuple[str, Any]] = []
    app.bus.taps.append(lambda r: r.get("kind") == "emit" and events.append((r["event"], r["payload"])))
    app.test_events = events
    try:
        yield app
    finally:
        close_app(app)


def _db(app) -> Database:
    return app.state(DataForge).db


def big_las(path: Path, name: str = "FULL-1") -> dict[str, np.ndarray]:
    """Write a LAS file with ROWS rows and N_CURVES curves; return what an import must store."""
    i = np.arange(ROWS)
    text = {"DEPT": np.char.mod("%.4f", 1000.0 + 0.1524 * i)}
    for k in range(N_CURVES):
        values = np.char.mod("%.4f", 50 + 40 * np.sin(i / (50.0 + 7 * k)) + k)
        values[(i % (97 + k)) == 0] = "-999.25"
        text[f"C{k}"] = values
    header = ("~VERSION INFORMATION\n VERS. 2.0 :\n WRAP. NO :\n~WELL INFORMATION\n STRT.M 1000.0 :\n"
              f" NULL. -999.25 :\n WELL. {name} :\n~CURVE INFORMATION\n DEPT.M : depth\n"
              + "".join(f" C{k}.u : curve {k}\n" for k in range(N_CURVES)) + "~A\n")
    path.write_text(header + "\n".join(" ".join(row) for row in zip(*text.values())) + "\n")
    expected = {m: v.astype(float) for m, v in text.items()}
    for values in expected.values():
        values[values == -999.25] = np.nan
    return expected


def dump(db_path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (curve blobs included), read in one transaction."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "ORDER BY name")]
        out = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
        conn.execute("COMMIT")
        return out
    finally:
        conn.close()


def assert_sound(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []  # no orphan curve
        orphans = conn.execute("SELECT COUNT(*) FROM curves c LEFT JOIN wells w ON w.id = c.well_id "
                               "WHERE w.id IS NULL").fetchone()[0]
        assert orphans == 0
        short = conn.execute("SELECT COUNT(*) FROM curves c JOIN wells w ON w.id = c.well_id "
                             "WHERE length(c.samples) != length(w.depths) "
                             "OR length(c.samples) != 8 * c.sample_count").fetchone()[0]
        assert short == 0  # every curve full length
    finally:
        conn.close()


def assert_clear(message: str, *needles: str) -> None:
    """One line, no traceback, and it says what it must."""
    assert "\n" not in message and "Traceback" not in message, message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


async def assert_app_answers(app) -> None:
    """Reads through the thread pool and on the loop still work."""
    status = await app.invoke("get_dataforge_status")
    assert status.wells >= 1
    workspaces = await app.invoke("list_workspaces")
    wells = await app.invoke("list_wells", {"workspaceId": workspaces[0].id})
    curves = await app.invoke("list_curves", {"wellId": wells[0].id})
    data = await app.invoke("get_curve_data", {"curveId": curves[0].id, "maxPoints": 100})
    assert data.values
    assert (await app.invoke("select_well", {"wellId": wells[0].id})).well_id == wells[0].id
    assert await app.invoke("ping") > 0


async def demo_well(app):
    ws = next(w for w in await app.invoke("list_workspaces") if w.name == "Demo")
    wells = await app.invoke("list_wells", {"workspaceId": ws.id})
    return ws, wells[0]


class Fault:
    """Base: patched in with monkeypatch (undone at the test's end), switched with on/off."""

    active = False
    injected = 0  # how many times the fault actually hit (summed for the README figures)

    def __enter__(self) -> "Fault":
        self.on()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.off()


class DiskFull(Fault):
    """SQLITE_FULL for real: while on, every connection of `db` may grow the file by at most
    `headroom` pages beyond what is in use now (`PRAGMA max_page_count`)."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch, headroom: int = 0) -> None:
        self.db, self.headroom = db, headroom
        self.touched: list[sqlite3.Connection] = []
        real = Database._conn
        fault = self

        def limited(db_self: Database) -> sqlite3.Connection:
            conn = real(db_self)
            if fault.active and db_self is fault.db:
                conn.execute(f"PRAGMA max_page_count = {fault.limit}")
                fault.touched.append(conn)
            return conn

        monkeypatch.setattr(Database, "_conn", limited)

    def on(self) -> None:
        conn = sqlite3.connect(self.db.path)
        try:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            self.default = conn.execute("PRAGMA max_page_count").fetchone()[0]
        finally:
            conn.close()
        self.limit = pages + max(0, self.headroom - free)
        self.active = True

    def off(self) -> None:
        self.active = False
        for conn in self.touched:
            try:
                conn.execute(f"PRAGMA max_page_count = {self.default}")
            except sqlite3.ProgrammingError:
                pass  # closed since


class ReadOnly(Fault):
    """The database turns read-only under the running app (see the module docstring)."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        real = Database._open
        fault = self

        def open_(db_self: Database) -> sqlite3.Connection:
            if fault.active and db_self is fault.db:
                return sqlite3.connect(f"file:{db_self.path}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False, timeout=db_self._busy_ms / 1000)
            return real(db_self)

        monkeypatch.setattr(Database, "_open", open_)

    def _set(self, value: str) -> None:
        with self.db._lock:
            conns = list(self.db._connections)
        for conn in conns:
            try:
                conn.execute(f"PRAGMA query_only = {value}")
            except sqlite3.ProgrammingError:
                pass

    def on(self) -> None:
        self.active = True
        self._set("ON")

    def off(self) -> None:
        self.active = False
        self._set("OFF")


class FullDiskFile:
    """A text file whose writes fail with ENOSPC once `budget` characters went through (the
    ones before really are written: the temporary file is half full when it fails)."""

    def __init__(self, fh: Any, budget: int) -> None:
        self._fh, self._left = fh, budget

    def write(self, text: str) -> int:
        if len(text) > self._left:
            self._fh.write(text[: self._left])
            self._left = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._left -= len(text)
        return self._fh.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> "FullDiskFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._fh.close()


class ExportFault(Fault):
    """ENOSPC on the export's write or fsync, or EROFS when creating the file, for files in
    `folder` only (the app's other files are left alone)."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
        self.folder, self.where = folder, where
        fault = self
        real_fdopen, real_fsync, real_mkstemp = os.fdopen, os.fsync, las_io.tempfile.mkstemp

        def in_folder(fd: int) -> bool:
            try:
                return Path(os.readlink(f"/proc/self/fd/{fd}")).parent == fault.folder
            except OSError:
                return True

        def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
            fh = real_fdopen(fd, *args, **kwargs)
            if fault.active and fault.where == "write" and in_folder(fd):
                fault.injected += 1
                return FullDiskFile(fh, budget=20_000)
            return fh

        def fsync(fd: int) -> None:
            if fault.active and fault.where == "fsync" and in_folder(fd):
                fault.injected += 1
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_fsync(fd)

        def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
            if fault.active and fault.where == "create" and dir is not None and Path(dir) == fault.folder:
                fault.injected += 1
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
            return real_mkstemp(*args, dir=dir, **kwargs)

        monkeypatch.setattr(las_io.os, "fdopen", fdopen)
        monkeypatch.setattr(las_io.os, "fsync", fsync)
        monkeypatch.setattr(las_io.tempfile, "mkstemp", mkstemp)

    def on(self) -> None:
        self.active = True

    def off(self) -> None:
        self.active = False


class InsertSpy:
    """Counts curve rows inserted inside write transactions (the fault must hit mid-write)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inserted = 0
        real = Database._insert_curve
        spy = self

        def counting(db_self, conn, well_id, row, provenance):
            curve_id = real(db_self, conn, well_id, row, provenance)
            spy.inserted += 1
            return curve_id

        monkeypatch.setattr(Database, "_insert_curve", counting)


async def _warm_pool(app) -> None:
    """Let several pool threads open their connections (a long-running app has them)."""
    await asyncio.gather(*(app.invoke("list_workspaces") for _ in range(8)))


def _check_import(app, result, expected: dict[str, np.ndarray]) -> None:
    db = _db(app)
    assert [c.mnemonic for c in result.curves] == [f"C{k}" for k in range(N_CURVES)]
    np.testing.assert_array_equal(db.get_depths(result.well.id), expected["DEPT"])
    for curve in result.curves:
        np.testing.assert_array_equal(db.get_samples(curve.id), expected[curve.mnemonic])


# ---- import ---------------------------------------------------------------------------------------


async def test_import_when_the_disk_fills_mid_write_fails_clearly_then_succeeds(app, tmp_path,
                                                                                monkeypatch):
    las = tmp_path / "full.las"
    expected = big_las(las)
    db = _db(app)
    await _warm_pool(app)
    spy = InsertSpy(monkeypatch)
    # room for the well row (its depth blob) and two curves, not for all eight
    fault = DiskFull(db, monkeypatch, headroom=int(ROWS * 8 / PAGE_SIZE * 3.5))
    before = dump(db.path)
    app.test_events.clear()
    with fault:
        with pytest.raises(CommandFailed) as info:
            await app.invoke("import_las", {"path": str(las)})
        await app.drain()
        assert 1 <= spy.inserted < N_CURVES, "the fault did not hit in the middle of the write"
        await assert_app_answers(app)  # while the disk is still full
    error = info.value
    assert isinstance(error.error, LasImportError)
    cause = error.error.__cause__
    assert isinstance(cause, DatabaseWriteError) and cause.disk_full
    assert cause.sqlite_errorcode == sqlite3.SQLITE_FULL  # SQLite's own, not a simulation
    assert_clear(str(error), "full.las: not imported", "the disk is full", "nothing was written",
                 str(db.path), "database or disk is full")
    assert dump(db.path) == before  # no well, no orphan curve, no writer stamp
    assert_sound(db.path)
    assert not [e for e, _ in app.test_events if e in ("well-added", "curve-added")]

    spy.inserted = 0
    result = await app.invoke("import_las", {"path": str(las)})
    assert spy.inserted == N_CURVES
    _check_import(app, result, expected)
    assert_sound(db.path)


async def test_import_when_the_database_turns_read_only_fails_clearly_then_succeeds(app, tmp_path,
                                                                                   monkeypatch):
    las = tmp_path / "ro.las"
    expected = big_las(las, name="RO-1")
    db = _db(app)
    await _warm_pool(app)
    fault = ReadOnly(db, monkeypatch)
    before = dump(db.path)
    ws, well = await demo_well(app)
    with fault:
        for _ in range(3):  # the pool's threads, each with its own connection: all refuse
            with pytest.raises(CommandFailed) as info:
                await app.invoke("import_las", {"path": str(las), "workspaceId": ws.id})
            assert_clear(str(info.value), "ro.las: not imported", "the database is read-only",
                         "nothing was written", str(db.path), "readonly")
            assert isinstance(info.value.error.__cause__, DatabaseWriteError)
            assert info.value.error.__cause__.read_only
        await assert_app_answers(app)
        # reading is all an export does: it works from a read-only database
        out = tmp_path / "while-read-only.las"
        await app.invoke("export_las", {"wellId": well.id, "path": str(out)})
        assert lasio.read(str(out)).well["WELL"].value
    assert dump(db.path) == before
    assert_sound(db.path)

    results = [await app.invoke("import_las", {"path": str(las), "workspaceId": ws.id}) for _ in range(3)]
    for result in results:  # every thread's connection writes again (none stayed read-only)
        _check_import(app, result, expected)
    assert_sound(db.path)


# ---- other writes: a clear message naming the operation ---------------------------------------------


async def test_small_writes_on_a_read_only_database_fail_clearly_then_succeed(app, monkeypatch):
    db = _db(app)
    await _warm_pool(app)
    _, well = await demo_well(app)
    curves = await app.invoke("list_curves", {"wellId": well.id})
    sp = next(c for c in curves if c.mnemonic == "SP")
    gr = next(c for c in curves if c.mnemonic == "GR")
    calls = [
        ("create_workspace", {"name": "Field B"}, "creating workspace 'Field B'"),
        ("rename_curve", {"curveId": sp.id, "mnemonic": "SP_RAW"},
         f"renaming curve {sp.id} (SP) to 'SP_RAW'"),
        ("delete_curve", {"curveId": gr.id}, f"deleting curve {gr.id} (GR)"),
    ]
    before = dump(db.path)
    with ReadOnly(db, monkeypatch):
        for name, args, operation in calls:
            for _ in range(2):  # a fresh connection refuses too
                with pytest.raises(CommandFailed) as info:
                    await app.invoke(name, args)
                assert isinstance(info.value.error, DatabaseWriteError)
                assert_clear(str(info.value), f"{operation} failed: the database is read-only",
                             "nothing was written", str(db.path), "attempt to write a readonly database")
        await assert_app_answers(app)  # also opens read-only connections in the pool's threads
    assert dump(db.path) == before
    assert_sound(db.path)
    # Connections opened while the database was read-only stay read-only; each call below
    # may land on one of them, and must still succeed the first time.
    for name, args, _ in calls:
        await app.invoke(name, args)
    curves = {c.mnemonic for c in await app.invoke("list_curves", {"wellId": well.id})}
    assert "SP_RAW" in curves and "SP" not in curves and "GR" not in curves
    assert "Field B" in [w.name for w in await app.invoke("list_workspaces")]
    assert_sound(db.path)


async def test_creating_workspaces_until_the_disk_is_full_then_after_it_is_freed(app, monkeypatch):
    """Small rows fit in pages already there; the first that needs a new page is refused,
    whole, and every one before it is complete."""
    db = _db(app)
    fault = DiskFull(db, monkeypatch, headroom=0)
    created = []
    with fault:
        for n in range(500):
            name = f"{n:03d} " + "F" * 96
            before = dump(db.path)
            try:
                created.append(await app.invoke("create_workspace", {"name": name}))
            except CommandFailed as exc:
                error = exc
                break
        else:
            pytest.fail("500 workspaces fitted in the pages already there")
        assert_clear(str(error), f"creating workspace {name!r} failed: the disk is full",
                     "nothing was written", str(db.path), "database or disk is full")
        assert error.error.sqlite_errorcode == sqlite3.SQLITE_FULL
        assert dump(db.path) == before
        await assert_app_answers(app)
    assert_sound(db.path)
    names = [w.name for w in await app.invoke("list_workspaces")]
    assert all(w.name in names for w in created) and name not in names
    await app.invoke("create_workspace", {"name": name})
    assert name in [w.name for w in await app.invoke("list_workspaces")]
    assert_sound(db.path)


# ---- UDF results ---------------------------------------------------------------------------------


async def _run_udf(app, well_id: int) -> tuple[Any, list]:
    app.test_events.clear()
    started = await app.invoke("execute_udf", {"request": {
        "udf_id": "vsh_gr", "well_id": well_id, "save_result": True, "output_mnemonic": "VSH_FAULT"}})
    info = await app.state(TaskManager).wait(started.execution_id, timeout=30)
    await app.drain()
    return info, list(app.test_events)


@pytest.mark.parametrize("kind", ["disk-full", "read-only"])
async def test_udf_save_on_a_faulty_database_fails_clearly_then_succeeds(app, monkeypatch, kind):
    db = _db(app)
    await _warm_pool(app)
    _, well = await demo_well(app)
    n = db.get_depths(well.id).size
    conn = sqlite3.connect(db.path)
    try:  # the result cannot fit in free pages: it must grow the file
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] * PAGE_SIZE < 8 * n
    finally:
        conn.close()
    fault = DiskFull(db, monkeypatch, headroom=0) if kind == "disk-full" else ReadOnly(db, monkeypatch)
    reason, sqlite_text = (("the disk is full", "database or disk is full") if kind == "disk-full"
                           else ("the database is read-only", "readonly"))
    before = dump(db.path)
    with fault:
        info, events = await _run_udf(app, well.id)
        assert info.state == "failed"
        assert_clear(info.error, f"saving curve 'VSH_FAULT' to well {well.id} failed: {reason}",
                     "nothing was written", str(db.path), sqlite_text)
        failed = [p for e, p in events if e == "execution-failed"]
        assert failed == [{"id": info.id, "error": info.error}]
        assert "curve-added" not in [e for e, _ in events]
        listed = await app.invoke("list_executions")
        assert listed[-1].state == "failed" and listed[-1].error == info.error and listed[-1].curve_id is None
        await assert_app_answers(app)
    assert dump(db.path) == before
    assert_sound(db.path)

    info, events = await _run_udf(app, well.id)
    assert info.state == "completed", info.error
    saved = (await app.invoke("list_executions"))[-1].curve_id
    assert saved is not None and "curve-added" in [e for e, _ in events]
    curve = await app.invoke("get_curve_stats", {"curveId": saved})
    assert curve.count == n
    values = db.get_samples(saved)
    assert values.size == n and np.nanmin(values) >= 0 and np.nanmax(values) <= 1
    assert_sound(db.path)


# ---- export ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["write", "fsync", "create"])
@pytest.mark.parametrize("existing", [True, False], ids=["replacing", "new-file"])
async def test_export_on_a_full_or_read_only_disk_fails_clearly_then_succeeds(app, tmp_path, monkeypatch,
                                                                              where, existing):
    db = _db(app)
    _, well = await demo_well(app)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "well.las"
    if existing:
        await app.invoke("export_las", {"wellId": well.id, "path": str(target)})
        previous = target.read_bytes()
        target.write_bytes(previous + b"# the previous export\n")
        previous = target.read_bytes()
    fault = ExportFault(folder, monkeypatch, where)
    before = dump(db.path)
    with fault:
        with pytest.raises(CommandFailed) as info:
            await app.invoke("export_las", {"wellId": well.id, "path": str(target)})
        await assert_app_answers(app)
    assert fault.injected == 1
    error = info.value
    assert isinstance(error.error, LasExportError) and isinstance(error.error, OSError)
    code = errno.EROFS if where == "create" else errno.ENOSPC
    assert error.error.errno == code
    reason = "the file system is read-only" if where == "create" else "the disk is full"
    kept = "the existing file is unchanged" if existing else "no file was written"
    assert_clear(str(error), f"{target}: not exported, {reason} ({os.strerror(code)}); {kept}")
    assert sorted(p.name for p in folder.iterdir()) == (["well.las"] if existing else [])  # no temp file
    if existing:
        assert target.read_bytes() == previous
    assert dump(db.path) == before

    await app.invoke("export_las", {"wellId": well.id, "path": str(target)})
    again = lasio.read(str(target))
    curves = await app.invoke("list_curves", {"wellId": well.id})
    np.testing.assert_allclose(again.index, db.get_depths(well.id))
    for curve in curves:
        np.testing.assert_allclose(again[curve.mnemonic], db.get_samples(curve.id), equal_nan=True)
    assert sorted(p.name for p in folder.iterdir()) == ["well.las"]


# ---- a long session: connections of finished threads are closed ---------------------------------


async def test_finished_executions_leave_no_open_connections(app):
    """Every execution runs in a new thread with its own connection. They used to stay open
    (three file descriptors each) until the app closed, so a long session eventually failed
    every write with 'unable to open database file'."""
    db = _db(app)
    _, well = await demo_well(app)
    fds = lambda: len(os.listdir("/proc/self/fd"))  # noqa: E731
    info, _ = await _run_udf(app, well.id)
    assert info.state == "completed"
    conns, fd_count = len(db._connections), fds()
    for _ in range(40):
        started = await app.invoke("execute_udf", {"request": {"udf_id": "vsh_gr", "well_id": well.id,
                                                               "save_result": False}})
        assert (await app.state(TaskManager).wait(started.execution_id, timeout=30)).state == "completed"
    assert len(db._connections) <= conns + 2
    assert fds() <= fd_count + 6
    assert await app.invoke("create_workspace", {"name": "still writable"})


async def test_settings_on_a_full_disk_fail_clearly_change_nothing_then_succeed(app, monkeypatch):
    from core.dataforge import paths

    data_dir = Path(app.state(DataForge).data_dir)
    before = await app.invoke("get_settings")
    saved = (data_dir / "settings.json").read_bytes() if (data_dir / "settings.json").exists() else None

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(paths.os, "fsync", full)
    with pytest.raises(CommandFailed) as caught:
        await app.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
    assert "No space left on device" in str(caught.value)
    assert await app.invoke("get_settings") == before  # no window saw a change that was not kept
    now = (data_dir / "settings.json").read_bytes() if (data_dir / "settings.json").exists() else None
    assert now == saved
    assert not list(data_dir.glob(".settings-*"))  # no temp file left behind
    monkeypatch.undo()
    after = await app.invoke("update_settings", {"changes": {"depth_unit": "ft"}})
    assert after.depth_unit == "ft" and '"ft"' in (data_dir / "settings.json").read_text()
