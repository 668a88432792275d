"""The DataForge database: one SQLite file per data dir (WAL, foreign keys, migrations).

Curve samples are float64 blobs aligned with their well's depth index, so reading a
curve is one row and one `np.frombuffer`. Every write that must be all-or-nothing (an
import, a UDF result) is one `BEGIN IMMEDIATE` transaction; a crash leaves either
all of it or none. Commands run in worker threads, so each thread gets its own
connection; writes in this process are serialised by a lock and also stamp the
writer's token, which is how the change watcher tells our commits from another
process's.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import threading
import time
import uuid
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from .models import CurveData, CurveInfo, CurveStats, NotFound, WellInfo, WorkspaceInfo
from .paths import database_path

__all__ = ["Database", "DatabaseWriteError", "SCHEMA_VERSION"]

MIGRATIONS: list[str] = [
    # v1: the initial schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    INSERT INTO meta (key, value) VALUES ('last_writer', NULL);
    CREATE TABLE workspaces (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE wells (
        id INTEGER PRIMARY KEY,
        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        uwi TEXT, company TEXT, field TEXT, location TEXT,
        start_depth REAL, stop_depth REAL, step REAL,
        depth_unit TEXT NOT NULL DEFAULT 'm',
        null_value REAL,
        source_file TEXT,
        depths BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX wells_by_workspace ON wells(workspace_id);
    CREATE TABLE curves (
        id INTEGER PRIMARY KEY,
        well_id INTEGER NOT NULL REFERENCES wells(id) ON DELETE CASCADE,
        mnemonic TEXT NOT NULL,
        unit TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        samples BLOB NOT NULL,
        sample_count INTEGER NOT NULL,
        null_count INTEGER NOT NULL,
        min_depth REAL, max_depth REAL, min REAL, max REAL, mean REAL,
        provenance TEXT,
        is_computed INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX curves_by_well ON curves(well_id);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

# Writers in this process queue here instead of in SQLite's busy handler (which polls with
# sleeps): process-wide, so two `Database`s on one data dir (the app and a CLI call in the
# same process, tests) serialise too. Re-entrant so that a nested write fails with SQLite's
# clear "cannot start a transaction within a transaction" instead of deadlocking.
_WRITE_LOCK = threading.RLock()

_MNEMONIC_RE = re.compile(r"^\S{1,32}$")
_CURVE_COLS = ("id, well_id, mnemonic, unit, description, sample_count, null_count, min_depth, "
               "max_depth, min, max, mean, provenance, is_computed")
_WELL_COLS = ("w.id, w.workspace_id, w.name, w.uwi, w.company, w.field, w.location, w.start_depth, "
              "w.stop_depth, w.step, w.depth_unit, w.null_value, w.source_file, "
              "(SELECT COUNT(*) FROM curves c WHERE c.well_id = w.id)")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _blob(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def _array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f8").copy()


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo an open transaction without hiding the error that caused it."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:  # SQLite may already have rolled back (e.g. after disk I/O errors)
            pass


# SQLite's primary result codes (the low byte of an extended code) -> what it means to a user.
_WRITE_REASONS = {
    13: "the disk is full",  # SQLITE_FULL (also: the database reached its size limit)
    8: "the database is read-only",  # SQLITE_READONLY and its extended codes
    5: "the database is locked by another program",  # SQLITE_BUSY
    6: "the database is locked by another program",  # SQLITE_LOCKED
    10: "a disk I/O error",  # SQLITE_IOERR
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
}
_WRITE_REASON_TEXT = (  # errors raised without a code (by Python code, or older SQLite builds)
    ("disk is full", 13), ("readonly", 8), ("read-only", 8), ("locked", 5), ("disk i/o", 10),
    ("unable to open", 14),
)


class DatabaseWriteError(sqlite3.OperationalError):
    """SQLite refused a write (disk full, read-only, locked, I/O error). The transaction was
    rolled back, so nothing of it was written. The message says what was being done, why it
    failed in plain words, and which file, keeping SQLite's own text:

        saving curve 'VSH' to well 3 failed: the disk is full; nothing was written
        (database /data/dataforge.db: database or disk is full)
    """

    def __init__(self, operation: str, path: Path, error: sqlite3.OperationalError) -> None:
        code = getattr(error, "sqlite_errorcode", None)
        raw = str(error) or type(error).__name__
        reason = _WRITE_REASONS.get(code & 0xFF) if isinstance(code, int) else None
        if reason is None:
            lowered = raw.lower()
            reason = next((_WRITE_REASONS[c] for text, c in _WRITE_REASON_TEXT if text in lowered),
                          "SQLite refused the write")
        self.operation, self.path, self.reason, self.raw = operation, Path(path), reason, raw
        super().__init__(f"{operation} failed: {reason}; nothing was written (database {path}: {raw})")
        # Keep SQLite's codes for callers that look at them.
        self.sqlite_errorcode = code
        self.sqlite_errorname = getattr(error, "sqlite_errorname", None)

    @property
    def disk_full(self) -> bool:
        return self.reason == _WRITE_REASONS[13]

    @property
    def read_only(self) -> bool:
        return self.reason == _WRITE_REASONS[8]


def _is_read_only(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorname", None) or "").startswith("SQLITE_READONLY") \
        or "readonly" in str(exc)


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


class _ThreadOwner:
    """Kept in a thread's local storage next to its connection; its death closes the connection."""

    __slots__ = ("__weakref__",)


