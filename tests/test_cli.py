"""`dataforge` on the shell: JSON out, one-line errors, non-zero exits, no tracebacks."""

from __future__ import annotations

import json
import re
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
    well_id = re.search(r"well 'AAAAA_2' \(id (\d+)\)", out.stderr).group(1)
    target = tmp_path / "out.las"
    # By id: "Samples" has a well of that name too (the same file, shipped).
    out = run(tmp_path, "export", well_id, str(target), "--curves", "DT,RHOB")
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


def test_an_unknown_command_suggests_the_close_one(tmp_path):
    out = run(tmp_path, "invoke", "list_workspace")
    assert out.returncode == 1
    assert out.stderr.strip() == ("dataforge: Command list_workspace not found; "
                                  "did you mean list_workspaces?")


def test_invoke_help_and_invoke_alone_list_the_commands(tmp_path):
    for args in (("invoke", "--help"), ("invoke",)):
        out = run(tmp_path, *args)
        assert out.returncode == 0, (args, out.stderr)
        listed = {line.split()[0] for line in out.stdout.splitlines() if line.startswith("  ")
                  and not line.startswith("   ")}
        assert {"list_workspaces", "list_wells", "execute_udf", "import_las", "ping"} <= listed, out.stdout
        assert "list_wells             workspaceId" in out.stdout  # its JSON keys
        assert "export_las             wellId, path, [curveIds]" in out.stdout
    assert not any(tmp_path.iterdir())  # listing the commands opens no data dir


def test_an_any_curve_udf_input_error_names_the_inputs_field(tmp_path):
    wells = json.loads(run(tmp_path, "invoke", "list_wells", '{"workspaceId": 1}').stdout)
    out = run(tmp_path, "invoke", "execute_udf",
              json.dumps({"request": {"udf_id": "moving_average", "well_id": wells[0]["id"]}}))
    assert out.returncode == 1
    assert "accepts any curve: choose one explicitly with inputs={'curve': <curve id>}" in out.stderr
    assert "overrides" not in out.stderr


def test_the_schema_describes_the_udf_request_to_its_users(tmp_path):
    schema = json.loads(run(tmp_path, "schema").stdout)
    request = schema["commands"]["execute_udf"]["args"]["$defs"]["ExecuteUdfRequest"]
    assert request["description"].startswith("What to run: a UDF on one well")
    assert all(prop.get("description") for prop in request["properties"].values())
    assert "inputs=" not in request["properties"]["inputs"]["description"]

    def descriptions(node):
        if isinstance(node, dict):
            if isinstance(node.get("description"), str):
                yield node["description"]
            for value in node.values():
                yield from descriptions(value)
        elif isinstance(node, list):
            for value in node:
                yield from descriptions(value)

    assert not [d for d in descriptions(schema) if "seed" in d.lower()]


def test_demo_says_what_it_adds_in_its_help_and_its_output(tmp_path):
    help_text = run(tmp_path, "demo", "--help").stdout
    assert "recreate" not in help_text and "'Demo 2'" in " ".join(help_text.split())
    out = run(tmp_path, "invoke", "list_workspaces")  # a new data dir gets 'Demo' and 'Samples'
    out = run(tmp_path, "demo")
    assert out.returncode == 0, out.stderr
    ws = [w for w in json.loads(run(tmp_path, "invoke", "list_workspaces").stdout) if w["name"] == "Demo 2"]
    assert out.stdout == f"created workspace 'Demo 2' (id {ws[0]['id']}) with 3 demo wells\n"


def test_demo_in_a_new_data_dir_reports_both_workspaces(tmp_path):
    out = run(tmp_path, "demo")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "created workspace 'Demo' (id 1) with 3 demo wells"
    assert lines[1].startswith("created workspace 'Samples' (id 2) with ") and "sample wells" in lines[1]


def test_import_says_which_workspace_the_well_went_into(tmp_path):
    help_text = " ".join(run(tmp_path, "import", "--help").stdout.split())
    assert "default: the oldest workspace, which is 'Demo' in a new data dir" in help_text
    out = run(tmp_path, "import", str(SAMPLE))
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stderr.splitlines() if "AAAAA_2" in line)
    assert "in workspace 'Demo' (id 1, the default)" in line, out.stderr
    out = run(tmp_path, "import", str(SAMPLE), "--workspace", "Field A")
    assert "in workspace 'Field A' (id 3)" in out.stderr and "the default" not in out.stderr
    out = run(tmp_path, "import", str(SAMPLE), "--workspace", "field a")  # not a new "field a"
    assert "in workspace 'Field A' (id 3)" in out.stderr, out.stderr


