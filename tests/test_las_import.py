"""LAS import and export (core.dataforge.las_io): the shipped samples against what lasio
itself reads, every edge-case file with its precise outcome, export round trips, and
mutated files that must always end in an ImportResult or one LasImportError."""

from __future__ import annotations

import io
import os
import random
import re
import sqlite3
import tempfile
import warnings
from pathlib import Path

import lasio
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.dataforge.db import Database
from core.dataforge.las_io import decode_las_bytes, export_las, import_las
from core.dataforge.models import ImportResult, LasImportError
from core.dataforge.paths import shipped_las_dir

EDGE_DIR = Path(__file__).parent / "data" / "las" / "edge-cases"
EDGE_FILES = sorted(p.name for p in EDGE_DIR.glob("*.las"))
SHIPPED = sorted(shipped_las_dir().glob("*.las"))


@pytest.fixture
def ws(db):
    return db.create_workspace("import")


def _lasio(path_or_text) -> lasio.LASFile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lasio.read(path_or_text)


def _integrity(db: Database) -> str:
    return db._conn().execute("PRAGMA integrity_check").fetchone()[0]


def _curves(db: Database, well_id: int) -> dict[str, np.ndarray]:
    return {c.mnemonic: db.get_samples(c.id) for c in db.list_curves(well_id)}


# ---- the shipped samples, against lasio ------------------------------------------------------


def test_there_are_shipped_samples_and_edge_cases():
    assert {p.name for p in SHIPPED} >= {"sample.las", "sample_2.0.las", "sample_wrapped.las", "6038187_v1.2.las"}
    assert set(EDGE_FILES) == set(EDGE_CASES)  # every edge-case file has a decided outcome below


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_sample_imports_what_lasio_reads(db, ws, path):
    las = _lasio(str(path))
    result = import_las(db, path, ws.id)
    assert isinstance(result, ImportResult)
    well = result.well
    assert well.name == str(las.well["WELL"].value).strip()
    index = np.asarray(las.index, dtype=float)
    decreasing = index.size > 1 and index[1] < index[0]
    order = slice(None, None, -1) if decreasing else slice(None)
    depths = db.get_depths(well.id)
    np.testing.assert_array_equal(depths, index[order])
    assert (well.start_depth, well.stop_depth) == (depths[0], depths[-1])
    assert ("depths decrease in the file; stored increasing" in result.warnings) == decreasing

    lasio_curves = las.curves[1:]
    all_null = [c.mnemonic for c in lasio_curves if np.isnan(np.asarray(c.data, dtype=float)).all()]
    expected = [c.mnemonic for c in lasio_curves if c.mnemonic not in all_null]
    assert [c.mnemonic for c in result.curves] == expected
    for mnemonic in all_null:
        assert f"{mnemonic}: every value is null, not imported" in result.warnings
    stored = _curves(db, well.id)
    for curve in lasio_curves:
        if curve.mnemonic in all_null:
            continue
        info = next(c for c in result.curves if c.mnemonic == curve.mnemonic)
        assert info.sample_count == len(las.index) == depths.size
        assert info.unit == curve.unit
        np.testing.assert_allclose(stored[curve.mnemonic], np.asarray(curve.data, dtype=float)[order],
                                   equal_nan=True, rtol=0, atol=0)
    assert db.counts() == {"workspaces": 1, "wells": 1, "curves": len(expected)}


def test_sample_las_values_in_detail(db, ws):
    result = import_las(db, shipped_las_dir() / "sample.las", ws.id)
    w = result.well
    assert (w.name, w.uwi, w.field, w.location, w.depth_unit) == (
        "ANY ET AL OIL WELL #12", "100091604920W300", "EDAM", "A9-16-49-20W3M", "m")
    assert (w.start_depth, w.stop_depth, w.step, w.null_value) == (1669.75, 1670.0, 0.125, -999.25)
    assert w.source_file == str((shipped_las_dir() / "sample.las").resolve())
    values = _curves(db, w.id)
    assert values["RHOB"].tolist() == [2550.0] * 3 and values["ILD"].tolist() == [105.6] * 3


