"""Header limits of the LAS import (core.dataforge.las_io): lasio's header parsing is quadratic and
runs under a lock every import shares, so a file with a huge header is refused from a scan of its
text, before lasio sees it, with one error naming the file; real files are far inside the limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.dataforge import las_io
from core.dataforge.las_io import MAX_HEADER_CHARS, MAX_HEADER_LINE_CHARS, MAX_HEADER_LINES, import_las
from core.dataforge.models import LasImportError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "core" / "dataforge" / "data" / "las"
WELLINGTON = ROOT / "tests" / "data" / "wellington_kgs_1-32_excerpt.las"

VERSION = "~VERSION INFORMATION\n VERS. 2.0 : CWLS LOG ASCII STANDARD -VERSION 2.0\n WRAP. NO : ONE LINE\n"
WELL = "~WELL INFORMATION\n STRT.M 100.0 :\n STOP.M 101.0 :\n STEP.M 0.5 :\n NULL. -999.25 :\n WELL. Big : WELL\n"
CURVES = "~CURVE INFORMATION\n DEPT.M : depth\n GR.GAPI : gamma\n"
DATA = "~A\n100.0 1\n100.5 2\n101.0 3\n"
BASE_ITEMS = 9  # the item lines of VERSION, WELL and CURVES


@pytest.fixture
def no_lasio(monkeypatch):
    """A refusal must come from the scan of the text: lasio (and its lock) is never reached."""
    def fail(*args, **kwargs):
        raise AssertionError("lasio was called")
    monkeypatch.setattr(las_io, "_lasio_read", fail)


def _items(n: int, prefix: str, width: int = 0) -> str:
    return "".join(f" {prefix}{i}.M {i} : {'d' * width}\n" for i in range(n))


def _refused(db, path: Path, message: str) -> None:
    before = db.counts()
    with pytest.raises(LasImportError) as info:
        import_las(db, path, db.list_workspaces()[0].id)
    assert str(info.value) == f"{path.name}: {message}"
    assert db.counts() == before


# 16 000 header lines took lasio 53 s, holding the lock every other import waits on.
HUGE = {
    "well": VERSION + WELL + _items(16_000, "X") + CURVES + DATA,
    "curves": VERSION + WELL + CURVES + _items(16_000, "C") + DATA,
    "parameters": VERSION + WELL + "~PARAMETER INFORMATION\n" + _items(16_000, "P") + CURVES + DATA,
    "spread_over_three": VERSION + WELL + _items(6_000, "X") + "~P\n" + _items(5_000, "P") + CURVES
    + _items(5_000, "C") + DATA,
    "after_the_data": VERSION + WELL + CURVES + DATA + "~P\n" + _items(16_000, "P"),  # lasio parses it too
    "no_data_section": VERSION + WELL + CURVES + _items(16_000, "C"),
}


@pytest.mark.parametrize("case", sorted(HUGE))
def test_a_huge_header_is_refused_before_lasio_reads_it(db, ws, tmp_path, no_lasio, case):
    path = tmp_path / f"{case}.las"
    path.write_text(HUGE[case])
    _refused(db, path, f"the header has {16_000 + BASE_ITEMS:,} lines; at most {MAX_HEADER_LINES:,} are read")
    assert db.list_wells(ws.id) == [] and [w.name for w in db.list_workspaces()] == ["Imports"]


def test_a_very_long_header_line_is_refused(db, ws, tmp_path, no_lasio):
    path = tmp_path / "long.las"
    path.write_text(VERSION + WELL.replace("WELL. Big : WELL", "WELL. Big : " + "x" * 300_000) + CURVES + DATA)
    _refused(db, path, f"header line 9 has 300,012 characters; at most {MAX_HEADER_LINE_CHARS:,} are read")


def test_a_header_too_large_in_total_is_refused(db, ws, tmp_path, no_lasio):
    path = tmp_path / "wide.las"
    path.write_text(VERSION + WELL + "~P\n" + _items(200, "P", width=9_000) + CURVES + DATA)
    size = sum(len(line.strip()) for line in (VERSION + WELL + CURVES + _items(200, "P", width=9_000)).splitlines()
               if not line.startswith("~"))  # the item lines, as stripped
    assert size > MAX_HEADER_CHARS
    _refused(db, path, f"the header has {size:,} characters; at most {MAX_HEADER_CHARS:,} are read")


def test_the_limit_counts_item_lines_only(db, ws, tmp_path, monkeypatch):
    # ~O text, blank lines and # comments cost lasio nothing: a long ~O is not a huge header.
    monkeypatch.setattr(las_io, "MAX_HEADER_LINES", 50)
    at_limit = VERSION + WELL + "~P\n" + _items(50 - BASE_ITEMS, "P")
    path = tmp_path / "at_limit.las"
    path.write_text(at_limit + "~OTHER\n" + "free text: a remark. line\n" * 5_000 + "# a comment\n\n" * 500
                    + CURVES + DATA)
    result = import_las(db, path, ws.id)
    assert [c.mnemonic for c in result.curves] == ["GR"]
    path = tmp_path / "over.las"
    path.write_text(at_limit + " ONE.M 1 : one more\n" + CURVES + DATA)
    _refused(db, path, "the header has 51 lines; at most 50 are read")


def test_real_files_are_far_inside_the_limits(db, ws, tmp_path):
    # The real 6038187 well, and the Wellington KGS 1-32 excerpt (its comma-delimited ~A made readable).
    head, data = WELLINGTON.read_text().split("\n~A", 1)
    wellington = tmp_path / "wellington.las"
    wellington.write_text(head + "\n~A" + data.replace(",", " "))
    for path, curves in ((SHIPPED / "6038187_v1.2.las", 8), (wellington, 37)):
        result = import_las(db, path, ws.id)
        assert len(result.curves) == curves
        assert np.all(np.diff(db.get_depths(result.well.id)) > 0)
