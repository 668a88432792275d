"""Crash safety: a process killed (SIGKILL) in the middle of an import or of saving a curve
leaves a sound database with nothing partial in it.

A child process imports a big synthetic LAS file, or saves curves, in a loop, and prints a
line from *inside* each write transaction (before each curve row is inserted) and one after
each commit. The parent kills it a random 0–2 ms after a randomly chosen in-transaction line,
so the kills land between the well row and its curves, between curves, or around the commit.
After every kill: `integrity_check` is ok, every well has all its curves with full-length
samples and the right values, and every write the child reported committed is there.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.dataforge.db import Database
from core.dataforge.paths import ensure_data_dir

ROOT = Path(__file__).resolve().parents[1]
ROWS, N_CURVES = 30_000, 8  # the LAS file: ~2.2 MB, ~0.15 s to parse, ~5 ms to write
SAVE_N = 200_000  # samples per saved curve: a 1.6 MB blob
KILLS_PER_MODE = 10

CHILD = r"""
import sys
from pathlib import Path

import numpy as np

from core.dataforge.db import Database
from core.dataforge.las_io import import_las

root, mode, arg = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
db = Database(root)
insert = Database._insert_curve


def announced_insert(self, conn, well_id, row, provenance):
    print("txn", flush=True)  # inside the write transaction, before this curve's row
    return insert(self, conn, well_id, row, provenance)


Database._insert_curve = announced_insert
print("ready", flush=True)
if mode == "import":
    ws_id = db.list_workspaces()[0].id
    while True:
        import_las(db, Path(arg), ws_id)
        print("done", flush=True)
else:
    well_id, run = int(arg), int(sys.argv[4])
    n = db.get_depths(well_id).size
    k = 0
    while True:
        k += 1
        db.save_curve(well_id, f"S{run}_{k}", "", "", np.arange(n, dtype=float) + 1e6 * k,
                      {"run": run, "k": k})
        print("done", flush=True)
"""


def _big_las(path: Path) -> dict[str, np.ndarray]:
    """Write the synthetic LAS file; return the values an import must store (depth included)."""
    i = np.arange(ROWS)
    text = {"DEPT": np.char.mod("%.4f", 1000.0 + 0.1524 * i)}
    for k in range(N_CURVES):
        values = np.char.mod("%.4f", 50 + 40 * np.sin(i / (50.0 + 7 * k)) + k)
        values[(i % (97 + k)) == 0] = "-999.25"
        text[f"C{k}"] = values
    header = ("~VERSION INFORMATION\n VERS. 2.0 :\n WRAP. NO :\n~WELL INFORMATION\n STRT.M 1000.0 :\n"
              " NULL. -999.25 :\n WELL. CRASH-1 :\n~CURVE INFORMATION\n DEPT.M : depth\n"
              + "".join(f" C{k}.u : curve {k}\n" for k in range(N_CURVES)) + "~A\n")
    path.write_text(header + "\n".join(" ".join(row) for row in zip(*text.values())) + "\n")
    expected = {m: v.astype(float) for m, v in text.items()}
    for m in expected:
        expected[m][expected[m] == -999.25] = np.nan
    return expected


def _pump(proc: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def run():
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=run, daemon=True).start()
    return lines


def _kill_mid_write(root: Path, args: list[str], nth_txn: int, delay: float) -> tuple[int, str]:
    """Run the child until its `nth_txn` in-transaction line, kill it `delay` s later.
    Returns (commits the child reported, its last line)."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(root), *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = _pump(proc)
    seen: list[str] = []
    try:
        while seen.count("txn") < nth_txn:
            line = lines.get(timeout=60)
            assert line is not None, f"the child ended early: {proc.stderr.read()}"
            seen.append(line)
        if delay:
            time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while (line := lines.get(timeout=30)) is not None:  # what it printed before dying
        seen.append(line)
    proc.stdout.close()
    proc.stderr.close()
    return seen.count("done"), seen[-1]


def _check_sound(root: Path) -> Database:
    db = Database(root)
    conn = db._conn()
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    orphans = conn.execute("SELECT COUNT(*) FROM curves WHERE well_id NOT IN (SELECT id FROM wells)")
    assert orphans.fetchone()[0] == 0
    for size, count, depth_bytes in conn.execute(
            "SELECT length(c.samples), c.sample_count, length(w.depths) FROM curves c JOIN wells w "
            "ON w.id = c.well_id"):
        assert size == depth_bytes == 8 * count  # every curve full length
    return db