def test_export_refuses_a_well_name_two_wells_share(tmp_path):
    for workspace in ("Field A", "Field B"):
        assert run(tmp_path, "import", str(SAMPLE), "--workspace", workspace).returncode == 0
    wells = []
    for ws in json.loads(run(tmp_path, "invoke", "list_workspaces").stdout):
        wells += json.loads(run(tmp_path, "invoke", "list_wells", json.dumps({"workspaceId": ws["id"]})).stdout)
    ids = sorted(w["id"] for w in wells if w["name"] == "AAAAA_2")
    assert len(ids) == 3  # the shipped sample in "Samples", and the two imports
    target = tmp_path / "out.las"
    out = run(tmp_path, "export", "AAAAA_2", str(target))
    assert out.returncode == 1 and not target.exists()
    assert out.stderr == (f"dataforge: 3 wells are named 'AAAAA_2' "
                          f"(ids {', '.join(map(str, ids))}): give the id\n")
    out = run(tmp_path, "export", str(ids[-1]), str(target))  # the id picks one
    assert out.returncode == 0, out.stderr
    assert target.exists()


def test_export_says_which_mnemonics_a_las_file_cannot_hold(tmp_path):
    """GR.X was written as GR_X without a word (a user review)."""
    wells = json.loads(run(tmp_path, "invoke", "list_wells", '{"workspaceId": 1}').stdout)
    well = wells[0]["id"]
    gr = next(c for c in json.loads(run(tmp_path, "invoke", "list_curves", json.dumps({"wellId": well})).stdout)
              if c["mnemonic"] == "GR")
    assert run(tmp_path, "invoke", "rename_curve", json.dumps({"curveId": gr["id"], "mnemonic": "GR.X"})).returncode == 0
    out = run(tmp_path, "export", str(well), str(tmp_path / "w.las"))
    assert out.returncode == 0, out.stderr
    assert "dataforge: GR.X written as GR_X" in out.stderr
    assert any(line.split(".")[0].strip() == "GR_X" for line in (tmp_path / "w.las").read_text().splitlines())
    # a subset in the user's order: the notice names the curve the file holds, once
    out = run(tmp_path, "export", str(well), str(tmp_path / "sub.las"), "--curves", "rhob,gr.x")
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("GR.X written as GR_X") == 1
    assert "GR_X" in (tmp_path / "sub.las").read_text()


def test_export_refuses_to_overwrite_a_file_unless_forced(tmp_path):
    help_text = " ".join(run(tmp_path, "export", "--help").stdout.split())
    assert "--force overwrite FILE if it already exists" in help_text
    wells = json.loads(run(tmp_path, "invoke", "list_wells", '{"workspaceId": 1}').stdout)
    well = str(wells[0]["id"])
    target = tmp_path / "out.las"
    target.write_text("precious\n")
    target.chmod(0o640)
    for args in ((), ("--curves", "GR")):
        out = run(tmp_path, "export", well, str(target), *args)
        assert out.returncode == 1, out.stderr
        assert out.stderr == (f"dataforge: {target} already exists: not exported; "
                              f"use --force to overwrite it\n")
        assert out.stdout == ""
        assert target.read_text() == "precious\n"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.las")] == []  # no temp file left
    out = run(tmp_path, "export", well, str(target), "--force")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(target)
    assert [c.mnemonic for c in lasio.read(str(target)).curves][:2] == ["DEPT", "GR"]
    assert target.stat().st_mode & 0o777 == 0o640  # replaced in place, its permissions kept
    # a folder in the way is never "overwritten"
    folder = tmp_path / "folder.las"
    folder.mkdir()
    out = run(tmp_path, "export", well, str(folder))
    assert out.returncode == 1 and out.stderr == f"dataforge: {folder} is a folder: not exported\n"


def test_a_broken_capability_override_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "capabilities").mkdir()
    bad = tmp_path / "capabilities" / "mine.json"
    bad.write_text("{oops")
    out = run(tmp_path, "invoke", "list_workspaces")  # the shipped defaults hold; the CLI is trusted
    assert out.returncode == 0 and json.loads(out.stdout)
    assert out.stderr.count("\n") == 1 and f"cannot read capabilities from {bad}:" in out.stderr, out.stderr
    assert f"capability override {bad} ignored" in out.stderr