def test_nulls_become_nan(db, ws):
    path = shipped_las_dir() / "6038187_v1.2.las"
    las = _lasio(str(path))
    result = import_las(db, path, ws.id)
    assert result.well.null_value == -99999.0
    for info in result.curves:
        samples = db.get_samples(info.id)
        assert info.null_count == int(np.isnan(samples).sum()) == int(np.isnan(las[info.mnemonic]).sum())
        assert not np.any(samples == -99999.0)
    assert {c.mnemonic: c.null_count for c in result.curves}["NEUT"] == 240


def test_importing_the_same_file_twice_warns_and_adds_a_second_well(db, ws):
    path = shipped_las_dir() / "sample_2.0.las"
    first = import_las(db, path, ws.id)
    assert not any("already exists" in w for w in first.warnings)
    second = import_las(db, path, ws.id)
    assert "a well named 'AAAAA_2' already exists in this workspace; imported as a new well" in second.warnings
    assert second.well.id != first.well.id and len(db.list_wells(ws.id)) == 2


def test_import_into_a_missing_workspace_fails_before_reading(db):
    from core.dataforge.models import NotFound
    with pytest.raises(NotFound, match="^workspace 77 not found$"):
        import_las(db, shipped_las_dir() / "sample.las", 77)
    assert db.counts() == {"workspaces": 0, "wells": 0, "curves": 0}


# ---- every edge-case file ----------------------------------------------------------------------

_SAMPLE_VALUES = {"DT": 123.45, "NPHI": 0.45, "SFLU": 123.45, "SFLA": 123.45, "ILM": 110.2, "ILD": 105.6}

# Decided per file by running it; see the report. ("error", message) or ("ok", expectations).
EDGE_CASES: dict[str, tuple[str, object]] = {
    "barebones.las": ("error", "barebones.las: no log curves to import, only the depth index DEPT"),
    "missing_a_section.las": ("error", "missing_a_section.las: no data rows in the ~A section"),
    "not_a_las_file.las": ("error", "not_a_las_file.las: not a LAS file (no ~ sections)"),
    "data_characters.las": ("ok", {
        "name": "data_characters",  # WELL is blank: the file's stem
        "unit": "m",
        "depths": [1500.2435, 1500.3519],
        "curves": {"ARC_GR_UNC_RT": [126.56, 126.56]},
        "warnings": ["TIME: text values, not imported", "DATE: text values, not imported",
                     "no well name (WELL) in the file; named 'data_characters' after the file"],
    }),
    "encodings_utf16le.las": ("ok", {
        "name": "ANY ET AL OIL WELL #12",
        "unit": "m",
        "depths": [1669.75, 1669.875, 1670.0],
        # lasio upper-cases mnemonics, so the file's "ºᶟᵌᴬń" becomes "ºᶟᵌᴬŃ"
        "curves": {"DT": [123.45] * 3, "ºᶟᵌᴬŃ": [2550.0] * 3, "NPHI": [0.45] * 3, "SFLU": [123.45] * 3,
                   "SFLA": [123.45] * 3, "ILM": [110.2] * 3, "ILD": [105.6] * 3},
        "warnings": ["read as utf-16-le", "depths decrease in the file; stored increasing"],
    }),
    "excess_curves.las": ("ok", {
        "name": "AAAAA_2",
        "unit": "ft",
        "depths": [19160.0, 19160.5],
        "curves": {"TVD": [10415.184, 10415.19], "VS": [8974.944, 8975.444], "GAMMA": [57.011, 57.011]},
        "warnings": [
            "ROP: listed in ~C but has no data column in ~A, not imported",
            "TEMP: listed in ~C but has no data column in ~A, not imported",
        ],
    }),
    "mnemonic_duplicate.las": ("ok", {
        "name": "ANY ET AL OIL WELL #12",
        "unit": "m",
        "depths": [1669.75, 1669.875, 1670.0],
        "curves": {"DT": [123.45] * 3, "RHOB": [2550.0] * 3, "NPHI": [0.45] * 3, "SFLU:1": [123.45] * 3,
                   "SFLU:2": [125.45] * 3, "ILM": [110.2] * 3, "ILD": [105.6] * 3},
        "warnings": [
            "depths decrease in the file; stored increasing",
            "SFLU: mnemonic repeated in the file, kept as SFLU:1, SFLU:2",
        ],
    }),
}


