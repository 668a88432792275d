"""Demo data: three synthetic wells that look like real logs, plus the shipped LAS samples.

The wells share one layered earth model (sand, shale, limestone beds, a gas and an
oil leg over water), shifted and stretched per well so they correlate the way
neighbouring wells do. Logs follow from the rocks with the standard petrophysics
(Wyllie, density mixing, Archie), then get what real logs have: smooth bed
boundaries, noise, tools that start and stop at their own depths, spikes, and
values pinned at tool limits. Deterministic (seeded), so screenshots are stable.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .las_io import import_las
from .models import LasImportError, WorkspaceInfo
from .paths import shipped_las_dir

__all__ = ["create_demo", "ensure_demo", "synthetic_well", "DEMO_WELLS"]

log = logging.getLogger("core.dataforge")

STEP = 0.1524  # 0.5 ft, in metres
TOP, BASE = 1500.0, 2500.0

# name, uwi, depth shift (m), stretch, seed
DEMO_WELLS = (
    ("Alder-1", "DF-0001-A", 0.0, 1.00, 11),
    ("Birch-2", "DF-0002-B", 18.0, 1.04, 22),
    ("Cedar-3", "DF-0003-C", -12.0, 0.97, 33),
)

# Each tool's logged interval (relative to TOP/BASE), so nulls appear at different depths.
_TOOLS = {
    "GR": (0.0, 1.0), "SP": (0.0, 0.90), "CALI": (0.08, 0.985), "RHOB": (0.09, 0.98),
    "NPHI": (0.09, 0.98), "PEF": (0.09, 0.98), "DT": (0.05, 0.95), "RT": (0.02, 0.99), "RXO": (0.02, 0.99),
}
_CURVES = {
    "GR": ("gAPI", "Gamma ray"), "SP": ("mV", "Spontaneous potential"), "CALI": ("in", "Caliper"),
    "RHOB": ("g/cm3", "Bulk density"), "NPHI": ("v/v", "Neutron porosity (limestone matrix)"),
    "PEF": ("b/e", "Photoelectric factor"), "DT": ("us/ft", "Compressional sonic slowness"),
    "RT": ("ohm.m", "Deep resistivity"), "RXO": ("ohm.m", "Flushed-zone resistivity"),
}


def _earth_model(rng: np.random.Generator) -> list[tuple[float, str, float]]:
    """Beds as (thickness m, lithology, porosity), top to bottom, covering more than TOP–BASE.

    Random sand/shale/limestone beds, plus three fixed features every demo has: an
    organic-rich ("hot") shale, a tight cemented streak in the gas sands, and a soft
    shale that washes out.
    """
    beds, depth = [], TOP - 80
    while depth < BASE + 80:
        lith = rng.choice(["shale", "sand", "lime"], p=[0.5, 0.35, 0.15])
        thick = float(rng.uniform(3, 25) if lith != "shale" else rng.uniform(4, 40))
        phi = {"shale": 0.05, "sand": rng.uniform(0.10, 0.30), "lime": rng.uniform(0.02, 0.14)}[lith]
        beds.append((thick, str(lith), float(phi)))
        depth += thick
    for feature_top, thick, lith, phi in FEATURES:
        beds = _insert_bed(beds, feature_top, thick, lith, phi)
    return beds


# (model depth of the top, thickness m, lithology, porosity)
FEATURES = (
    (1660.0, 9.0, "hot", 0.05),       # organic-rich shale: GR 170–200
    (1795.0, 4.0, "tight", 0.01),     # cemented streak: the deep resistivity pins at its ceiling
    (2120.0, 14.0, "washout", 0.05),  # soft shale: the hole washes out, the caliper pins
)
CALIPER_MAX = 16.0  # in: arms fully open
RT_MAX = 2000.0  # ohm.m: the induction tool's ceiling
NPHI_LIMITS = (-0.05, 0.60)


def _insert_bed(beds: list[tuple[float, str, float]], top: float, thick: float, lith: str,
                phi: float) -> list[tuple[float, str, float]]:
    """The bed sequence with [top, top + thick] replaced by one bed (model depths)."""
    out, depth = [], TOP - 80
    for t, l, p in beds:
        lo, hi = depth, depth + t
        depth = hi
        if hi <= top or lo >= top + thick:
            out.append((t, l, p))
            continue
        if lo < top:
            out.append((top - lo, l, p))
        if not out or out[-1] != (thick, lith, phi):
            out.append((thick, lith, phi))
        if hi > top + thick:
            out.append((hi - top - thick, l, p))
    return out


def _smooth(x: np.ndarray, samples: int) -> np.ndarray:
    kernel = np.exp(-0.5 * np.linspace(-2.5, 2.5, 2 * samples + 1) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(x, samples, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def synthetic_well(shift: float, stretch: float, seed: int, beds: list[tuple[float, str, float]]
                   ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Depths and curves of one well through the shared earth model."""
    rng = np.random.default_rng(seed)
    depths = np.round(np.arange(TOP, BASE + STEP / 2, STEP), 4)
    n = depths.size
    # Map each depth to the model: this well sees the beds shifted and stretched.
    model_depth = (depths - TOP - shift) / stretch + TOP
    tops = (TOP - 80) + np.concatenate([[0.0], np.cumsum([b[0] for b in beds])])
    bed = np.clip(np.searchsorted(tops, model_depth, side="right") - 1, 0, len(beds) - 1)
    lith = np.array([beds[i][1] for i in bed])
    phi = np.array([beds[i][2] for i in bed]) * (1 + 0.08 * rng.standard_normal(n).cumsum() / np.sqrt(n))
    hot = (lith == "hot").astype(float)
    washout = (lith == "washout").astype(float)
    shale = (lith == "shale").astype(float) + hot + washout
    tight = (lith == "tight").astype(float)
    lime = (lith == "lime").astype(float)
    sand = 1 - shale - lime - tight

    def texture(scale_m: float, amplitude: float) -> np.ndarray:
        """Smooth random variation within beds (correlated over ~scale_m metres)."""
        k = max(2, int(scale_m / STEP))
        return _smooth(rng.standard_normal(n), k) * amplitude * np.sqrt(k)

    # Gradational bed boundaries (~2 m) and texture inside beds, as real rocks have.
    vsh = shale * 0.85 + sand * 0.10 + lime * 0.06 + tight * 0.05
    vsh = np.clip(_smooth(vsh + texture(2.5, 0.05) * (1 + shale), 12), 0, 1)
    phi = np.where(shale > 0, 0.04, phi) + texture(3.0, 0.012) * (1 - shale - tight)
    phi = np.clip(_smooth(phi, 10), 0.005, 0.35)
    # Fluids: gas over oil over water in the sands, contacts in the model's depth frame.
    reservoir = (sand + tight) > 0
    gas = (model_depth < 1840) & reservoir
    oil = (model_depth >= 1840) & (model_depth < 1905) & reservoir
    sw = np.where(gas, 0.18, np.where(oil, 0.32, 1.0))
    sw = np.clip(_smooth(sw, 5), 0.1, 1.0)
    rho_ma = _smooth(2.65 * sand + 2.71 * lime + 2.68 * shale + 2.68 * tight, 4)
    rho_fl = np.where(gas, 0.25, np.where(oil, 0.8, 1.05))
    rho_fl = _smooth(rho_fl * sw + (1 - sw) * rho_fl, 3)
    rhob = rho_ma * (1 - phi) + rho_fl * phi + vsh * 0.02
    nphi = phi * np.where(gas, 0.55, 1.0) + vsh * 0.28
    dt = 55.5 * sand + 47.6 * lime + 70 * shale + 52 * tight
    dt = _smooth(dt, 4) + phi * (189 - 55.5) * 0.85 + vsh * 20
    rw = 0.045
    rt = rw / (np.maximum(phi, 0.02) ** 2 * sw ** 2) * (1 - 0.6 * vsh) + vsh * 2.5
    rt = np.exp(_smooth(np.log(np.where(tight > 0, 6000.0, rt)), 3))  # the cemented streak: very high
    rxo = np.clip(0.12 / np.maximum(phi, 0.02) ** 2 * (1 - 0.5 * vsh) + vsh * 2.0, 0.3, 1500)
    gr = 18 + 115 * vsh + 6 * lime + _smooth(hot * rng.uniform(60, 85), 6)
    sp = -55 * (1 - vsh) * (1 - 0.3 * lime)
    # The hole: on gauge (8.5 in bit) in hard rock, a little rugose in shale, washed out in soft shale.
    cali = 8.5 + np.where(vsh > 0.6, rng.gamma(1.2, 0.6, n), 0) * (rng.random(n) < 0.7)
    cali = _smooth(cali + _smooth(washout, 20) * 9.5, 8)
    enlarged = np.clip(cali - 9.0, 0, None)  # bad hole: the pad tools read mud
    rhob = rhob - 0.05 * enlarged
    nphi = nphi + 0.03 * enlarged
    pef = 1.85 * sand + 5.05 * lime + 3.3 * shale + 1.9 * tight
    noise = {"GR": 4.0, "SP": 1.5, "CALI": 0.03, "RHOB": 0.015, "NPHI": 0.008, "PEF": 0.1, "DT": 1.2,
             "RT": 0.03, "RXO": 0.03}
    curves = {"GR": gr, "SP": sp + np.linspace(0, 12, n), "CALI": cali, "RHOB": rhob, "NPHI": nphi,
              "PEF": _smooth(pef, 4), "DT": dt, "RT": rt, "RXO": rxo}
    out: dict[str, np.ndarray] = {}
    for name, values in curves.items():
        if name in ("RT", "RXO"):  # log-normal noise on resistivity
            values = values * np.exp(noise[name] * rng.standard_normal(n))
        else:
            values = values + noise[name] * rng.standard_normal(n)
        start, stop = _TOOLS[name]
        jitter = rng.uniform(-0.01, 0.01, 2)
        lo, hi = TOP + (BASE - TOP) * (start + jitter[0]), TOP + (BASE - TOP) * (stop + jitter[1])
        values = np.where((depths >= lo) & (depths <= hi), values, np.nan)
        out[name] = values
    # Spikes, as real logs have them: gamma bursts, sonic cycle skips, density pad lift-off.
    for name, low, high in (("GR", 25.0, 60.0), ("DT", 12.0, 25.0), ("RHOB", -0.45, -0.2)):
        for at in rng.choice(n - 2, 5, replace=False):
            width = int(rng.integers(1, 3))
            out[name][at:at + width] += rng.uniform(low, high)
    # Tools pinned at their limits.
    out["CALI"] = np.minimum(out["CALI"], CALIPER_MAX)
    out["RT"] = np.minimum(out["RT"], RT_MAX)
    out["NPHI"] = np.clip(out["NPHI"], *NPHI_LIMITS)
    with np.errstate(invalid="ignore"):
        for name, values in out.items():
            out[name] = np.round(values, 4)
    return depths, out


