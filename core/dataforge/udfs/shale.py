"""Shale volume from gamma ray.

IGR = (GR − GRclean) / (GRshale − GRclean), clipped to 0–1 (GRclean/GRshale default to the
P5/P95 of the curve), then

* linear:            Vsh = IGR
* Larionov tertiary: Vsh = 0.083·(2^(3.7·IGR) − 1)
* Larionov older:    Vsh = 0.33·(2^(2·IGR) − 1)
* Clavier:           Vsh = 1.7 − √(3.38 − (IGR + 0.7)²)
* Steiber:           Vsh = IGR / (3 − 2·IGR)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._aliases import GR_ALIASES
from ._errors import UdfInputError, UdfParamsError
from ._registry import REGISTRY, InputSpec, OutputSpec, udf

__all__ = ["VshParams", "VSH_METHODS", "igr", "vsh_from_igr"]

VshMethod = Literal["linear", "larionov_tertiary", "larionov_older", "clavier", "steiber"]
VSH_METHODS: dict[str, str] = {
    "linear": "linear (Vsh = IGR)",
    "larionov_tertiary": "Larionov tertiary rocks",
    "larionov_older": "Larionov older rocks",
    "clavier": "Clavier",
    "steiber": "Steiber",
}


class VshParams(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Vsh from GR")

    method: VshMethod = Field("linear", description="Transform from gamma-ray index IGR to Vsh")
    gr_clean: float | None = Field(None, ge=-50, le=2000, title="GR clean (API)",
                                   description="GR of clean sand; empty = P<p_clean> of the curve")
    gr_shale: float | None = Field(None, ge=-50, le=2000, title="GR shale (API)",
                                   description="GR of pure shale; empty = P<p_shale> of the curve")
    p_clean: float = Field(5.0, ge=0, le=50, title="Clean percentile",
                           description="Percentile of GR used as GR clean when not given")
    p_shale: float = Field(95.0, ge=50, le=100, title="Shale percentile",
                           description="Percentile of GR used as GR shale when not given")

    @model_validator(mode="after")
    def _check(self) -> VshParams:
        if self.gr_clean is not None and self.gr_shale is not None \
                and not self.gr_shale > self.gr_clean:
            raise ValueError(f"gr_shale ({self.gr_shale}) must be greater than "
                             f"gr_clean ({self.gr_clean})")
        if not self.p_shale > self.p_clean:
            raise ValueError("p_shale must be greater than p_clean")
        return self


def igr(gr: np.ndarray, gr_clean: float, gr_shale: float) -> np.ndarray:
    """Gamma-ray index, clipped to 0–1 (NaN stays NaN)."""
    return np.clip((np.asarray(gr, dtype=np.float64) - gr_clean) / (gr_shale - gr_clean), 0.0, 1.0)


def vsh_from_igr(i: np.ndarray, method: str) -> np.ndarray:
    if method == "linear":
        v = np.array(i, dtype=np.float64, copy=True)
    elif method == "larionov_tertiary":
        v = 0.083 * (np.exp2(3.7 * i) - 1.0)
    elif method == "larionov_older":
        v = 0.33 * (np.exp2(2.0 * i) - 1.0)
    elif method == "clavier":
        v = 1.7 - np.sqrt(3.38 - (i + 0.7) ** 2)
    elif method == "steiber":
        v = i / (3.0 - 2.0 * i)
    else:  # pragma: no cover - guarded by the Literal
        raise ValueError(f"unknown Vsh method {method!r}")
    return np.clip(v, 0.0, 1.0)


def _vsh_stats(inputs: dict[str, np.ndarray], params: VshParams, ctx: Any) -> dict[str, float]:
    gr = inputs["GR"]
    clean, shale = params.gr_clean, params.gr_shale
    if clean is None or shale is None:
        finite = gr[np.isfinite(gr)]
        if finite.size == 0:
            raise UdfInputError("input 'GR' has no valid (non-null) samples to take percentiles "
                                "from; give gr_clean and gr_shale explicitly", input_name="GR")
        p_clean, p_shale = np.percentile(finite, [params.p_clean, params.p_shale])
        clean = float(p_clean) if clean is None else clean
        shale = float(p_shale) if shale is None else shale
    if not shale > clean:
        raise UdfParamsError(
            f"invalid parameters for 'vsh_gr': GR shale ({shale:g}) must be greater than GR clean "
            f"({clean:g}); the curve may be constant over the interval - give both explicitly",
            udf_id="vsh_gr", errors=[{"field": "gr_shale", "message": "must exceed gr_clean"}])
    return {"gr_clean": clean, "gr_shale": shale}


def _vsh_description(p: VshParams, mn: Any, un: Any) -> str:
    clean = "P%g" % p.p_clean if p.gr_clean is None else "%g" % p.gr_clean
    shale = "P%g" % p.p_shale if p.gr_shale is None else "%g" % p.gr_shale
    return f"Shale volume from {mn['GR']}, {VSH_METHODS[p.method]}, GRclean {clean}, GRshale {shale}"


@udf("vsh_gr", name="Vsh from gamma ray", category="Shale", registry=REGISTRY,
     description="Shale volume from the gamma-ray index (linear, Larionov tertiary/older, Clavier, "
                 "Steiber). GR clean/shale default to the P5/P95 of the whole curve.",
     inputs=[InputSpec("GR", GR_ALIASES, "GAPI", "Gamma ray")],
     output=OutputSpec("VSH", "V/V", _vsh_description),
     params=VshParams, prepare=_vsh_stats)
def vsh_gr(inputs: dict[str, np.ndarray], params: VshParams, ctx: Any) -> np.ndarray:
    i = igr(inputs["GR"], ctx.stats["gr_clean"], ctx.stats["gr_shale"])
    return vsh_from_igr(i, params.method)
