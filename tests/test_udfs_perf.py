"""Every built-in on a 1e6-sample curve (1 % nulls): shape and null handling at scale.

Timings are printed (run with ``-s``) for information only; speed goals live in tests/bench/.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.dataforge.udfs import REGISTRY, execute

N = 1_000_000
CASES = [
    ("vsh_gr", {"method": "larionov_tertiary"}),
    ("phid", {}),
    ("phind", {"mode": "gas"}),
    ("phis", {}),
    ("phie", {}),
    ("sw_archie", {}),
    ("bvw", {}),
    ("moving_average", {"window": 11}),
    ("median_filter", {"window": 11}),
    ("despike", {}),
    ("despike", {"method": "mad"}),
    ("normalize", {}),
    ("unit_convert", {"conversion": "usft_to_usm"}),
]
RANGES = {"GR": (10, 150), "RHOB": (1.95, 2.95), "NPHI": (0, 0.45), "DT": (50, 140),
          "RT": (0.2, 2000), "PHI": (0.01, 0.35), "PHIT": (0, 0.35), "VSH": (0, 1),
          "SW": (0, 1), "curve": (10, 150)}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    out = {}
    for name, (lo, hi) in RANGES.items():
        x = lo + (hi - lo) * rng.random(N)
        x[rng.random(N) < 0.01] = np.nan
        out[name] = x
    return out


def test_all_builtins_are_covered():
    assert {c[0] for c in CASES} == set(REGISTRY.ids())


@pytest.mark.parametrize("udf_id, params", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_million_samples(data, udf_id, params):
    d = REGISTRY.get(udf_id)
    ins = {n: data[n] for n in d.input_names}
    t0 = time.perf_counter()
    y = execute(udf_id, ins, params)
    elapsed = time.perf_counter() - t0
    print(f"\n  {udf_id:15s} {str(params):32s} {elapsed * 1000:8.1f} ms for {N:,} samples")
    assert y.shape == (N,)
    nulls = np.zeros(N, dtype=bool)
    for arr in ins.values():
        nulls |= np.isnan(arr)
    assert np.isnan(y[nulls]).all()  # an input null stays a gap in the result