@pytest.mark.parametrize("name", EDGE_FILES)
def test_edge_case_file(db, ws, name):
    path = EDGE_DIR / name
    kind, expected = EDGE_CASES[name]
    before = db.counts()
    if kind == "error":
        with pytest.raises(LasImportError) as info:
            import_las(db, path, ws.id)
        assert str(info.value) == expected
        assert str(info.value).startswith(f"{name}: ")
        assert db.counts() == before
        assert _integrity(db) == "ok"
        return
    result = import_las(db, path, ws.id)
    assert result.well.name == expected["name"]
    assert result.well.depth_unit == expected["unit"]
    assert result.warnings == expected["warnings"]
    np.testing.assert_array_equal(db.get_depths(result.well.id), expected["depths"])
    assert [c.mnemonic for c in result.curves] == list(expected["curves"])
    stored = _curves(db, result.well.id)
    for mnemonic, values in expected["curves"].items():
        assert stored[mnemonic].tolist() == values
    assert db.counts() == {"workspaces": 1, "wells": 1, "curves": len(expected["curves"])}


def test_utf16_file_reads_like_its_utf8_twin(db, ws):
    # lasio cannot read the UTF-16 file from its path; the importer's own decoding can.
    raw = (EDGE_DIR / "encodings_utf16le.las").read_bytes()
    text, encoding = decode_las_bytes(raw)
    assert encoding == "utf-16-le" and text.startswith("~VERSION INFORMATION")
    twin = _lasio(io.StringIO(text))
    result = import_las(db, EDGE_DIR / "encodings_utf16le.las", ws.id)
    assert [c.mnemonic for c in result.curves] == [c.mnemonic for c in twin.curves[1:]]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "cp1252"])
def test_re_encoded_sample_imports_identically(db, ws, tmp_path, encoding):
    text = (shipped_las_dir() / "sample_2.0.las").read_text(encoding="utf-8")
    path = tmp_path / f"re-{encoding}.las"
    path.write_bytes(text.encode(encoding))
    result = import_las(db, path, ws.id)
    assert [c.mnemonic for c in result.curves] == ["DT", "RHOB", "NPHI", "SFLU", "SFLA", "ILM", "ILD"]
    stored = _curves(db, result.well.id)
    for m, v in _SAMPLE_VALUES.items():
        assert stored[m].tolist() == [v] * 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"just some text\nwith no sections\n", "not a LAS file (no ~ sections)"),
    ],
)
def test_unreadable_files_name_the_file(db, ws, tmp_path, content, message):
    path = tmp_path / "odd.las"
    path.write_bytes(content)
    with pytest.raises(LasImportError, match="^" + re.escape(f"odd.las: {message}")):
        import_las(db, path, ws.id)
    with pytest.raises(LasImportError, match="^nope.las: cannot open"):
        import_las(db, tmp_path / "nope.las", ws.id)
    with pytest.raises(LasImportError, match="^adir: not a file"):
        (tmp_path / "adir").mkdir()
        import_las(db, tmp_path / "adir", ws.id)
    assert db.counts() == {"workspaces": 1, "wells": 0, "curves": 0}