def create_demo(db: Any) -> WorkspaceInfo:
    """The "Demo" workspace with three synthetic wells, and "Samples" with the shipped LAS files."""
    existing = {w.name for w in db.list_workspaces()}
    name = "Demo" if "Demo" not in existing else next(
        f"Demo {i}" for i in range(2, 1000) if f"Demo {i}" not in existing)
    ws = db.create_workspace(name)
    beds = _earth_model(np.random.default_rng(2024))
    for well_name, uwi, shift, stretch, seed in DEMO_WELLS:
        depths, curves = synthetic_well(shift, stretch, seed, beds)
        header = {"name": well_name, "uwi": uwi, "company": "DataForge Demo Ltd.",
                  "field": "Synthetic Basin", "location": f"Block {seed}", "step": STEP,
                  "depth_unit": "m", "null_value": -999.25, "source_file": None}
        db.add_well(ws.id, header, depths,
                    [(m, _CURVES[m][0], _CURVES[m][1], v) for m, v in curves.items()])
    if "Samples" not in existing:
        samples = db.create_workspace("Samples")
        for path in sorted(shipped_las_dir().glob("*.las")):
            try:
                import_las(db, path, samples.id)
            except LasImportError as exc:  # a shipped file should import; never block the demo
                log.warning("sample not imported: %s", exc)
    return db.get_workspace(ws.id)


def ensure_demo(db: Any) -> WorkspaceInfo | None:
    """Create the demo on the first start (an empty database); otherwise do nothing."""
    if db.list_workspaces():
        return None
    try:
        return create_demo(db)
    except ValueError:
        if db.list_workspaces():  # another process seeded it at the same moment
            return None
        raise