def test_sigkill_during_imports_and_saves_leaves_nothing_partial(tmp_path):
    rng = random.Random(20241125)
    las = tmp_path / "big.las"
    expected = _big_las(las)
    import_root = ensure_data_dir(tmp_path / "imports")
    save_root = ensure_data_dir(tmp_path / "saves")
    setup = Database(import_root)
    ws = setup.create_workspace("Crash")
    setup.close()
    setup = Database(save_root)
    base, _ = setup.add_well(setup.create_workspace("Saves").id, {"name": "BASE"},
                             np.arange(SAVE_N, dtype=float), [("GR", "", "", np.ones(SAVE_N))])
    setup.close()
    plans = {
        "import": [(rng.randint(1, 2 * N_CURVES), rng.uniform(0, 0.002)) for _ in range(KILLS_PER_MODE)],
        "save": [(rng.randint(1, 3), rng.uniform(0, 0.002)) for _ in range(KILLS_PER_MODE)],
    }
    last_lines: list[str] = []
    errors: list[BaseException] = []
    committed = {"import": 0, "save": 0}

    def imports():
        for nth, delay in plans["import"]:
            done, last = _kill_mid_write(import_root, ["import", str(las)], nth, delay)
            last_lines.append(last)
            committed["import"] += done
            db = _check_sound(import_root)
            try:
                wells = db.list_wells(ws.id)
                # every reported commit is there; at most one more (killed before printing "done")
                assert committed["import"] <= len(wells) <= committed["import"] + 1
                committed["import"] = len(wells)
                for well in wells:
                    curves = db.list_curves(well.id)
                    assert [c.mnemonic for c in curves] == [f"C{k}" for k in range(N_CURVES)]
                    np.testing.assert_array_equal(db.get_depths(well.id), expected["DEPT"])
                    for c in curves:
                        np.testing.assert_array_equal(db.get_samples(c.id), expected[c.mnemonic])
            finally:
                db.close()

    def saves():
        for run, (nth, delay) in enumerate(plans["save"]):
            done, last = _kill_mid_write(save_root, ["save", str(base.id), str(run)], nth, delay)
            last_lines.append(last)
            db = _check_sound(save_root)
            try:
                saved = [c for c in db.list_curves(base.id) if c.is_computed]
                assert committed["save"] + done <= len(saved) <= committed["save"] + done + 1
                committed["save"] = len(saved)
                for c in saved:
                    k = c.provenance["k"]
                    assert c.mnemonic == f"S{c.provenance['run']}_{k}" and c.sample_count == SAVE_N
                    np.testing.assert_array_equal(db.get_samples(c.id), np.arange(SAVE_N) + 1e6 * k)
            finally:
                db.close()

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
        return run

    threads = [threading.Thread(target=guarded(f)) for f in (imports, saves)]  # two data dirs at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise errors[0]
    assert len(last_lines) == 2 * KILLS_PER_MODE
    # The kills really landed inside write transactions (not between them) most of the time.
    assert last_lines.count("txn") >= KILLS_PER_MODE, last_lines
    assert committed["import"] >= 1 and committed["save"] >= 1


@pytest.mark.parametrize("mode", ["import", "save"])
def test_a_database_killed_mid_write_accepts_new_writes(tmp_path, mode):
    """After the kill, the same data dir is usable at once: no stale lock, no half transaction."""
    root = ensure_data_dir(tmp_path / "d")
    las = tmp_path / "big.las"
    _big_las(las)
    setup = Database(root)
    ws = setup.create_workspace("W")
    base, _ = setup.add_well(ws.id, {"name": "BASE"}, np.arange(SAVE_N, dtype=float),
                             [("GR", "", "", np.ones(SAVE_N))])
    setup.close()
    args = ["import", str(las)] if mode == "import" else ["save", str(base.id), "0"]
    _kill_mid_write(root, args, nth_txn=1, delay=0)  # killed right after its transaction began
    db = _check_sound(root)
    try:
        before = db.counts()
        assert before == {"workspaces": 1, "wells": 1, "curves": 1}  # the killed write left nothing
        db.save_curve(base.id, "AFTER", "", "", np.zeros(SAVE_N), {"after": True})
        assert db.counts()["curves"] == 2
    finally:
        db.close()
