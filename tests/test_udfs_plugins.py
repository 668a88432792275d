"""User UDFs from a plugins folder and from entry points."""

from __future__ import annotations

import importlib
import re
import textwrap
from pathlib import Path

import numpy as np

from core.dataforge.udfs import REGISTRY, UdfRegistry, execute, load_entry_points, load_plugins

GOOD = '''
import numpy as np
from pydantic import BaseModel, Field
from core.dataforge.udfs import udf, InputSpec, OutputSpec, GR_ALIASES


class ScaleParams(BaseModel):
    factor: float = Field(2.0, gt=0, le=100, description="multiplier")


@udf("gr_scaled", name="Scaled GR", category="User", params=ScaleParams,
     description="GR times a factor",
     inputs=[InputSpec("GR", GR_ALIASES, "GAPI", "gamma ray")],
     output=OutputSpec("GR_X{params.factor:g}", "GAPI"))
def gr_scaled(inputs, params, ctx):
    return inputs["GR"] * params.factor
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_good_plugin(tmp_path):
    path = write(tmp_path, "scale.py", GOOD)
    reg = UdfRegistry()
    assert load_plugins(tmp_path, reg) == []
    assert "gr_scaled" in reg and "gr_scaled" not in REGISTRY
    info = reg.info("gr_scaled")
    assert info.source == str(path.resolve()) and info.category == "User"
    assert info.params_schema["properties"]["factor"]["exclusiveMinimum"] == 0
    y = execute("gr_scaled", {"GR": [10.0, np.nan]}, {"factor": 3}, registry=reg)
    assert y[0] == 30.0 and np.isnan(y[1])
    assert reg.get("gr_scaled").output_for({"factor": 3}).mnemonic == "GR_X3"


def test_broken_plugins_are_reported_not_raised(tmp_path):
    write(tmp_path, "a_good.py", GOOD)
    write(tmp_path, "b_syntax.py", "def broken(:\n    pass\n")
    write(tmp_path, "c_raises.py", "import numpy\nraise RuntimeError('plugin exploded')\n")
    write(tmp_path, "d_half.py", '''
        from core.dataforge.udfs import udf
        @udf("half_ok", name="Half", inputs=["GR"], output="H")
        def half(inputs, params, ctx):
            return inputs["GR"] / 2
        undefined_name + 1
    ''')
    write(tmp_path, "e_baddecl.py", '''
        from core.dataforge.udfs import udf
        @udf("bad", name="Bad", inputs=[], output="B")
        def bad(inputs, params, ctx):
            return inputs
    ''')
    write(tmp_path, "f_empty.py", "X = 1\n")
    write(tmp_path, "g_exit.py", "import sys\nsys.exit(3)\n")
    write(tmp_path, "h_missing_import.py", "import no_such_module_for_dataforge\n")
    write(tmp_path, "_helper.py", "raise RuntimeError('helpers are not loaded')\n")
    write(tmp_path, "notes.txt", "not python")
    reg = UdfRegistry()
    errors = dict((Path(f).name, m) for f, m in load_plugins(tmp_path, reg))
    assert set(errors) == {"b_syntax.py", "c_raises.py", "d_half.py", "e_baddecl.py",
                           "f_empty.py", "g_exit.py", "h_missing_import.py"}
    assert errors["b_syntax.py"].startswith("SyntaxError") and "line 1" in errors["b_syntax.py"]
    assert "RuntimeError: plugin exploded (line 2)" in errors["c_raises.py"]
    assert "NameError" in errors["d_half.py"]
    assert "at least one input" in errors["e_baddecl.py"]
    assert "no UDF registered" in errors["f_empty.py"]
    assert "SystemExit" in errors["g_exit.py"]
    assert "ModuleNotFoundError" in errors["h_missing_import.py"]
    # the good one loaded; the half-broken one left nothing behind
    assert reg.ids() == ["gr_scaled"]
    assert "half_ok" not in REGISTRY


def test_plugin_cannot_replace_a_builtin(tmp_path):
    write(tmp_path, "clash.py", '''
        from core.dataforge.udfs import udf
        @udf("phid", name="Evil PHID", inputs=["RHOB"], output="PHID")
        def phid(inputs, params, ctx):
            return inputs["RHOB"] * 0
    ''')
    reg = REGISTRY.copy()
    errors = load_plugins(tmp_path, reg)
    assert len(errors) == 1 and "already registered by builtin" in errors[0][1]
    assert reg.get("phid").name == "Density porosity"


def test_reloading_a_plugin_replaces_its_udfs(tmp_path):
    path = write(tmp_path, "scale.py", GOOD)
    reg = UdfRegistry()
    assert load_plugins(tmp_path, reg) == []
    assert load_plugins(tmp_path, reg) == []      # same file again: no clash
    path.write_text(GOOD.replace('"gr_scaled"', '"gr_scaled2"').replace("Scaled GR", "Scaled 2"))
    assert load_plugins(tmp_path, reg) == []
    assert reg.ids() == ["gr_scaled2"]           # the UDF the file no longer defines is gone


def test_missing_folder_and_file_path(tmp_path):
    assert load_plugins(tmp_path / "nope", UdfRegistry()) == []
    f = write(tmp_path, "x.py", GOOD)
    assert load_plugins(f, UdfRegistry())[0][1] == "plugin path is not a folder"


def _make_dist(root: Path, group: str, entries: dict[str, str], modules: dict[str, str]) -> None:
    for name, text in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(text))
    dist = root / "dataforge_test_udfs-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dataforge-test-udfs\n"
                                   "Version: 0.1\n")
    lines = [f"[{group}]"] + [f"{k} = {v}" for k, v in entries.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


def test_entry_points(tmp_path, monkeypatch):
    group = "dataforge.udfs.selftest"
    _make_dist(tmp_path, group, {
        "module": "dfudf_ep_module",
        "hook": "dfudf_ep_hook:register",
        "broken": "dfudf_ep_missing",
        "nothing": "dfudf_ep_hook:NOT_A_UDF",
    }, {
        "dfudf_ep_module": GOOD,
        "dfudf_ep_hook": '''
            from core.dataforge.udfs import udf
            NOT_A_UDF = 3
            def register(registry):
                @registry.udf("ep_double", name="Double", inputs=["GR"], output="GR2")
                def double(inputs, params, ctx):
                    return inputs["GR"] * 2
        ''',
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    reg = UdfRegistry()
    errors = dict(load_entry_points(reg, group=group))
    assert set(errors) == {"broken = dfudf_ep_missing", "nothing = dfudf_ep_hook:NOT_A_UDF"}
    assert "ModuleNotFoundError" in errors["broken = dfudf_ep_missing"]
    assert set(reg.ids()) == {"gr_scaled", "ep_double"}
    assert reg.get("gr_scaled").source == "entry point: dfudf_ep_module"
    assert execute("ep_double", {"GR": [2.0]}, {}, registry=reg)[0] == 4.0
    # loading again is harmless (same sources)
    assert dict(load_entry_points(reg, group=group)).keys() == errors.keys()
    assert load_entry_points(UdfRegistry(), group="dataforge.udfs.no-such-group") == []


def _marking(udf_id: str, marker: Path) -> str:
    """A plugin that leaves `marker` behind if it ever runs, and registers `udf_id`."""
    return f'''