def test_out_of_order_depths_in_an_increasing_file_name_the_bad_row(db, ws, tmp_path):
    text = (shipped_las_dir() / "sample_2.0.las").read_text()
    head, data = text.split("~A", 1)
    lines = data.splitlines()
    rows = [ln.split() for ln in lines[1:] if ln.strip()]
    rows = [rows[2], rows[1], rows[0], rows[1]]  # 1669.75, 1669.875, 1670, 1669.875
    path = tmp_path / "increasing.las"
    path.write_text(head + "~A" + lines[0] + "\n" + "\n".join(" ".join(r) for r in rows) + "\n")
    with pytest.raises(LasImportError) as info:
        import_las(db, path, ws.id)
    assert str(info.value).startswith("increasing.las: depths are not in order (data row 4: ")
    assert db.counts()["wells"] == 0


def test_out_of_order_depths_in_a_decreasing_file_name_the_bad_row(db, ws, tmp_path):
    # sample_2.0.las runs 1670 -> 1669.75 (decreasing, which is accepted). Swap the last two
    # rows: 1670, 1669.75, 1669.875. Row 2 (1670 then 1669.75) is in the file's own order;
    # the error is at row 3, where the depth goes back up.
    text = (shipped_las_dir() / "sample_2.0.las").read_text()
    head, data = text.split("~A", 1)
    lines = data.splitlines()
    rows = [ln for ln in lines[1:] if ln.strip()]
    rows[1], rows[2] = rows[2], rows[1]  # 1670, 1669.75, 1669.875
    path = tmp_path / "shuffled.las"
    path.write_text(head + "~A" + lines[0] + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(LasImportError) as info:
        import_las(db, path, ws.id)
    assert str(info.value).startswith("shuffled.las: depths are not in order (data row 3: ")
    assert db.counts()["wells"] == 0


def test_out_of_order_message_shows_the_depths_as_written_in_the_file(db, ws, tmp_path):
    # Rounded to 6 significant digits the two depths would read "1669.88 after 1669.88",
    # which are not the values in the file and do not show what is wrong.
    path = tmp_path / "dup.las"
    path.write_text("~V\n VERS. 2.0 :\n WRAP. NO :\n~W\n NULL. -999.25 :\n WELL. W :\n~C\n DEPT.M :\n"
                    " GR.API :\n~A\n1669.874 1\n1669.875 2\n1669.876 3\n1669.876 4\n")
    with pytest.raises(LasImportError) as info:
        import_las(db, path, ws.id)
    assert str(info.value) == "dup.las: depths are not in order (data row 4: 1669.876 after 1669.876)"
    assert db.counts()["wells"] == 0


# ---- the import_las command without a workspace ----------------------------------------------------


@pytest.fixture
async def empty_app(tmp_path):
    from core.dataforge.app import build_app, close_app

    app = build_app(tmp_path / "data", demo=False, watch=False)  # no workspace at all
    yield app
    close_app(app)


@pytest.mark.parametrize("content", [
    b"",
    b"~V\n VERS. 2.0 :\n WRAP. NO :\n~C\n DEPT.M :\n GR.API :\n~A\n100 1\n100.5\n101 3\n",  # a row cut short
    ("~V\n VERS. 2.0 :\n WRAP. NO :\n~C\n DEPT.M :\n" + " GR.API :\n" * 16_000 + "~A\n100 1\n").encode(),
], ids=["empty", "row_cut_short", "huge_header"])
async def test_a_failed_import_without_a_workspace_leaves_no_default_workspace(empty_app, tmp_path, content):
    from core import CommandFailed

    path = tmp_path / "bad.las"
    path.write_bytes(content)
    with pytest.raises(CommandFailed, match="^bad.las: "):
        await empty_app.invoke("import_las", {"path": str(path)})
    with pytest.raises(CommandFailed, match="^missing.las: cannot open"):
        await empty_app.invoke("import_las", {"path": str(tmp_path / "missing.las")})
    assert await empty_app.invoke("list_workspaces") == []
    status = await empty_app.invoke("get_dataforge_status")
    assert (status.workspaces, status.wells, status.curves) == (0, 0, 0)
    result = await empty_app.invoke("import_las", {"path": str(shipped_las_dir() / "sample.las")})
    assert [(w.name, w.well_count) for w in await empty_app.invoke("list_workspaces")] == [("Default", 1)]
    assert result.well.workspace_id == (await empty_app.invoke("list_workspaces"))[0].id


async def test_an_import_into_a_missing_workspace_names_the_workspace_not_the_file(empty_app, tmp_path):
    from core import CommandFailed

    with pytest.raises(CommandFailed, match="workspace 5 not found"):
        await empty_app.invoke("import_las", {"path": str(tmp_path / "missing.las"), "workspaceId": 5})
    assert await empty_app.invoke("list_workspaces") == []


# ---- export ----------------------------------------------------------------------------------------


def test_export_round_trip_lasio_reads_back_the_same_values(db, ws, tmp_path):
    src = shipped_las_dir() / "6038187_v1.2.las"
    result = import_las(db, src, ws.id)
    out = export_las(db, result.well.id, tmp_path / "out.las")
    assert out == tmp_path / "out.las"
    back = _lasio(str(out))
    assert str(back.well["WELL"].value) == "Scorpio E1"
    assert [c.mnemonic for c in back.curves] == ["DEPT"] + [c.mnemonic for c in result.curves]
    np.testing.assert_allclose(back.index, db.get_depths(result.well.id))
    for info in result.curves:
        # the source has 6 significant digits (0.989007): the export must not round them away
        np.testing.assert_allclose(back[info.mnemonic], db.get_samples(info.id), equal_nan=True)
        assert back.curves[info.mnemonic].unit == info.unit
    # and importing the export gives the same well again
    again = import_las(db, out, ws.id)
    for a, b in zip(result.curves, again.curves):
        assert a.mnemonic == b.mnemonic
        np.testing.assert_allclose(db.get_samples(b.id), db.get_samples(a.id), equal_nan=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_curve_subset_in_the_order_asked(db, ws, tmp_path):
    result = import_las(db, shipped_las_dir() / "sample.las", ws.id)
    by_name = {c.mnemonic: c for c in result.curves}
    out = export_las(db, result.well.id, tmp_path / "subset.las", [by_name["ILD"].id, by_name["DT"].id])
    back = _lasio(str(out))
    assert back.keys() == ["DEPT", "ILD", "DT"]
    np.testing.assert_allclose(back["ILD"], [105.6] * 3)
    np.testing.assert_allclose(back.index, [1669.75, 1669.875, 1670.0])
    other_ws = db.create_workspace("other")
    other = import_las(db, shipped_las_dir() / "sample_2.0.las", other_ws.id)
    with pytest.raises(ValueError, match=f"curve\\(s\\) {other.curves[0].id} are not curves of well"):
        export_las(db, result.well.id, tmp_path / "bad.las", [by_name["DT"].id, other.curves[0].id])
    assert not (tmp_path / "bad.las").exists()


def test_export_to_a_missing_folder_is_a_clear_error_and_leaves_nothing(db, ws, tmp_path):
    result = import_las(db, shipped_las_dir() / "sample.las", ws.id)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    target = tmp_path / "no" / "such" / "dir" / "x.las"
    with pytest.raises(ValueError, match="does not exist"):
        export_las(db, result.well.id, target)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "no").exists()


def test_failed_export_keeps_the_old_file_and_leaves_no_temp_file(db, ws, tmp_path, monkeypatch):
    result = import_las(db, shipped_las_dir() / "sample.las", ws.id)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "keep.las"
    target.write_text("old contents")

    def broken_write(self, fh, **kw):
        fh.write("~VERSION partial")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(lasio.LASFile, "write", broken_write)
    with pytest.raises(OSError, match="simulated"):
        export_las(db, result.well.id, target)
    assert target.read_text() == "old contents"
    assert [p.name for p in folder.iterdir()] == ["keep.las"]  # the temp file is gone


# ---- mutated files -----------------------------------------------------------------------------------

_SOURCES = [p.read_bytes() for p in SHIPPED] + [(EDGE_DIR / n).read_bytes() for n in EDGE_FILES]


def _check_import(db: Database, ws_id: int, path: Path) -> None:
    before = db.counts()
    try:
        result = import_las(db, path, ws_id)
    except LasImportError as exc:
        assert str(exc).startswith(f"{path.name}: "), str(exc)
        assert db.counts() == before
    else:
        assert isinstance(result, ImportResult)
        depths = db.get_depths(result.well.id)
        assert result.curves and depths.size > 0
        for info in result.curves:
            assert db.get_samples(info.id).size == depths.size == info.sample_count
        assert db.counts()["wells"] == before["wells"] + 1
    assert _integrity(db) == "ok"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("keep", [-1, 301, 1001])
def test_utf16_file_with_an_odd_byte_count_imports_or_fails_as_a_las_import_error(db, ws, tmp_path,
                                                                                   encoding, keep):
    # A UTF-16 file cut short (or with a stray byte) has an odd length. Like a truncated
    # UTF-8 file it must end in an ImportResult or a LasImportError naming the file, never
    # in a UnicodeDecodeError from the decoder.
    raw = (shipped_las_dir() / "sample.las").read_text().encode(encoding)
    cut = raw[:keep]
    assert len(cut) % 2 == 1
    path = tmp_path / f"cut-{encoding}.las"
    path.write_bytes(cut)
    _check_import(db, ws.id, path)


@pytest.fixture(scope="module")
def mutation_db(tmp_path_factory):
    database = Database(tmp_path_factory.mktemp("mutations"))
    ws = database.create_workspace("mutations")
    yield database, ws.id, tmp_path_factory.mktemp("mutated-files")
    database.close()


@settings(max_examples=50, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(source=st.integers(0, len(_SOURCES) - 1),
       mutation=st.sampled_from(["truncate", "flip", "utf-16", "utf-16-le", "cp1252", "utf-16+truncate"]),
       seed=st.integers(0, 2**32 - 1))
def test_mutated_files_import_or_fail_cleanly(mutation_db, source, mutation, seed):
    db, ws_id, folder = mutation_db
    rng = random.Random(seed)
    raw = _SOURCES[source]
    if mutation == "truncate":
        data = raw[: rng.randrange(len(raw) + 1)]
    elif mutation == "flip":
        buf = bytearray(raw)
        for _ in range(rng.randint(1, 20)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        data = bytes(buf)
    else:
        text, _ = decode_las_bytes(raw)
        encoding = mutation.split("+")[0]
        data = text.encode(encoding, errors="replace")
        if mutation.endswith("+truncate"):
            data = data[: rng.randrange(len(data) + 1)]
    fd, name = tempfile.mkstemp(dir=folder, prefix=f"m{source}-{mutation}-", suffix=".las")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        _check_import(db, ws_id, Path(name))
    finally:
        os.unlink(name)


async def test_imports_at_once_into_no_workspace_make_one_default_workspace(tmp_path):
    """Two imports with no workspace, side by side: both land in one "Default" (the second
    failed with "a workspace named 'Default' already exists")."""
    import asyncio

    from core.dataforge.app import build_app, close_app

    app = build_app(tmp_path / "data", demo=False, watch=False)
    app.bus.bind()
    try:
        files = [f for f in sorted((Path(__file__).parent / "data" / "las" / "edge-cases").glob("*.las"))][:6]
        results = await asyncio.gather(*(app.invoke("import_las", {"path": str(f)}) for f in files),
                                       return_exceptions=True)
        failed = [str(r) for r in results if isinstance(r, Exception)]
        assert not any("workspace named" in f for f in failed), failed
        assert len(failed) < len(files)  # some of the edge cases do import
        names = [w.name for w in await app.invoke("list_workspaces")]
        assert names == ["Default"]
    finally:
        close_app(app)
