"""`dataforge` on the shell: JSON out, one-line errors, non-zero exits, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lasio
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "core" / "dataforge" / "data" / "las" / "sample_2.0.las"
EDGE = ROOT / "tests" / "data" / "las" / "edge-cases"


def run(data_dir, *args):
    out = subprocess.run([sys.executable, "-m", "tui.cli", "--data-dir", str(data_dir), *args],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_invoke_prints_json_and_accepts_camel_case(tmp_path):
    out = run(tmp_path, "invoke", "list_workspaces")
    assert out.returncode == 0
    names = [w["name"] for w in json.loads(out.stdout)]
    assert names[:2] == ["Demo", "Samples"]
    wells = json.loads(run(tmp_path, "invoke", "list_wells", '{"workspaceId": 1}').stdout)
    assert len(wells) == 3
    curves = json.loads(run(tmp_path, "invoke", "list_curves", json.dumps({"wellId": wells[0]["id"]})).stdout)
    data = json.loads(run(tmp_path, "invoke", "get_curve_data",
                          json.dumps({"curveId": curves[3]["id"], "maxPoints": 50})).stdout)
    assert None in data["values"]  # NaN becomes JSON null


def test_errors_are_one_line_on_stderr_with_a_non_zero_exit(tmp_path):
    for args, message in [
        (("invoke", "nope"), "Command nope not found"),
        (("invoke", "list_wells", "{bad json"), "JSON_ARGS is not valid JSON"),
        (("invoke", "list_wells", '{"workspaceId": 999}'), "workspace 999 not found"),
        (("invoke", "list_wells", '{"workspace": 1}'), "did you mean"),
        (("import", str(EDGE / "not_a_las_file.las")), "not_a_las_file.las: not a LAS file"),
        (("export", "no-such-well", str(tmp_path / "x.las")), "no well 'no-such-well'"),
    ]:
        out = run(tmp_path, *args)
        assert out.returncode == 1, args
        assert message in out.stderr, (args, out.stderr)


def test_import_then_export_round_trips(tmp_path):
    out = run(tmp_path, "import", str(SAMPLE), "--workspace", "Field A")
    assert out.returncode == 0 and "AAAAA_2" in out.stderr
    target = tmp_path / "out.las"
    out = run(tmp_path, "export", "AAAAA_2", str(target), "--curves", "DT,RHOB")
    assert out.returncode == 0
    again, original = lasio.read(str(target)), lasio.read(str(SAMPLE))
    assert [c.mnemonic for c in again.curves] == ["DEPT", "DT", "RHOB"]
    np.testing.assert_allclose(again["RHOB"], original["RHOB"])


def test_execute_udf_waits_and_reports_the_saved_curve(tmp_path):
    wells = json.loads(run(tmp_path, "invoke", "list_wells", '{"workspaceId": 1}').stdout)
    out = run(tmp_path, "invoke", "execute_udf",
              json.dumps({"request": {"udf_id": "vsh_gr", "well_id": wells[0]["id"]}}))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["state"] == "completed" and result["curve"]["mnemonic"] == "VSH"


def test_schema_is_json_schema_of_every_command_and_event(tmp_path):
    schema = json.loads(run(tmp_path, "schema").stdout)
    assert {"list_workspaces", "execute_udf", "import_las"} <= set(schema["commands"])
    assert {"curve-added", "execution-progress"} <= set(schema["events"])
