"""Realism: density porosity on a real well's RHOB reproduces the logging company's own DPHI.

Data: tests/data/wellington_kgs_1-32_excerpt.las - an excerpt of the Wellington KGS 1-32 well
(Sumner County, Kansas; Halliburton, 2011) as shipped in the welly repository (Apache-2.0, see
tests/data/LICENSE-welly-wellington.txt). Its ~Curve section has RHOB (g/cc) and the vendor's
density porosities in PERCENT: DPHS "DenPhiSand", DPHI "DensityPorosity" and DLIM "DenPhiLime"
(limestone), DPHD "DenPhiDolo". The ~Parameter section does not state the matrix density; the
curve names give the lithology and a least-squares fit of DPHI against RHOB recovers
rho_ma = 2.65 / 2.71 / 2.87 g/cc and rho_f = 1.00 g/cc (asserted below).

Tolerance: RHOB is written with 4 decimals (±0.00005 g/cc) and the porosities with 4 decimals
in % (±0.000005 v/v), so |PHID - DPHI/100| <= 0.00005/(rho_ma - rho_f) + 0.000005,
i.e. 3.08e-5 (sand), 2.97e-5 (lime), 2.72e-5 (dolomite) v/v.
"""

from __future__ import annotations

from pathlib import Path

import lasio
import numpy as np
import pytest

from core.dataforge.udfs import execute, match_inputs

LAS = Path(__file__).parent / "data" / "wellington_kgs_1-32_excerpt.las"


@pytest.fixture(scope="module")
def las():
    text = LAS.read_text()
    head, data = text.split("~ASCII", 1)
    # the vendor wrote a comma-delimited ~A section without a DLM item; lasio needs spaces
    return lasio.read(head + "~ASCII" + data.replace(",", " "))


def test_file_is_what_we_think(las):
    assert las.well["WELL"].value == "Wellington KGS 1-32"
    assert las.well["SRVC"].value == "Halliburton"
    assert las.curves["RHOB"].unit == "g/cc"
    for name in ("DPHS", "DPHI", "DLIM", "DPHD"):
        assert las.curves[name].unit == "%"
    assert len(las.index) == 72
    rhob = las["RHOB"]
    assert np.isfinite(rhob).all() and 1.97 < rhob.min() and rhob.max() < 2.62


@pytest.mark.parametrize("vendor_curve, matrix, rho_ma", [
    ("DPHS", "sandstone", 2.65),
    ("DPHI", "limestone", 2.71),
    ("DLIM", "limestone", 2.71),
    ("DPHD", "dolomite", 2.87),
])
def test_phid_reproduces_vendor_density_porosity(las, vendor_curve, matrix, rho_ma):
    curves = [(c.mnemonic, c.mnemonic) for c in las.curves]
    mapping = match_inputs("phid", curves)
    assert mapping == {"RHOB": "RHOB"}
    vendor = las[vendor_curve] / 100.0                    # percent -> v/v
    phid = execute("phid", {"RHOB": las["RHOB"]}, {"matrix": matrix, "rho_fluid": 1.0},
                   chunk_size=17)
    tol = 0.00005 / (rho_ma - 1.0) + 0.000005
    err = np.abs(phid - vendor)
    assert err.max() <= tol, (vendor_curve, err.max(), tol)
    # the same with the matrix given as a value
    same = execute("phid", {"RHOB": las["RHOB"]}, {"matrix": "custom", "rho_ma": rho_ma})
    np.testing.assert_array_equal(same, phid)
    # and the test has teeth: the wrong matrix is far outside the tolerance
    wrong = "limestone" if matrix != "limestone" else "sandstone"
    bad = execute("phid", {"RHOB": las["RHOB"]}, {"matrix": wrong})
    assert np.abs(bad - vendor).max() > 100 * tol


@pytest.mark.parametrize("vendor_curve, rho_ma", [("DPHS", 2.65), ("DPHI", 2.71),
                                                  ("DPHD", 2.87)])
def test_inferred_matrix_and_fluid_density(las, vendor_curve, rho_ma):
    # DPHI = (rho_ma - RHOB)/(rho_ma - rho_f) = a + b*RHOB with b = -1/(rho_ma - rho_f)
    rhob, phi = las["RHOB"], las[vendor_curve] / 100.0
    b, a = np.polyfit(rhob, phi, 1)
    span = -1.0 / b
    fitted_rho_ma = a * span
    fitted_rho_f = fitted_rho_ma - span
    assert fitted_rho_ma == pytest.approx(rho_ma, abs=0.001)
    assert fitted_rho_f == pytest.approx(1.0, abs=0.001)


def test_other_udfs_run_on_the_real_curves(las):
    curves = [(c.mnemonic, c.mnemonic) for c in las.curves]
    m = match_inputs("phind", curves)
    assert m == {"NPHI": "NPHI", "RHOB": "RHOB"}
    phind = execute("phind", {k: las[v] for k, v in m.items()},
                    {"matrix": "limestone", "nphi_unit": "%"})
    # hand check on the first row: NPHI 31.7902 %, RHOB 2.2575 -> PHID (2.71-2.2575)/1.71
    # = 0.264620; PHIND = (0.317902 + 0.264620)/2 = 0.291261
    assert phind[0] == pytest.approx(0.291261, abs=2e-6)
    assert match_inputs("vsh_gr", curves) == {"GR": "GR"}
    vsh = execute("vsh_gr", {"GR": las["GR"]}, {"method": "larionov_older"})
    assert np.nanmin(vsh) == 0.0 and np.nanmax(vsh) == pytest.approx(0.99)
    assert match_inputs("sw_archie", curves, {"PHI": "DPHI"}) == {"RT": "RT", "PHI": "DPHI"}