from pathlib import Path
from core.dataforge.udfs import udf

Path({str(marker)!r}).write_text("ran")


@udf({udf_id!r}, name={udf_id!r}, inputs=["GR"], output="X")
def plugin(inputs, params, ctx):
    return inputs["GR"]
'''


async def test_the_app_loads_user_plugins_only_from_the_plugins_folder(tmp_path, monkeypatch):
    """README: user UDFs are loaded only from `<data dir>/plugins/` (a plugin runs code)."""
    from core.dataforge import paths
    from core.dataforge.app import build_app, close_app

    data, marks, cwd = tmp_path / "data", tmp_path / "marks", tmp_path / "cwd"
    plugins = paths.plugins_dir(data)
    for folder in (plugins / "sub", data / "capabilities", marks, cwd):
        folder.mkdir(parents=True)
    write(plugins, "mine.py", _marking("mine", marks / "mine"))
    stray = {  # the same kind of file anywhere else never runs
        "data_root": data / "stray.py",
        "subfolder": plugins / "sub" / "nested.py",  # not recursive
        "capabilities": data / "capabilities" / "caps.py",
        "cwd": cwd / "here.py",
        "helper": plugins / "_helper.py",  # skipped by design: helpers may live there
        "hidden": plugins / ".hidden.py",
        "not_py": plugins / "mine2.py.txt",
    }
    for name, path in stray.items():
        write(path.parent, path.name, _marking(name, marks / name))
    monkeypatch.chdir(cwd)
    monkeypatch.syspath_prepend(str(cwd))
    app = build_app(data, demo=False, watch=False)  # what the TUI and the CLI call
    try:
        udfs = {u.id: u for u in await app.invoke("list_udfs")}
    finally:
        close_app(app)
    assert sorted(p.name for p in marks.iterdir()) == ["mine"]  # only the plugins folder ran code
    assert udfs["mine"].source == str((plugins / "mine.py").resolve())
    assert not set(stray) & set(udfs)
    others = {u.id: u.source for u in udfs.values()
              if u.id != "mine" and u.source != "builtin" and not u.source.startswith("entry point: ")}
    assert others == {}  # nothing from a file outside the plugins folder


def test_the_readme_says_where_plugins_load_from_and_that_they_run_code():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    paragraph = next(p for p in readme.split("\n\n") if "<data dir>/plugins/" in p)
    assert re.search(r"plugins? runs? (arbitrary )?code", paragraph, re.I), paragraph
    assert "only" in paragraph
