"""LAS import and export (core.dataforge.las_io): the shipped real files, encodings, every
edge-case file, malformed input (all-or-nothing, one clear error naming the file), and
round trips through lasio."""

from __future__ import annotations

import os
import random
import stat
import threading
from pathlib import Path

import lasio
import numpy as np
import pytest

from core.dataforge.demo import create_demo
from core.dataforge.las_io import EXPORT_NULL, export_las, import_las
from core.dataforge.models import ImportResult, LasImportError, NotFound

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "core" / "dataforge" / "data" / "las"
EDGE = ROOT / "tests" / "data" / "las" / "edge-cases"
SAMPLE_CURVES = ["DT", "RHOB", "NPHI", "SFLU", "SFLA", "ILM", "ILD"]


def _import_ok(db, path, ws_id) -> ImportResult:
    before = db.counts()
    result = import_las(db, path, ws_id)
    after = db.counts()
    assert after["wells"] == before["wells"] + 1
    assert after["curves"] == before["curves"] + len(result.curves) == before["curves"] + result.well.curve_count
    return result


def _import_fails(db, path, ws_id, message: str) -> LasImportError:
    before = db.counts()
    with pytest.raises(LasImportError) as info:
        import_las(db, path, ws_id)
    assert str(info.value) == f"{Path(path).name}: {message}"
    assert db.counts() == before
    return info.value


def _samples(db, result: ImportResult) -> dict[str, np.ndarray]:
    return {c.mnemonic: db.get_samples(c.id) for c in result.curves}


# ---- the shipped real files -----------------------------------------------------------------

SHIPPED_EXPECTED = {
    # file: ((well, uwi, company, field, location, null), curves, rows, depth unit, start, stop, step, warnings)
    "6038187_v1.2.las": (("Scorpio E1", "6038-187", None, None, "Mt Eba", -99999.0),
                         ["CALI", "DFAR", "DNEAR", "GAMN", "NEUT", "PR", "SP", "COND"],
                         2732, "m", 0.05, 136.6, 0.05, []),
    "sample.las": (("ANY ET AL OIL WELL #12", "100091604920W300", "# ANY OIL COMPANY LTD.", "EDAM",
                    "A9-16-49-20W3M", -999.25),
                   SAMPLE_CURVES, 3, "m", 1669.75, 1670.0, 0.125,
                   ["depths decrease in the file; stored increasing"]),
    "sample_2.0.las": (("AAAAA_2", "100123401234W500", "ANY OIL COMPANY INC.", "WILDCAT", "12-34-12-34W5M",
                        -999.25),
                       SAMPLE_CURVES, 3, "m", 1669.75, 1670.0, 0.125,
                       ["depths decrease in the file; stored increasing"]),
    "sample_wrapped.las": (
        ("ANY ET AL XX-XX-XX-XX", None, "ANY OIL COMPANY INC.", "WILDCAT", "XX-XX-XX-XXW3M", -999.25),
        ["RHOB", "NPHI", "RX0", "RESS", "RESM", "RESD", "SP", "GR", "CALI", "DRHO", "PEF", "DCAL", "RHGF",
         "RHGA", "SPBL", "GRC", "PHIA", "PHID", "PHIE", "PHIN", "PHIC", "R0", "RWA", "SW", "MSI", "BVW",
         "FGAS", "PIDX", "FBH", "FHCC", "LSWB"],
        5, "m", 909.5, 910.0, 0.125,
        ["depths decrease in the file; stored increasing"]
        + [f"{m}: every value is null, not imported" for m in ("DT", "EATT", "TPL", "FFI")]),
}


def test_the_shipped_files_are_the_ones_expected():
    assert {p.name for p in SHIPPED.glob("*.las")} == set(SHIPPED_EXPECTED)
    assert "MIT" in (SHIPPED / "LICENSE-lasio-examples").read_text()
    assert "MIT" in (EDGE / "LICENSE-lasio-examples").read_text()