class Database:
    """One data dir's database. Safe to use from many threads at once."""

    def __init__(self, root: str | Path, *, busy_timeout: float = 5.0) -> None:
        self.root = Path(root)
        self.path = database_path(self.root)
        self.token = uuid.uuid4().hex
        self._busy_ms = int(busy_timeout * 1000)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()  # guards _connections
        self._write_lock = _WRITE_LOCK  # one writer at a time in this process, across instances
        self._closed = False
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._migrate()

    # ---- connections ------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError("the database is closed")
            conn = self._open()
            try:
                conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL: still atomic and consistent
            except BaseException:
                conn.close()
                raise
            # The connection is closed when its thread ends: the thread's local storage goes,
            # and `owner` with it. Every UDF execution runs in a new thread; without this each
            # one left an open connection (and its file descriptors) behind until the app
            # closed, and a long session ran out of them.
            owner = _ThreadOwner()
            closer = weakref.finalize(owner, self._forget, conn)
            closer.atexit = False
            self._local.conn, self._local.owner, self._local.closer = conn, owner, closer
            with self._lock:
                self._connections.append(conn)
        return conn

    def _forget(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def _open(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self._busy_ms / 1000)

    def _discard_conn(self) -> None:
        """Forget this thread's connection; the next call opens a fresh one.

        A connection opened while the file was read-only stays read-only for good, and
        worker threads live long: without this, fixing the permissions would not help.
        """
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        closer = getattr(self._local, "closer", None)
        self._local.conn = self._local.owner = self._local.closer = None
        if closer is not None:
            closer()  # forgets and closes it, once
        else:
            self._forget(conn)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    @contextmanager
    def _write(self, operation: str = "writing to the database") -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write transaction, stamped with this process's token.

        SQLite's refusals (disk full, read-only, locked, I/O) come out as `DatabaseWriteError`
        naming `operation` ("saving curve 'VSH' to well 3") and the database file.
        """
        with self._write_lock:
            try:
                conn = self._begin()
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
            except DatabaseWriteError:
                raise  # a nested write's error, already explained
            except sqlite3.OperationalError as exc:
                if _is_read_only(exc):
                    self._discard_conn()
                raise DatabaseWriteError(operation, self.path, exc) from exc

    def _begin(self) -> sqlite3.Connection:
        """BEGIN IMMEDIATE and the writer's stamp, before the caller writes anything.

        A connection opened while the database was read-only stays read-only after that is
        fixed (SQLite opened the file read-only); a pool thread may hold one for a long time.
        It shows here, on the stamp, before any of the caller's work: it is replaced by a
        fresh connection once, so the first write after the fault is fixed succeeds.
        """
        for attempt in (1, 2):
            retry = attempt == 1
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE")  # nothing to undo if this fails (nested, locked)
            except sqlite3.OperationalError as exc:
                if not (retry and _is_read_only(exc)):
                    raise
                self._discard_conn()
                continue
            try:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'last_writer'", (self.token,))
                return conn
            except BaseException as exc:
                _rollback(conn)
                if not (retry and isinstance(exc, sqlite3.OperationalError) and _is_read_only(exc)):
                    raise
                self._discard_conn()
        raise AssertionError("unreachable")  # the second attempt returns or raises

    def _migrate(self) -> None:
        try:
            conn = self._conn()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise  # locked, unreadable, ...: SQLite's message says it
            self.close()
            raise RuntimeError(f"{self.path} is not a DataForge database or is damaged ({exc}); "
                               "move it away to start afresh") from exc
        if version > SCHEMA_VERSION:
            self.close()
            raise RuntimeError(f"{self.path} has schema v{version}, newer than this DataForge "
                               f"(v{SCHEMA_VERSION}); upgrade DataForge")
        if version == SCHEMA_VERSION:
            return
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process?
                for number in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS[number].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    # ---- change tracking -----------------------------------------------------------------
    def data_version(self) -> int:
        """Changes when another connection (thread or process) commits."""
        return self._conn().execute("PRAGMA data_version").fetchone()[0]

    def last_writer(self) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'last_writer'").fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        tables = ("workspaces", "wells", "curves")
        row = self._conn().execute(  # one statement: one consistent snapshot
            "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in tables)).fetchone()
        return dict(zip(tables, row))

    # ---- workspaces ---------------------------------------------------------------------
    def list_workspaces(self) -> list[WorkspaceInfo]:
        rows = self._conn().execute(
            "SELECT s.id, s.name, (SELECT COUNT(*) FROM wells w WHERE w.workspace_id = s.id), s.created_at "
            "FROM workspaces s ORDER BY s.id").fetchall()
        return [WorkspaceInfo(id=r[0], name=r[1], well_count=r[2], created_at=r[3]) for r in rows]

    def get_workspace(self, workspace_id: int) -> WorkspaceInfo:
        row = self._conn().execute(
            "SELECT s.id, s.name, (SELECT COUNT(*) FROM wells w WHERE w.workspace_id = s.id), s.created_at "
            "FROM workspaces s WHERE s.id = ?", (workspace_id,)).fetchone()
        if row is None:
            raise NotFound("workspace", workspace_id)
        return WorkspaceInfo(id=row[0], name=row[1], well_count=row[2], created_at=row[3])

    def create_workspace(self, name: str) -> WorkspaceInfo:
        name = (name or "").strip()
        if not name:
            raise ValueError("a workspace name is required")
        if len(name) > 100:
            raise ValueError("a workspace name has at most 100 characters")
        with self._write(f"creating workspace {name!r}") as conn:
            taken = conn.execute("SELECT name FROM workspaces WHERE lower(name) = lower(?)", (name,)).fetchone()
            if taken:  # Demo, demo and DEMO side by side are a typo waiting to happen
                raise ValueError(f"a workspace named {taken[0]!r} already exists")
            cur = conn.execute("INSERT INTO workspaces (name, created_at) VALUES (?, ?)", (name, _now()))
            new_id = cur.lastrowid
        return self.get_workspace(new_id)

    def delete_workspace(self, workspace_id: int) -> None:
        self.get_workspace(workspace_id)
        with self._write(f"deleting workspace {workspace_id}") as conn:
            conn.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))

    # ---- wells ------------------------------------------------------------------------------
    @staticmethod
    def _well(row: Sequence[Any]) -> WellInfo:
        return WellInfo(id=row[0], workspace_id=row[1], name=row[2], uwi=row[3], company=row[4],
                        field=row[5], location=row[6], start_depth=row[7], stop_depth=row[8],
                        step=row[9], depth_unit=row[10], null_value=row[11], source_file=row[12],
                        curve_count=row[13])

    def list_wells(self, workspace_id: int) -> list[WellInfo]:
        rows = self._conn().execute(f"SELECT {_WELL_COLS} FROM wells w WHERE w.workspace_id = ? "
                                    "ORDER BY w.id", (workspace_id,)).fetchall()
        return [self._well(r) for r in rows]

    def get_well(self, well_id: int) -> WellInfo:
        row = self._conn().execute(f"SELECT {_WELL_COLS} FROM wells w WHERE w.id = ?", (well_id,)).fetchone()
        if row is None:
            raise NotFound("well", well_id)
        return self._well(row)

    def get_depths(self, well_id: int) -> np.ndarray:
        row = self._conn().execute("SELECT depths FROM wells WHERE id = ?", (well_id,)).fetchone()
        if row is None:
            raise NotFound("well", well_id)
        return _array(row[0])

    def add_well(self, workspace_id: int, header: dict[str, Any], depths: np.ndarray,
                 curves: Sequence[tuple[str, str, str, np.ndarray]]) -> tuple[WellInfo, list[CurveInfo]]:
        """A well and all its curves in one transaction: all of it, or nothing."""
        depths = np.asarray(depths, dtype=float)
        if depths.ndim != 1 or depths.size == 0:
            raise ValueError("a well needs at least one depth")
        if not np.all(np.isfinite(depths)):
            raise ValueError("the depth index has null or non-finite values")
        if depths.size > 1 and not np.all(np.diff(depths) > 0):
            raise ValueError("depths must increase strictly")
        name = str(header.get("name") or "").strip()
        if not name:
            raise ValueError("a well name is required")
        rows = [self._curve_row(m, u, d, np.asarray(v, dtype=float), depths) for m, u, d, v in curves]
        with self._write(f"adding well {name!r} with {len(rows)} curve(s)") as conn:
            if conn.execute("SELECT 1 FROM workspaces WHERE id = ?", (workspace_id,)).fetchone() is None:
                raise NotFound("workspace", workspace_id)
            step = header.get("step")
            if step is None and depths.size > 1:
                step = float(np.median(np.diff(depths)))
            cur = conn.execute(
                "INSERT INTO wells (workspace_id, name, uwi, company, field, location, start_depth, "
                "stop_depth, step, depth_unit, null_value, source_file, depths, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (workspace_id, name, header.get("uwi"), header.get("company"), header.get("field"),
                 header.get("location"), float(depths[0]), float(depths[-1]), step,
                 header.get("depth_unit") or "m", header.get("null_value"), header.get("source_file"),
                 _blob(depths), _now()))
            well_id = cur.lastrowid
            ids = [self._insert_curve(conn, well_id, row, None) for row in rows]
        return self.get_well(well_id), [self.get_curve(i) for i in ids]

    def delete_well(self, well_id: int) -> None:
        self.get_well(well_id)
        with self._write(f"deleting well {well_id}") as conn:
            conn.execute("DELETE FROM wells WHERE id = ?", (well_id,))

    # ---- curves --------------------------------------------------------------------------
    @staticmethod
    def _curve_row(mnemonic: str, unit: str, description: str, values: np.ndarray,
                   depths: np.ndarray) -> tuple:
        mnemonic = str(mnemonic or "").strip()
        if not _MNEMONIC_RE.match(mnemonic):
            raise ValueError(f"invalid mnemonic {mnemonic!r}: 1–32 characters, no spaces")
        if values.shape != depths.shape:
            raise ValueError(f"curve {mnemonic} has {values.size} samples but the well has "
                             f"{depths.size} depths")
        ok = ~np.isnan(values)
        n_ok = int(ok.sum())
        stats: tuple = (None,) * 5
        if n_ok:
            idx = np.flatnonzero(ok)
            stats = (float(depths[idx[0]]), float(depths[idx[-1]]), _finite(values[ok].min()),
                     _finite(values[ok].max()), _finite(values[ok].mean()))
        return (mnemonic, str(unit or ""), str(description or ""), _blob(values), int(values.size),
                int(values.size - n_ok), *stats)

    def _insert_curve(self, conn: sqlite3.Connection, well_id: int, row: tuple,
                      provenance: dict[str, Any] | None) -> int:
        cur = conn.execute(
            "INSERT INTO curves (well_id, mnemonic, unit, description, samples, sample_count, null_count, "
            "min_depth, max_depth, min, max, mean, provenance, is_computed, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (well_id, *row, json.dumps(provenance) if provenance else None, int(provenance is not None),
             _now()))
        return cur.lastrowid

    @staticmethod
    def _curve(row: Sequence[Any]) -> CurveInfo:
        return CurveInfo(id=row[0], well_id=row[1], mnemonic=row[2], unit=row[3], description=row[4],
                         sample_count=row[5], null_count=row[6], min_depth=row[7], max_depth=row[8],
                         min=row[9], max=row[10], mean=row[11],
                         provenance=json.loads(row[12]) if row[12] else None, is_computed=bool(row[13]))

    def list_curves(self, well_id: int) -> list[CurveInfo]:
        rows = self._conn().execute(f"SELECT {_CURVE_COLS} FROM curves WHERE well_id = ? ORDER BY id",
                                    (well_id,)).fetchall()
        return [self._curve(r) for r in rows]

    def get_curve(self, curve_id: int) -> CurveInfo:
        row = self._conn().execute(f"SELECT {_CURVE_COLS} FROM curves WHERE id = ?", (curve_id,)).fetchone()
        if row is None:
            raise NotFound("curve", curve_id)
        return self._curve(row)

    def get_samples(self, curve_id: int) -> np.ndarray:
        row = self._conn().execute("SELECT samples FROM curves WHERE id = ?", (curve_id,)).fetchone()
        if row is None:
            raise NotFound("curve", curve_id)
        return _array(row[0])

    def save_curve(self, well_id: int, mnemonic: str, unit: str, description: str, values: np.ndarray,
                   provenance: dict[str, Any] | None) -> CurveInfo:
        """A new curve (never overwrites one), in one transaction."""
        depths = self.get_depths(well_id)
        row = self._curve_row(mnemonic, unit, description, np.asarray(values, dtype=float), depths)
        with self._write(f"saving curve {row[0]!r} to well {well_id}") as conn:
            if conn.execute("SELECT 1 FROM wells WHERE id = ?", (well_id,)).fetchone() is None:
                raise NotFound("well", well_id)
            if conn.execute("SELECT 1 FROM curves WHERE well_id = ? AND upper(mnemonic) = ?",
                            (well_id, row[0].upper())).fetchone():
                raise ValueError(f"the well already has a curve named {row[0]}")
            curve_id = self._insert_curve(conn, well_id, row, provenance or {})
        return self.get_curve(curve_id)

    def rename_curve(self, curve_id: int, mnemonic: str) -> CurveInfo:
        mnemonic = str(mnemonic or "").strip()
        if not _MNEMONIC_RE.match(mnemonic):
            raise ValueError(f"invalid mnemonic {mnemonic!r}: 1–32 characters, no spaces")
        curve = self.get_curve(curve_id)
        with self._write(f"renaming curve {curve_id} ({curve.mnemonic}) to {mnemonic!r}") as conn:
            clash = conn.execute("SELECT 1 FROM curves WHERE well_id = ? AND id != ? AND upper(mnemonic) = ?",
                                 (curve.well_id, curve_id, mnemonic.upper())).fetchone()
            if clash:
                raise ValueError(f"the well already has a curve named {mnemonic}")
            conn.execute("UPDATE curves SET mnemonic = ? WHERE id = ?", (mnemonic, curve_id))
        return self.get_curve(curve_id)

    def delete_curve(self, curve_id: int) -> None:
        curve = self.get_curve(curve_id)
        with self._write(f"deleting curve {curve_id} ({curve.mnemonic})") as conn:
            conn.execute("DELETE FROM curves WHERE id = ?", (curve_id,))

    # ---- reading for plots and tables ---------------------------------------------------------
    def get_curve_data(self, curve_id: int, top: float | None = None, bottom: float | None = None,
                       max_points: int | None = None) -> CurveData:
        """Samples within [top, bottom]; with `max_points`, min/max-thinned per bucket."""
        curve = self.get_curve(curve_id)
        depths = self.get_depths(curve.well_id)
        values = self.get_samples(curve_id)
        if top is not None or bottom is not None:
            lo = -np.inf if top is None else top
            hi = np.inf if bottom is None else bottom
            keep = (depths >= lo) & (depths <= hi)
            depths, values = depths[keep], values[keep]
        thinned = False
        if max_points is not None and values.size > max_points:
            idx = thin_minmax(values, max_points)
            depths, values, thinned = depths[idx], values[idx], True
        # Built from float64 arrays, so valid by construction: validating a million floats
        # again took a third of the time of reading a curve.
        return CurveData.model_construct(curve_id=curve_id, mnemonic=curve.mnemonic, unit=curve.unit,
                                         depths=depths.tolist(), values=values.tolist(), thinned=thinned)

    def get_curve_stats(self, curve_id: int) -> CurveStats:
        values = self.get_samples(curve_id)
        ok = values[~np.isnan(values)]
        if ok.size == 0:
            return CurveStats(curve_id=curve_id, count=int(values.size), nulls=int(values.size))
        p10, p50, p90 = np.percentile(ok, [10, 50, 90])
        return CurveStats(curve_id=curve_id, count=int(values.size), nulls=int(values.size - ok.size),
                          min=_finite(ok.min()), max=_finite(ok.max()), mean=_finite(ok.mean()),
                          std=_finite(ok.std()), p10=_finite(p10), p50=_finite(p50), p90=_finite(p90))


def thin_minmax(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices (in order) of each bucket's min and max sample, so an envelope plot of the
    result is exactly the plot of all samples. An all-null bucket keeps one null (a gap)."""
    n = values.size
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    starts = edges[:-1][np.diff(edges) > 0]
    bucket_of = np.repeat(np.arange(starts.size), np.diff(np.append(starts, n)))
    nan = np.isnan(values)
    lo = np.where(nan, np.inf, values)
    hi = np.where(nan, -np.inf, values)
    mins = np.minimum.reduceat(lo, starts)
    maxs = np.maximum.reduceat(hi, starts)
    picks = [starts[np.isinf(mins) & (mins > 0)]]  # all-null buckets: their first sample
    for target, arr in ((mins, lo), (maxs, hi)):
        hit = np.flatnonzero(arr == target[bucket_of])
        _, first = np.unique(bucket_of[hit], return_index=True)
        picks.append(hit[first])
    return np.unique(np.concatenate(picks))
