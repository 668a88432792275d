"""Crash safety: a process killed (SIGKILL) in the middle of an import or of a UDF save leaves
a sound database with nothing partial in it.

Both writes go through the real app (`build_app` + `invoke`): the worker either imports a big
synthetic LAS file with `import_las`, in a loop, or runs a real UDF execution (`execute_udf`,
then waits for the task that saves its result curve), in a loop. It prints a line from *inside*
each write transaction (before each curve row is inserted) and one after each commit. The
parent kills it a random 0–2 ms after a randomly chosen in-transaction line, so the kills land
between the well row and its curves, between curves, in the middle of a 1.6 MB result curve,
or around the commit. After every kill: `integrity_check` is ok, every well has all its curves
with full-length samples and the right values, every saved UDF result is there with all its
samples or not at all, and every write the worker reported committed is there. A second test
stops the worker inside its open transaction (a curve row written, the write lock held), kills
it there, and writes to the same data dir again at once.

Workers are forked from a long-lived "zygote" process that has imported the app once (and
opened nothing: each worker builds its own app and database connection after the fork), so
20 kills per mode cost the writes, not 40 interpreter start-ups. A worker is an ordinary
process of its own; the SIGKILL is the parent's `os.kill`, as before.
"""

from __future__ import annotations

import asyncio
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

from core.dataforge.app import build_app, close_app
from core.dataforge.db import Database
from core.dataforge.paths import ensure_data_dir
from core.tasks import TaskManager

ROOT = Path(__file__).resolve().parents[1]
ROWS, N_CURVES = 30_000, 8  # the import LAS file: ~2.2 MB, ~0.3 s to import, ~5 ms to write
SAVE_N = 200_000  # samples of the well the UDF runs on: each result curve is a 1.6 MB blob
UDF = "vsh_gr"  # deterministic: every run on the well gives the same values
KILLS_PER_MODE = 20