@pytest.mark.parametrize("filename", sorted(SHIPPED_EXPECTED))
def test_shipped_file_imports_like_lasio_reads_it(db, ws, filename):
    header, mnemonics, rows, unit, start, stop, step, warnings = SHIPPED_EXPECTED[filename]
    path = SHIPPED / filename
    result = _import_ok(db, path, ws.id)
    well = result.well
    assert (well.name, well.uwi, well.company, well.field, well.location, well.null_value) == header
    assert well.depth_unit == unit
    assert (well.start_depth, well.stop_depth, well.step) == pytest.approx((start, stop, step))
    assert well.source_file == str(path.resolve()) and well.workspace_id == ws.id
    assert [c.mnemonic for c in result.curves] == mnemonics
    assert result.warnings == warnings
    assert all(c.sample_count == rows and not c.is_computed for c in result.curves)

    # ... and against lasio directly: same index, same values (nulls as NaN), same units
    las = lasio.read(str(path))
    index = np.asarray(las.index, dtype=float)
    order = slice(None, None, -1) if index[0] > index[-1] else slice(None)
    np.testing.assert_array_equal(db.get_depths(well.id), index[order])
    for info in result.curves:
        np.testing.assert_array_equal(db.get_samples(info.id), np.asarray(las[info.mnemonic], float)[order])
        assert info.unit == las.curves[info.mnemonic].unit
        expected = np.asarray(las[info.mnemonic], float)
        assert info.null_count == int(np.isnan(expected).sum())
    assert len(las.curves) - 1 - len(mnemonics) == sum("not imported" in w for w in warnings)


def test_scorpio_header_and_statistics(db, ws):
    result = import_las(db, SHIPPED / "6038187_v1.2.las", ws.id)
    gamn = next(c for c in result.curves if c.mnemonic == "GAMN")
    values = db.get_samples(gamn.id)
    assert gamn.unit == "GAPI" and gamn.null_count == 41
    assert (gamn.min, gamn.max) == (np.nanmin(values), np.nanmax(values))
    depths = db.get_depths(result.well.id)
    assert gamn.min_depth == depths[~np.isnan(values)][0] and gamn.max_depth == depths[~np.isnan(values)][-1]


# ---- the edge-case files --------------------------------------------------------------------------

# file: ("error", message) or ("ok", well, depth unit, {curve: values}, depths, warnings)
EDGE_EXPECTED = {
    "barebones.las": ("error", "no log curves to import, only the depth index DEPT"),
    "data_characters.las": (
        "ok", "data_characters", "m", {"ARC_GR_UNC_RT": [126.56, 126.56]}, [1500.2435, 1500.3519],
        ["TIME: text values, not imported", "DATE: text values, not imported",
         "no well name (WELL) in the file; named 'data_characters' after the file"]),
    "encodings_utf16le.las": (
        "ok", "ANY ET AL OIL WELL #12", "m",
        {"DT": [123.45] * 3, "ºᶟᵌᴬŃ": [2550.0] * 3, "NPHI": [0.45] * 3, "SFLU": [123.45] * 3,
         "SFLA": [123.45] * 3, "ILM": [110.2] * 3, "ILD": [105.6] * 3},
        [1669.75, 1669.875, 1670.0],
        ["read as utf-16-le", "depths decrease in the file; stored increasing"]),
    "excess_curves.las": (
        "ok", "AAAAA_2", "ft",
        {"TVD": [10415.184, 10415.19], "VS": [8974.944, 8975.444], "GAMMA": [57.011, 57.011]},
        [19160.0, 19160.5],
        ["ROP: listed in ~C but has no data column in ~A, not imported",
         "TEMP: listed in ~C but has no data column in ~A, not imported"]),
    "missing_a_section.las": ("error", "no data rows in the ~A section"),
    "mnemonic_duplicate.las": (
        "ok", "ANY ET AL OIL WELL #12", "m",
        {"DT": [123.45] * 3, "RHOB": [2550.0] * 3, "NPHI": [0.45] * 3, "SFLU:1": [123.45] * 3,
         "SFLU:2": [125.45] * 3, "ILM": [110.2] * 3, "ILD": [105.6] * 3},
        [1669.75, 1669.875, 1670.0],
        ["depths decrease in the file; stored increasing",
         "SFLU: mnemonic repeated in the file, kept as SFLU:1, SFLU:2"]),
    "not_a_las_file.las": ("error", "not a LAS file (no ~ sections)"),
}


