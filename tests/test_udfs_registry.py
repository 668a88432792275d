"""Decorator, registry, UdfInfo/JSON schema, output specs and input matching."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel, Field

from core.dataforge.udfs import (
    BUILTIN_IDS,
    GR_ALIASES,
    REGISTRY,
    InputSpec,
    OutputSpec,
    UdfDefinitionError,
    UdfInfo,
    UdfInputError,
    UdfNotFoundError,
    UdfRegistry,
    execute,
    match_inputs,
    udf,
)

ROOT = Path(__file__).resolve().parents[1]


def test_builtin_ids():
    assert set(BUILTIN_IDS) >= {"vsh_gr", "phid", "phind", "phis", "phie", "sw_archie", "bvw",
                                "moving_average", "median_filter", "despike", "normalize",
                                "unit_convert"}
    assert all(REGISTRY.get(i).source == "builtin" for i in BUILTIN_IDS)


def test_info_is_json_serialisable_and_describes_a_form():
    infos = REGISTRY.list()
    assert [i.id for i in infos if i.category == "Porosity"] == ["phid", "phie", "phind", "phis"]
    json.dumps([i.model_dump() for i in infos])     # a UI can ship it anywhere
    info = REGISTRY.info("phid")
    assert isinstance(info, UdfInfo)
    assert info.inputs[0].name == "RHOB" and info.inputs[0].aliases[:3] == ["RHOB", "RHOZ", "DEN"]
    assert info.output.mnemonic == "PHID" and info.output.unit == "V/V"
    props = info.params_schema["properties"]
    assert props["matrix"]["enum"] == ["sandstone", "limestone", "dolomite", "custom"]
    assert props["rho_fluid"]["minimum"] == 0.5 and props["rho_fluid"]["maximum"] == 1.5
    assert props["rho_fluid"]["default"] == 1.0 and props["rho_fluid"].get("title")
    assert info.defaults == {"matrix": "sandstone", "rho_ma": None, "rho_fluid": 1.0,
                             "density_unit": "g/cc", "clip": False}
    vsh = REGISTRY.info("vsh_gr")
    assert vsh.whole_curve_stats and not vsh.windowed
    assert "description" in vsh.params_schema["properties"]["gr_clean"]
    ds = REGISTRY.info("despike")
    assert ds.windowed and ds.defaults["window"] == 33 and ds.defaults["z"] == 2.0
    assert ds.output.mnemonic == "<curve>_DS"
    assert REGISTRY.list(category="filters") == [i for i in infos if i.category == "Filters"]
    assert "Shale" in REGISTRY.categories()


def test_output_templates_follow_input_mnemonic_and_params():
    d = REGISTRY.get("moving_average")
    out = d.output_for({"window": 7}, {"curve": "GR:1"}, {"curve": "GAPI"})
    assert (out.mnemonic, out.unit) == ("GR_1_MA", "GAPI")
    assert "7 samples" in out.description
    out = REGISTRY.get("vsh_gr").output_for({"method": "clavier", "gr_clean": 20},
                                            {"GR": "GAMN"})
    assert out.mnemonic == "VSH" and "Clavier" in out.description and "GAMN" in out.description
    assert "GRclean 20" in out.description and "P95" in out.description
    norm = REGISTRY.get("normalize")
    assert norm.output_for({}, {"curve": "GR"}, {"curve": "GAPI"}).unit == ""
    assert norm.output_for({"ref_low": 20, "ref_high": 120}, {"curve": "GR"},
                           {"curve": "GAPI"}).unit == "GAPI"
    for name, suffix in [("median_filter", "_MED"), ("despike", "_DS"), ("normalize", "_NORM")]:
        assert REGISTRY.get(name).output_for({}, {"curve": "DT"}).mnemonic == "DT" + suffix


def test_unknown_udf():
    with pytest.raises(UdfNotFoundError, match="nope"):
        REGISTRY.get("nope")
    with pytest.raises(KeyError):
        execute("nope", {}, {})


# ------------------------------------------------------------------ decorator -------------

class Twice(BaseModel):
    factor: float = Field(2.0, gt=0, le=10, description="multiplier")


def test_decorator_registers_into_a_given_registry():
    reg = UdfRegistry("t")

    @udf("twice", name="Twice", inputs=[InputSpec("x", ("GR",))], output=OutputSpec("X2", "GAPI"),
         params=Twice, category="Test", registry=reg)
    def twice(inputs, params, ctx):
        return inputs["x"] * params.factor

    assert "twice" in reg and "twice" not in REGISTRY
    assert twice.__udf__ is reg.get("twice")
    assert twice({"x": np.array([1.0])}, Twice(), None)[0] == 2.0     # still a plain function
    y = execute("twice", {"x": [1.0, np.nan]}, {"factor": 3}, registry=reg)
    assert y[0] == 3.0 and np.isnan(y[1])
    assert reg.info("twice").defaults == {"factor": 2.0}
    with pytest.raises(UdfDefinitionError, match="already registered"):
        reg.udf("twice", name="Again", inputs=["GR"], output="Y")(lambda i, p, c: i["GR"])
    reg.udf("twice", name="Again", inputs=["GR"], output="Y", replace=True)(lambda i, p, c: i["GR"])
    assert reg.get("twice").name == "Again"
    assert reg.copy().ids() == reg.ids()
    assert reg.unregister("twice") is not None and "twice" not in reg


@pytest.mark.parametrize("kwargs, match", [
    ({"id": "bad id!"}, "invalid UDF id"),
    ({"name": ""}, "name"),
    ({"inputs": []}, "at least one input"),
    ({"inputs": [InputSpec("a"), InputSpec("A")]}, "duplicate input"),
    ({"params": dict}, "BaseModel"),
    ({"output": 42}, "OutputSpec"),
    ({"output": OutputSpec("{nope}_X")}, "template"),
])
def test_decorator_rejects_bad_declarations(kwargs, match):
    base = dict(id="ok", name="OK", inputs=[InputSpec("a", ("GR",))], output=OutputSpec("A"),
                registry=UdfRegistry())
    base.update(kwargs)
    with pytest.raises(UdfDefinitionError, match=match):
        udf(**base)(lambda i, p, c: i["a"])


def test_params_model_needs_defaults():
    class NoDefault(BaseModel):
        x: float

    with pytest.raises(UdfDefinitionError, match="default"):
        udf("nd", name="nd", inputs=["GR"], output="Y", params=NoDefault,
            registry=UdfRegistry())(lambda i, p, c: i["GR"])


def test_input_spec_validation():
    with pytest.raises(UdfDefinitionError):
        InputSpec("not valid")
    assert InputSpec("GR", "GR").mnemonics == ("GR",)


# ------------------------------------------------------------------ matching -------------

def test_match_case_insensitive_and_priority():
    assert match_inputs("vsh_gr", [(1, "DEPT"), (2, "gr")]) == {"GR": 2}
    # GR comes before GAMN in the alias list, whatever the curve order
    assert match_inputs("vsh_gr", [(1, "GAMN"), (2, "GR")]) == {"GR": 2}
    assert GR_ALIASES.index("GR") < GR_ALIASES.index("GAMN")


def test_match_duplicate_suffixes_after_exact_names():
    assert match_inputs("vsh_gr", [(1, "GR:2"), (2, "GR:1")]) == {"GR": 1}      # first listed
    assert match_inputs("vsh_gr", [(1, "GR_1")]) == {"GR": 1}
    # an exact alias (GAM) wins over a suffixed preferred one (GR:1)
    assert match_inputs("vsh_gr", [(1, "GR:1"), (2, "GAM")]) == {"GR": 2}
    # suffix must be digits: GR_EDTC is its own alias, SGR is not "GR" + suffix
    assert match_inputs("vsh_gr", [(1, "GRX_1"), (2, "SGR")]) == {"GR": 2}


def test_match_real_curve_lists():
    # curve list of the Scorpio E1 file (6038187_v1.2.las)
    scorpio = [(0, "DEPT"), (1, "CALI"), (2, "DFAR"), (3, "DNEAR"), (4, "GAMN"), (5, "NEUT"),
               (6, "PR"), (7, "SP"), (8, "COND")]
    assert match_inputs("vsh_gr", scorpio) == {"GR": 4}
    assert match_inputs("phid", scorpio) == {"RHOB": 2}
    with pytest.raises(UdfInputError) as ei:        # NEUT there is a count rate (CPS)
        match_inputs("phind", scorpio)
    msg = str(ei.value)
    assert "'NPHI'" in msg and "TNPH" in msg and "NEU" in msg and "DFAR" in msg
    assert ei.value.input_name == "NPHI" and "TNPH" in ei.value.aliases
    # CWLS sample_big.las
    cwls = [("a", "DEPT"), ("b", "DT"), ("c", "RHOB"), ("d", "NPHI"), ("e", "SFLU"),
            ("f", "SFLA"), ("g", "ILM"), ("h", "ILD")]
    assert match_inputs("phind", cwls) == {"NPHI": "d", "RHOB": "c"}
    assert match_inputs("phis", cwls) == {"DT": "b"}
    with pytest.raises(UdfInputError, match="'PHI'"):
        match_inputs("sw_archie", cwls)
    assert match_inputs("sw_archie", cwls + [("p", "PHIE")]) == {"RT": "h", "PHI": "p"}


def test_match_overrides():
    curves = [(1, "GR"), (2, "CGR"), (3, "RHOB")]
    assert match_inputs("vsh_gr", curves, {"GR": 2}) == {"GR": 2}
    with pytest.raises(UdfInputError, match="no input 'gr'"):
        match_inputs("vsh_gr", curves, {"gr": 2})
    with pytest.raises(UdfInputError, match="no curve with id 99"):
        match_inputs("vsh_gr", curves, {"GR": 99})
    # filters accept any curve and must be told which
    with pytest.raises(UdfInputError, match="choose one explicitly"):
        match_inputs("moving_average", curves)
    assert match_inputs("moving_average", curves, {"curve": 3}) == {"curve": 3}


def test_match_does_not_reuse_a_curve():
    reg = UdfRegistry()
    reg.udf("pair", name="pair", inputs=[InputSpec("a", ("GR",)), InputSpec("b", ("GR", "GAM"))],
            output="P")(lambda i, p, c: i["a"] - i["b"])
    curves = [(1, "GR"), (2, "GAM")]
    assert match_inputs("pair", curves, registry=reg) == {"a": 1, "b": 2}
    assert match_inputs("pair", curves, {"a": 2}, registry=reg) == {"a": 2, "b": 1}


def test_match_rejects_malformed_curves():
    with pytest.raises(UdfInputError):
        match_inputs("vsh_gr", [5])


# ------------------------------------------------------------------ hygiene --------------

def test_package_imports_no_ui():
    code = ("import sys; import core.dataforge.udfs; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui', 'rich')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    for path in (ROOT / "core" / "dataforge" / "udfs").glob("*.py"):
        text = path.read_text()
        assert "import textual" not in text and "from textual" not in text, path
        assert "from tui" not in text and "import tui" not in text, path