ZYGOTE = r"""
import asyncio
import os
import sys
import threading
import traceback
from pathlib import Path

from core.dataforge.app import build_app
from core.dataforge.db import Database
from core.tasks import TaskManager

insert = Database._insert_curve
hold, inserted = 0, 0


def say(word):  # one write(2) of a whole line: a kill never leaves half a line in the pipe
    os.write(1, (word + "\n").encode())


def announced_insert(self, conn, well_id, row, provenance):
    global inserted
    say("txn")  # inside the write transaction, before this curve's row
    curve_id = insert(self, conn, well_id, row, provenance)
    inserted += 1
    if inserted == hold:  # keep the transaction open, its rows written, until the SIGKILL
        say("held")
        threading.Event().wait()
    return curve_id


Database._insert_curve = announced_insert


async def work(root, mode, args):
    app = build_app(root, demo=False, watch=False)  # the database is opened after the fork
    say(f"ready {os.getpid()}")
    if mode == "import":
        las, ws_id = args
        while True:
            await app.invoke("import_las", {"path": las, "workspaceId": int(ws_id)})
            say("done")
    well_id, udf_id = args
    tasks = app.state(TaskManager)
    while True:
        started = await app.invoke("execute_udf", {"request": {"udf_id": udf_id,
                                                               "well_id": int(well_id)}})
        info = await tasks.wait(started.execution_id, timeout=60)  # the task saves the curve
        if info.state != "completed":
            raise RuntimeError(f"execution {info.state}: {info.error}")
        say("done")


for line in sys.stdin:  # one request a line: fork a worker, report how it ended
    root, mode, hold, *args = line.rstrip("\n").split("\t")
    hold = int(hold)
    pid = os.fork()
    if pid == 0:
        try:
            asyncio.run(work(Path(root), mode, args))
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
        os._exit(1)  # a worker ends only by the parent's SIGKILL: anything else is a failure
    _, status = os.waitpid(pid, 0)
    say(f"reaped {status}")
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


def _save_las(path: Path) -> None:
    """A long well with a gamma ray (`SAVE_N` samples, a few nulls) for the UDF to run on."""
    i = np.arange(SAVE_N)
    gr = np.char.mod("%.4f", 75 + 45 * np.sin(i / 37.0))
    gr[i % 1009 == 0] = "-999.25"
    dept = np.char.mod("%.4f", 1000.0 + 0.1524 * i)
    path.write_text("~VERSION INFORMATION\n VERS. 2.0 :\n WRAP. NO :\n~WELL INFORMATION\n"
                    " STRT.M 1000.0 :\n NULL. -999.25 :\n WELL. SAVE-1 :\n~CURVE INFORMATION\n"
                    " DEPT.M : depth\n GR.GAPI : gamma ray\n~A\n"
                    + "\n".join(f"{d} {g}" for d, g in zip(dept, gr)) + "\n")


async def _execute(app, well_id: int) -> None:
    started = await app.invoke("execute_udf", {"request": {"udf_id": UDF, "well_id": well_id}})
    info = await app.state(TaskManager).wait(started.execution_id, timeout=60)
    assert info.state == "completed", info.error


async def _setup_saves(root: Path, las: Path) -> tuple[int, np.ndarray]:
    """Through the app: import the long well, run the UDF once. Returns the well id and the
    values every later run must save (the reference result's samples)."""
    app = build_app(root, demo=False, watch=False)
    try:
        ws = await app.invoke("create_workspace", {"name": "Saves"})
        well = (await app.invoke("import_las", {"path": str(las), "workspaceId": ws.id})).well
        await _execute(app, well.id)
        (result,) = [c for c in await app.invoke("list_curves", {"wellId": well.id}) if c.is_computed]
    finally:
        close_app(app)
    db = Database(root)
    try:
        reference = db.get_samples(result.id)
    finally:
        db.close()
    assert reference.size == SAVE_N and np.isfinite(reference).sum() > SAVE_N // 2
    return well.id, reference


def _pump(proc: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def run():
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=run, daemon=True).start()
    return lines


class _Zygote:
    """The process workers are forked from (see the module docstring)."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.err_path = tmp_path / f"zygote-{name}.stderr"
        self._err = self.err_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.lines = _pump(self.proc)

    def stderr(self) -> str:
        return self.err_path.read_text()

    def __enter__(self) -> "_Zygote":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.proc.stdin.close()  # end of requests: the zygote exits
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self._err.close()


def _kill_mid_write(zygote: _Zygote, args: list[str], nth_txn: int, delay: float, *,
                    hold: bool = False) -> tuple[int, str]:
    """Start a worker; kill it `delay` s after its `nth_txn` in-transaction line. With `hold`,
    the worker stops after writing that curve row, in the open transaction, until killed.
    Returns (commits the worker reported, its last line)."""
    root, mode, *rest = args
    word = "held" if hold else "txn"
    zygote.proc.stdin.write("\t".join([root, mode, str(nth_txn if hold else 0), *rest]) + "\n")
    zygote.proc.stdin.flush()
    seen: list[str] = []
    pid = None
    try:
        while seen.count(word) < (1 if hold else nth_txn):
            line = zygote.lines.get(timeout=60)
            assert line is not None and not line.startswith("reaped "), (
                f"the worker ended early ({line}): {zygote.stderr()}")
            if line.startswith("ready "):
                pid = int(line.split()[1])
            else:
                seen.append(line)
        if delay:
            time.sleep(delay)
        os.kill(pid, signal.SIGKILL)  # not reaped yet (the zygote waits for it): still ours
    except BaseException:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        raise
    while not (line := zygote.lines.get(timeout=30)).startswith("reaped "):  # what it printed before dying
        seen.append(line)
    status = int(line.split()[1])
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (status, zygote.stderr())
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
    plans = {
        "import": [(rng.randint(1, 2 * N_CURVES), rng.uniform(0, 0.002)) for _ in range(KILLS_PER_MODE)],
        "save": [(rng.randint(1, 3), rng.uniform(0, 0.002)) for _ in range(KILLS_PER_MODE)],
    }
    last_lines: list[str] = []
    errors: list[BaseException] = []
    committed = {"import": 0, "save": 1}  # the setup's reference run

    def imports(zygote):
        for nth, delay in plans["import"]:
            done, last = _kill_mid_write(zygote, [str(import_root), "import", str(las), str(ws.id)],
                                         nth, delay)
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

    def saves(zygote):
        save_las = tmp_path / "save.las"
        _save_las(save_las)
        well_id, reference = asyncio.run(_setup_saves(save_root, save_las))  # while imports run
        for nth, delay in plans["save"]:
            done, last = _kill_mid_write(zygote, [str(save_root), "save", str(well_id), UDF], nth, delay)
            last_lines.append(last)
            db = _check_sound(save_root)  # every curve full length, the old ones included
            try:
                saved = [c for c in db.list_curves(well_id) if c.is_computed]
                assert committed["save"] + done <= len(saved) <= committed["save"] + done + 1
                committed["save"] = len(saved)
                assert len({c.mnemonic for c in saved}) == len(saved)  # VSH, VSH_2, VSH_3, ...
                for c in saved:
                    assert c.provenance["udf_id"] == UDF and c.sample_count == SAVE_N
                    np.testing.assert_array_equal(db.get_samples(c.id), reference)
            finally:
                db.close()

    def guarded(fn, name):
        def run():
            try:
                with _Zygote(tmp_path, name) as zygote:
                    fn(zygote)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
        return run

    threads = [threading.Thread(target=guarded(f, f.__name__)) for f in (imports, saves)]  # two data dirs at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    assert len(last_lines) == 2 * KILLS_PER_MODE
    # The kills really landed inside write transactions (not between them) most of the time.
    assert last_lines.count("txn") >= KILLS_PER_MODE, last_lines
    assert committed["import"] >= 1 and committed["save"] >= 2


async def _write_once(root: Path, mode: str, target_id: int, las: Path) -> None:
    app = build_app(root, demo=False, watch=False)
    try:
        if mode == "import":
            await app.invoke("import_las", {"path": str(las), "workspaceId": target_id})
        else:
            await _execute(app, target_id)
    finally:
        close_app(app)


@pytest.mark.parametrize("mode", ["import", "save"])
def test_a_database_killed_mid_write_accepts_new_writes(tmp_path, mode):
    """After the kill, the same data dir is usable at once: no stale lock, no half transaction."""
    root = ensure_data_dir(tmp_path / "d")
    las = tmp_path / f"{mode}.las"
    if mode == "import":
        _big_las(las)
        setup = Database(root)
        target_id = setup.create_workspace("W").id
        setup.close()
        args = [str(root), "import", str(las), str(target_id)]
    else:
        _save_las(las)
        target_id, _ = asyncio.run(_setup_saves(root, las))
        args = [str(root), "save", str(target_id), UDF]
    db = Database(root)
    before = db.counts()
    db.close()
    with _Zygote(tmp_path, mode) as zygote:  # killed in its open transaction, a curve row written
        assert _kill_mid_write(zygote, args, nth_txn=1, delay=0, hold=True) == (0, "held")
    db = _check_sound(root)
    try:
        assert db.counts() == before  # the killed write left nothing
    finally:
        db.close()
    asyncio.run(_write_once(root, mode, target_id, las))  # the same write again, through the app
    db = _check_sound(root)
    try:
        after = db.counts()
    finally:
        db.close()
    if mode == "import":
        assert after == {**before, "wells": before["wells"] + 1, "curves": before["curves"] + N_CURVES}
    else:
        assert after == {**before, "curves": before["curves"] + 1}