def test_every_edge_case_file_has_a_decided_outcome():
    assert {p.name for p in EDGE.glob("*.las")} == set(EDGE_EXPECTED)


@pytest.mark.parametrize("filename", sorted(EDGE_EXPECTED))
def test_edge_case_file(db, ws, filename):
    expected = EDGE_EXPECTED[filename]
    path = EDGE / filename
    if expected[0] == "error":
        _import_fails(db, path, ws.id, expected[1])
        assert db.list_wells(ws.id) == []
        return
    _, name, unit, curves, depths, warnings = expected
    result = _import_ok(db, path, ws.id)
    assert (result.well.name, result.well.depth_unit) == (name, unit)
    assert result.warnings == warnings
    assert [c.mnemonic for c in result.curves] == list(curves)
    np.testing.assert_allclose(db.get_depths(result.well.id), depths, rtol=0, atol=1e-9)
    for mnemonic, values in _samples(db, result).items():
        np.testing.assert_allclose(values, curves[mnemonic], rtol=1e-12)


def test_duplicate_mnemonics_stay_distinct_curves(db, ws):
    result = import_las(db, EDGE / "mnemonic_duplicate.las", ws.id)
    first, second = (c for c in result.curves if c.mnemonic.startswith("SFLU"))
    assert first.id != second.id
    assert (first.description, second.description) == ("5  RXO RESISTIVITY", "6  SHALLOW RESISTIVITY")


# ---- encodings -----------------------------------------------------------------------------------

NAME = "Brønnøy-1 µ°"


@pytest.mark.parametrize("encoding, raw_encode, note", [
    ("utf-8", lambda t: t.encode("utf-8"), None),
    ("utf-8 with BOM", lambda t: t.encode("utf-8-sig"), None),
    ("utf-16 with BOM", lambda t: t.encode("utf-16"), "read as utf-16"),
    ("utf-16-be with BOM", lambda t: b"\xfe\xff" + t.encode("utf-16-be"), "read as utf-16"),
    ("utf-16-le no BOM", lambda t: t.encode("utf-16-le"), "read as utf-16-le"),
    ("utf-16-be no BOM", lambda t: t.encode("utf-16-be"), "read as utf-16-be"),
    ("cp1252", lambda t: t.encode("cp1252"), "read as cp1252"),
])
def test_encodings(db, ws, tmp_path, encoding, raw_encode, note):
    text = (SHIPPED / "sample_2.0.las").read_text().replace("AAAAA_2", NAME)
    path = tmp_path / "enc.las"
    path.write_bytes(raw_encode(text))
    result = _import_ok(db, path, ws.id)
    assert result.well.name == NAME
    assert [c.mnemonic for c in result.curves] == SAMPLE_CURVES
    assert result.warnings == ([note] if note else []) + ["depths decrease in the file; stored increasing"]
    np.testing.assert_array_equal(_samples(db, result)["ILD"], [105.6, 105.6, 105.6])


# ---- malformed files: decided outcomes -------------------------------------------------------------

