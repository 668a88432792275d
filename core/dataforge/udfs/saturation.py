"""Water saturation (Archie) and bulk volume water.

Sw = (a·Rw / (Rt·φ^m))^(1/n), a = 1, m = 2, n = 2, Rw 0.05 Ω·m by default, clipped to 0–1.
Samples with φ ≤ 0 or Rt ≤ 0 (non-physical) give NaN rather than a made-up saturation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ._aliases import PHI_ALIASES, RT_ALIASES, SW_ALIASES
from ._registry import REGISTRY, InputSpec, NoParams, OutputSpec, udf

__all__ = ["ArchieParams", "archie_sw"]


class ArchieParams(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Archie water saturation")

    a: float = Field(1.0, gt=0, le=5, title="Tortuosity factor a")
    m: float = Field(2.0, ge=1, le=4, title="Cementation exponent m")
    n: float = Field(2.0, ge=1, le=4, title="Saturation exponent n")
    rw: float = Field(0.05, gt=0, le=10, title="Rw (ohm·m)",
                      description="Formation water resistivity at formation temperature; "
                                  "typically 0.02–0.1 ohm·m")
    clip: bool = Field(True, description="Clip Sw to 0–1")


def archie_sw(rt: np.ndarray, phi: np.ndarray, a: float = 1.0, m: float = 2.0, n: float = 2.0,
              rw: float = 0.05, clip: bool = True) -> np.ndarray:
    rt = np.asarray(rt, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    with np.errstate(all="ignore"):
        sw = (a * rw / (rt * phi ** m)) ** (1.0 / n)
    sw = np.where((phi > 0) & (rt > 0), sw, np.nan)
    return np.clip(sw, 0.0, 1.0) if clip else sw


@udf("sw_archie", name="Water saturation (Archie)", category="Saturation", registry=REGISTRY,
     description="Sw = (a·Rw / (Rt·phi^m))^(1/n); a=1, m=2, n=2, Rw=0.05 ohm·m by default; "
                 "clipped to 0–1. NaN where phi <= 0 or Rt <= 0.",
     inputs=[InputSpec("RT", RT_ALIASES, "OHMM", "Deep (true) resistivity"),
             InputSpec("PHI", PHI_ALIASES, "V/V", "Porosity (effective preferred)")],
     output=OutputSpec("SW", "V/V", lambda p, mn, un: (
         f"Archie Sw from {mn['RT']} and {mn['PHI']}, a {p.a:g}, m {p.m:g}, n {p.n:g}, "
         f"Rw {p.rw:g} ohm.m")),
     params=ArchieParams)
def sw_archie(inputs: dict[str, np.ndarray], params: ArchieParams, ctx: Any) -> np.ndarray:
    return archie_sw(inputs["RT"], inputs["PHI"], params.a, params.m, params.n, params.rw,
                     params.clip)


@udf("bvw", name="Bulk volume water", category="Saturation", registry=REGISTRY,
     description="BVW = phi · Sw.",
     inputs=[InputSpec("PHI", PHI_ALIASES, "V/V", "Porosity"),
             InputSpec("SW", SW_ALIASES, "V/V", "Water saturation")],
     output=OutputSpec("BVW", "V/V", "Bulk volume water {PHI} x {SW}"),
     params=NoParams)
def bvw(inputs: dict[str, np.ndarray], params: NoParams, ctx: Any) -> np.ndarray:
    return inputs["PHI"] * inputs["SW"]