HEAD = """~VERSION INFORMATION
 VERS.   2.0 : CWLS LOG ASCII STANDARD -VERSION 2.0
 WRAP.   NO  : ONE LINE PER DEPTH STEP
~WELL INFORMATION
 STRT.M   100.0 :
 STOP.M   101.0 :
 STEP.M   0.5 :
 NULL.    -999.25 :
 WELL.    {well} : WELL
~CURVE INFORMATION
 DEPT.M   : depth
 GR  .GAPI : gamma
 RT  .OHMM : res
~A
"""
ROWS = "100.0 1 2\n100.5 3 4\n101.0 5 6\n"
LITH = HEAD.replace(" RT  .OHMM : res", " LITH.    : lithology\n RT  .OHMM : res")

BAD = {
    "empty": ("", "the file is empty"),
    "blank": ("  \n\n", "the file is empty"),
    "binary": ("~~~~\n\x00\x01\x02", "no curves (the ~C section is missing or empty)"),
    # A row with a value missing or extra: lasio cuts one stream of values into rows, so it
    # failed with a bare "cannot reshape" or, when the count divided, shifted the values after it.
    "ragged": (HEAD.format(well="R") + "100.0 1 2\n100.5 3\n101.0 5 6\n",
               "the ~A rows do not line up: data row 2 (depth 100.5) has 2 values where the other rows have 3"),
    "ragged_shifting": (HEAD.format(well="R") + "100.0 1 2\n100.5 3\n101.0 5 6 7\n",
                        "the ~A rows do not line up: data row 2 (depth 100.5) has 2 values where most rows "
                        "have 3; 1 more row differs"),
    "last_row_cut_short": (HEAD.format(well="R") + "100.0 1 2\n# a comment\n100.5 3 4\n101.0 5\n",
                           "the ~A rows do not line up: data row 3 (depth 101.0) has 2 values where the "
                           "other rows have 3"),
    "text_value_in_depth": (HEAD.format(well="D") + "100.0 1 2\n1x 3 4\n101.0 5 6\n",
                            "the depth column DEPT has a value that is not a number (data row 2: '1x')"),
    "not_in_order": (HEAD.format(well="N") + "100.0 1 2\n101.0 3 4\n100.5 5 6\n",
                     "depths are not in order (data row 3: 100.5 after 101)"),
    "repeated_depth": (HEAD.format(well="N") + "100.0 1 2\n100.0 3 4\n100.5 5 6\n",
                       "depths are not in order (data row 2: 100 after 100)"),
    "no_rows": (HEAD.format(well="E"), "no data rows in the ~A section"),
    "null_depth": (HEAD.format(well="E") + "100.0 1 2\n-999.25 3 4\n101.0 5 6\n",
                   "the depth column DEPT has a null value (data row 2)"),
    "text_depth": (HEAD.format(well="D") + "a 1 2\nb 3 4\n", "the depth column DEPT has text values"),
    "all_null": (HEAD.format(well="A") + "100.0 -999.25 -999.25\n100.5 -999.25 -999.25\n",
                 "no log curves to import, only the depth index DEPT; GR: every value is null, not imported; "
                 "RT: every value is null, not imported"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_file_fails_with_one_clear_error_and_writes_nothing(db, ws, tmp_path, case):
    text, message = BAD[case]
    path = tmp_path / f"{case}.las"
    path.write_text(text)
    _import_fails(db, path, ws.id, message)


def test_missing_file_directory_and_missing_workspace(db, ws, tmp_path):
    _import_fails(db, tmp_path / "nope.las", ws.id, "cannot open: No such file or directory")
    (tmp_path / "dir.las").mkdir()
    _import_fails(db, tmp_path / "dir.las", ws.id, "not a file")
    with pytest.raises(NotFound, match="^workspace 99 not found$"):
        import_las(db, SHIPPED / "sample.las", 99)


GOOD = {
    # case: (text, well, {curve: values}, depths, warnings)
    "decreasing": (HEAD.format(well="Dec") + "101.0 1 2\n100.5 3 4\n100.0 5 6\n", "Dec",
                   {"GR": [5, 3, 1], "RT": [6, 4, 2]}, [100.0, 100.5, 101.0],
                   ["depths decrease in the file; stored increasing"]),
    "text_column_and_nulls": (LITH.format(well="T") + "100.0 1 SAND 2\n100.5 -999.25 SHALE -999.25\n"
                              "101.0 5 SAND 6\n", "T", {"GR": [1, np.nan, 5], "RT": [2, np.nan, 6]},
                              [100.0, 100.5, 101.0], ["LITH: text values, not imported"]),
    # One unreadable value made lasio return the whole column as text, and the curve was lost.
    "text_in_a_number_column": (HEAD.format(well="M") + "100.0 1 2\n100.5 N/A 4\n101.0 5 6\n", "M",
                                {"GR": [1, np.nan, 5], "RT": [2, 4, 6]}, [100.0, 100.5, 101.0],
                                ["GR: 1 value not a number at depth 100.5 ('N/A'), stored as null"]),
    "one_bad_value": (HEAD.format(well="V") + "100.0 1 2\n100.5 3 4\n101.0 5 6.2x\n", "V",
                      {"GR": [1, 3, 5], "RT": [2, 4, np.nan]}, [100.0, 100.5, 101.0],
                      ["RT: 1 value not a number at depth 101 ('6.2x'), stored as null"]),
    "bad_values_in_a_decreasing_file": (
        HEAD.format(well="V") + "102.0 1 2\n101.5 abc 4\n101.0 5 6\n100.5 1.2x 8\n100.0 9 10\n"
        "99.5 ? 12\n99.0 13 14\n98.5 ** 16\n98.0 17 18\n", "V",
        {"GR": [17, np.nan, 13, np.nan, 9, np.nan, 5, np.nan, 1], "RT": [18, 16, 14, 12, 10, 8, 6, 4, 2]},
        [98.0, 98.5, 99.0, 99.5, 100.0, 100.5, 101.0, 101.5, 102.0],
        ["depths decrease in the file; stored increasing",
         "GR: 4 values not a number at depths 101.5 ('abc'), 100.5 ('1.2x'), 99.5 ('?') and 1 more, "
         "stored as null"]),
    "quoted_text_with_spaces": (LITH.format(well="Q") + '100.0 1 "fine sand" 2\n100.5 3 SHALE 4\n'
                                "101.0 5 'very fine sand' 6\n", "Q", {"GR": [1, 3, 5], "RT": [2, 4, 6]},
                                [100.0, 100.5, 101.0], ["LITH: text values, not imported"]),
    "run_on_values": (HEAD.format(well="O") + "100.0 1 2\n100.5 3-999.25\n101.0 5 6\n", "O",
                      {"GR": [1, 3, 5], "RT": [2, np.nan, 6]}, [100.0, 100.5, 101.0], []),
    "no_well_name": (HEAD.format(well="") + ROWS, "no_well_name", {"GR": [1, 3, 5], "RT": [2, 4, 6]},
                     [100.0, 100.5, 101.0],
                     ["no well name (WELL) in the file; named 'no_well_name' after the file"]),
    "bad_header_line": (HEAD.format(well="B").replace(" STEP.M   0.5 :", " STEP.M   0.5 :\nNOT A HEADER LINE")
                        + ROWS, "B", {"GR": [1, 3, 5], "RT": [2, 4, 6]}, [100.0, 100.5, 101.0],
                        ['header line skipped: Line 8 (section ~WELL INFORMATION): "NOT A HEADER LINE"']),
    "extra_column": (HEAD.format(well="X") + "100.0 1 2 7\n100.5 3 4 8\n101.0 5 6 9\n", "X",
                     {"GR": [1, 3, 5], "RT": [2, 4, 6], "UNKNOWN": [7, 8, 9]}, [100.0, 100.5, 101.0],
                     ["UNKNOWN: a data column the ~C section does not describe"]),
    "no_curve_section": ("~VERSION INFORMATION\n VERS. 2.0 :\n WRAP. NO :\n~WELL INFORMATION\n WELL. NC :\n"
                         "~A\n100.0 1 2\n100.5 3 4\n", "NC", {"UNKNOWN:2": [1, 3], "UNKNOWN:3": [2, 4]},
                         [100.0, 100.5],
                         ["no depth curve: the first curve, UNKNOWN:1, is the index",
                          "UNKNOWN:2: a data column the ~C section does not describe",
                          "UNKNOWN:3: a data column the ~C section does not describe"]),
    "infinite_value": (HEAD.format(well="I") + "100.0 inf 2\n100.5 3 4\n101.0 5 6\n", "I",
                       {"GR": [np.nan, 3, 5], "RT": [2, 4, 6]}, [100.0, 100.5, 101.0], []),
    "one_row": (HEAD.format(well="S") + "100.0 1 2\n", "S", {"GR": [1], "RT": [2]}, [100.0], []),
}


@pytest.mark.parametrize("case", sorted(GOOD))
def test_odd_but_readable_file(db, ws, tmp_path, case):
    text, name, curves, depths, warnings = GOOD[case]
    path = tmp_path / f"{case}.las"
    path.write_text(text)
    result = _import_ok(db, path, ws.id)
    assert result.well.name == name and result.warnings == warnings
    assert [c.mnemonic for c in result.curves] == list(curves)
    np.testing.assert_array_equal(db.get_depths(result.well.id), depths)
    for mnemonic, values in _samples(db, result).items():
        np.testing.assert_array_equal(values, np.asarray(curves[mnemonic], float))


def test_same_well_name_twice_is_a_new_well_with_a_warning(db, ws):
    first = import_las(db, SHIPPED / "sample.las", ws.id)
    again = import_las(db, SHIPPED / "sample.las", ws.id)
    assert again.well.id != first.well.id and again.well.name == first.well.name
    assert again.warnings[-1] == ("a well named 'ANY ET AL OIL WELL #12' already exists in this workspace; "
                                  "imported as a new well")
    other = db.create_workspace("Other")
    assert not any("already exists" in w for w in import_las(db, SHIPPED / "sample.las", other.id).warnings)


def test_corrupted_files_import_or_fail_cleanly(db, ws, tmp_path):
    """Truncations and byte flips of a real file: a LasImportError or a sound well, nothing else."""
    raw = (SHIPPED / "sample_2.0.las").read_bytes()
    rng = random.Random(1234)
    outcomes = {"ok": 0, "error": 0}
    for k in range(60):
        data = bytearray(raw[: rng.randrange(len(raw))] if k % 2 else raw)
        for _ in range(rng.randrange(0, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256) if data else 0
        path = tmp_path / f"corrupt{k}.las"
        path.write_bytes(bytes(data))
        before = db.counts()
        try:
            result = import_las(db, path, ws.id)
        except LasImportError as exc:
            assert str(exc).startswith(f"corrupt{k}.las: ")
            assert db.counts() == before
            outcomes["error"] += 1
        else:
            depths = db.get_depths(result.well.id)
            assert np.all(np.diff(depths) > 0)
            assert all(db.get_samples(c.id).size == depths.size for c in result.curves)
            outcomes["ok"] += 1
    assert outcomes["ok"] > 0 and outcomes["error"] > 0


def test_parallel_imports_keep_their_own_warnings(db, ws):
    files = [EDGE / "excess_curves.las", SHIPPED / "6038187_v1.2.las", EDGE / "data_characters.las"] * 3
    results: dict[int, object] = {}

    def run(k, path):
        try:
            results[k] = import_las(db, path, ws.id)
        except BaseException as exc:  # noqa: BLE001
            results[k] = exc

    threads = [threading.Thread(target=run, args=(k, p)) for k, p in enumerate(files)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for k, path in enumerate(files):
        result = results[k]
        assert isinstance(result, ImportResult), result
        own = [w for w in result.warnings if "already exists" not in w]
        if path.name == "excess_curves.las":
            assert own == EDGE_EXPECTED["excess_curves.las"][5]
        elif path.name == "data_characters.las":
            assert own == EDGE_EXPECTED["data_characters.las"][5]
        else:
            assert own == []
    assert db.counts()["wells"] == len(files)


# ---- export -----------------------------------------------------------------------------------------


def test_export_round_trips_through_lasio_and_back_into_dataforge(db, tmp_path):
    demo = create_demo(db)
    well = db.list_wells(demo.id)[0]
    curves = db.list_curves(well.id)
    out = export_las(db, well.id, tmp_path / "alder.las")
    assert out == tmp_path / "alder.las"
    las = lasio.read(str(out))
    assert las.version["VERS"].value == 2.0
    assert las.well["WELL"].value == well.name and las.well["UWI"].value == well.uwi
    assert (las.well["COMP"].value, las.well["FLD"].value, las.well["LOC"].value) == (
        well.company, well.field, well.location)
    assert las.well["NULL"].value == EXPORT_NULL
    assert (las.well["STRT"].value, las.well["STOP"].value) == (well.start_depth, well.stop_depth)
    assert las.well["STEP"].value == pytest.approx(well.step) and las.well["STRT"].unit == "M"
    np.testing.assert_allclose(las.index, db.get_depths(well.id), rtol=0, atol=1e-9)
    assert [c.mnemonic for c in las.curves][1:] == [c.mnemonic for c in curves]
    for info in curves:
        np.testing.assert_allclose(las[info.mnemonic], db.get_samples(info.id), rtol=1e-9, equal_nan=True)
        assert las.curves[info.mnemonic].unit == info.unit
        assert las.curves[info.mnemonic].descr == info.description
    assert "-999.25" in out.read_text()  # nulls are written as the NULL value

    again = import_las(db, out, db.create_workspace("Re-imported").id)
    assert [(c.mnemonic, c.unit, c.description, c.null_count) for c in again.curves] == [
        (c.mnemonic, c.unit, c.description, c.null_count) for c in curves]
    for new, old in zip(again.curves, curves):
        np.testing.assert_allclose(db.get_samples(new.id), db.get_samples(old.id), rtol=1e-9, equal_nan=True)


def test_export_a_subset_in_the_order_given_and_errors(db, ws, tmp_path):
    result = import_las(db, SHIPPED / "6038187_v1.2.las", ws.id)
    by_name = {c.mnemonic: c for c in result.curves}
    out = export_las(db, result.well.id, tmp_path / "sub.las", curve_ids=[by_name["SP"].id, by_name["CALI"].id])
    las = lasio.read(str(out))
    assert [c.mnemonic for c in las.curves] == ["DEPT", "SP", "CALI"]
    np.testing.assert_allclose(las["SP"], db.get_samples(by_name["SP"].id), rtol=1e-9, equal_nan=True)
    other = import_las(db, SHIPPED / "sample.las", ws.id)
    with pytest.raises(ValueError, match=r"curve\(s\) .* are not curves of well 'Scorpio E1'"):
        export_las(db, result.well.id, tmp_path / "x.las", curve_ids=[other.curves[0].id])
    with pytest.raises(ValueError, match="does not exist"):
        export_las(db, result.well.id, tmp_path / "no" / "such" / "dir.las")
    with pytest.raises(NotFound, match="^well 999 not found$"):
        export_las(db, 999, tmp_path / "x.las")
    assert not (tmp_path / "x.las").exists()


def test_export_keeps_duplicates_and_makes_odd_names_parseable(db, ws, tmp_path):
    result = import_las(db, EDGE / "mnemonic_duplicate.las", ws.id)
    by_name = {c.mnemonic: c for c in result.curves}
    db.rename_curve(by_name["ILM"].id, "PHI.E:X")
    n = len(db.get_depths(result.well.id))
    db.save_curve(result.well.id, "TEMP", "deg C", "ratio 1:2, from: the tool", np.array([1.5, np.nan, 3.5])[:n], {})
    out = export_las(db, result.well.id, tmp_path / "dup.las")
    las = lasio.read(str(out))
    assert [c.mnemonic for c in las.curves] == ["DEPT", "DT", "RHOB", "NPHI", "SFLU:1", "SFLU:2", "PHI_E_X",
                                                "ILD", "TEMP"]
    np.testing.assert_array_equal(las["SFLU:1"], [123.45] * 3)
    np.testing.assert_array_equal(las["SFLU:2"], [125.45] * 3)
    np.testing.assert_array_equal(las["PHI_E_X"], [110.2] * 3)
    assert (las.curves["TEMP"].unit, las.curves["TEMP"].descr) == ("deg_C", "ratio 1;2, from; the tool")
    np.testing.assert_array_equal(las["TEMP"], [1.5, np.nan, 3.5])


def test_export_of_irregular_depths_declares_step_zero(db, ws, tmp_path):
    well, _ = db.add_well(ws.id, {"name": "Irregular"}, np.array([10.0, 10.5, 11.5, 11.7]),
                          [("GR", "gAPI", "", np.array([1.0, 2.0, 3.0, 4.0]))])
    las = lasio.read(str(export_las(db, well.id, tmp_path / "irr.las")))
    assert las.well["STEP"].value == 0
    np.testing.assert_array_equal(las.index, [10.0, 10.5, 11.5, 11.7])


def test_export_is_atomic_and_keeps_file_modes(db, ws, tmp_path, monkeypatch):
    result = import_las(db, SHIPPED / "sample.las", ws.id)
    target = tmp_path / "out.las"
    target.write_text("the previous export\n")
    os.chmod(target, 0o640)

    def half_then_fail(self, file_ref, **kwargs):
        file_ref.write("~Version ---\nVERS. 2.0 :\n~A\n1669.75 123")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lasio.LASFile, "write", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        export_las(db, result.well.id, target)
    assert target.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataforge.db", "dataforge.db-shm",
                                                           "dataforge.db-wal", "out.las"]
    monkeypatch.undo()
    export_las(db, result.well.id, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # replaced, same permissions
    assert lasio.read(str(target)).well["WELL"].value == "ANY ET AL OIL WELL #12"
    old = os.umask(0o027)
    try:
        fresh = export_las(db, result.well.id, tmp_path / "fresh.las")
    finally:
        os.umask(old)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640  # a new file: 0666 minus the umask


def test_an_export_told_not_to_overwrite_never_replaces_a_file_even_one_that_appears_meanwhile(
        db, tmp_path, monkeypatch):
    from core.dataforge import las_io
    from core.dataforge.las_io import LasExportError

    well = db.list_wells(create_demo(db).id)[0]
    taken = tmp_path / "taken.las"
    taken.write_text("mine\n")
    with pytest.raises(LasExportError, match="already exists: not exported"):
        export_las(db, well.id, taken, overwrite=False)
    assert taken.read_text() == "mine\n"

    fresh = tmp_path / "fresh.las"
    assert export_las(db, well.id, fresh, overwrite=False) == fresh
    assert lasio.read(str(fresh)).well["WELL"].value == well.name

    # Another program writes the file while the export is being written: it is kept.
    late = tmp_path / "late.las"
    real_fsync = las_io.os.fsync

    def someone_writes_it(fd):
        real_fsync(fd)
        late.write_text("theirs\n")

    monkeypatch.setattr(las_io.os, "fsync", someone_writes_it)
    with pytest.raises(LasExportError, match="already exists"):
        export_las(db, well.id, late, overwrite=False)
    assert late.read_text() == "theirs\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left
