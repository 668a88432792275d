"""Porosity: density, neutron-density, sonic (Wyllie) and effective porosity.

* PHID  = (ρma − RHOB) / (ρma − ρf)                 ρma 2.65 / 2.71 / 2.87 g/cc, ρf 1.0
* PHIND = (NPHI + PHID) / 2, gas: √((NPHI² + PHID²) / 2)
* PHIS  = (DT − DTma) / (DTf − DTma)                DTma 55.5 / 47.6 / 43.5 µs/ft, DTf 189
* PHIE  = PHIT · (1 − Vsh)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._aliases import DT_ALIASES, NPHI_ALIASES, PHIT_ALIASES, RHOB_ALIASES, VSH_ALIASES
from ._registry import REGISTRY, InputSpec, OutputSpec, udf

__all__ = [
    "RHO_MATRIX", "DT_MATRIX", "DT_FLUID", "PhidParams", "PhindParams", "PhisParams",
    "PhieParams", "density_porosity", "sonic_porosity",
]

Matrix = Literal["sandstone", "limestone", "dolomite", "custom"]
#: matrix densities, g/cc
RHO_MATRIX: dict[str, float] = {"sandstone": 2.65, "limestone": 2.71, "dolomite": 2.87}
#: matrix slowness, µs/ft
DT_MATRIX: dict[str, float] = {"sandstone": 55.5, "limestone": 47.6, "dolomite": 43.5}
DT_FLUID = 189.0
_US_PER_M_TO_US_PER_FT = 0.3048


class _DensityParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matrix: Matrix = Field("sandstone", description="Matrix lithology: sandstone 2.65, "
                           "limestone 2.71, dolomite 2.87 g/cc, or custom (give rho_ma)")
    rho_ma: float | None = Field(None, ge=1.5, le=3.5, title="Matrix density (g/cc)",
                                 description="Overrides `matrix` when set; required for custom")
    rho_fluid: float = Field(1.0, ge=0.5, le=1.5, title="Fluid density (g/cc)",
                             description="1.0 fresh water / filtrate, ~1.1 salty")
    density_unit: Literal["g/cc", "kg/m3"] = Field(
        "g/cc", description="Unit of the RHOB curve (rho_ma and rho_fluid are always in g/cc)")

    @property
    def effective_rho_ma(self) -> float:
        return float(self.rho_ma) if self.rho_ma is not None else RHO_MATRIX[self.matrix]

    @model_validator(mode="after")
    def _check_density(self) -> Any:
        if self.matrix == "custom" and self.rho_ma is None:
            raise ValueError("rho_ma is required when matrix is 'custom'")
        if not self.effective_rho_ma > self.rho_fluid:
            raise ValueError(f"matrix density ({self.effective_rho_ma}) must be greater than "
                             f"fluid density ({self.rho_fluid})")
        return self

    def _label(self) -> str:
        name = "custom" if self.rho_ma is not None else self.matrix
        return f"rho_ma {self.effective_rho_ma:g} ({name}), rho_f {self.rho_fluid:g} g/cc"


class PhidParams(_DensityParams):
    model_config = ConfigDict(extra="forbid", title="Density porosity")

    clip: bool = Field(False, description="Clip PHID to 0–1 (vendor DPHI curves are not clipped)")


class PhindParams(_DensityParams):
    model_config = ConfigDict(extra="forbid", title="Neutron-density porosity")

    mode: Literal["average", "gas"] = Field(
        "average", description="average: (NPHI+PHID)/2; gas: sqrt((NPHI²+PHID²)/2)")
    nphi_unit: Literal["v/v", "%"] = Field("v/v", description="Unit of the NPHI curve")
    clip: bool = Field(False, description="Clip PHIND to 0–1")


class PhisParams(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Sonic porosity (Wyllie)")

    matrix: Matrix = Field("sandstone", description="Matrix lithology: sandstone 55.5, "
                           "limestone 47.6, dolomite 43.5 µs/ft, or custom (give dt_ma)")
    dt_ma: float | None = Field(None, ge=30, le=100, title="Matrix slowness (µs/ft)",
                                description="Overrides `matrix` when set; required for custom")
    dt_fluid: float = Field(DT_FLUID, ge=150, le=250, title="Fluid slowness (µs/ft)")
    dt_unit: Literal["us/ft", "us/m"] = Field(
        "us/ft", description="Unit of the DT curve (dt_ma and dt_fluid are always in µs/ft)")
    clip: bool = Field(False, description="Clip PHIS to 0–1")

    @property
    def effective_dt_ma(self) -> float:
        return float(self.dt_ma) if self.dt_ma is not None else DT_MATRIX[self.matrix]

    @model_validator(mode="after")
    def _check(self) -> PhisParams:
        if self.matrix == "custom" and self.dt_ma is None:
            raise ValueError("dt_ma is required when matrix is 'custom'")
        if not self.dt_fluid > self.effective_dt_ma:
            raise ValueError("dt_fluid must be greater than the matrix slowness")
        return self


class PhieParams(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Effective porosity")

    clip: bool = Field(True, description="Clip PHIE to 0–1 (Vsh is always clipped to 0–1)")


def density_porosity(rhob: np.ndarray, rho_ma: float, rho_fluid: float = 1.0) -> np.ndarray:
    return (rho_ma - np.asarray(rhob, dtype=np.float64)) / (rho_ma - rho_fluid)


def sonic_porosity(dt: np.ndarray, dt_ma: float, dt_fluid: float = DT_FLUID) -> np.ndarray:
    return (np.asarray(dt, dtype=np.float64) - dt_ma) / (dt_fluid - dt_ma)


def _rhob_gcc(rhob: np.ndarray, p: _DensityParams) -> np.ndarray:
    return rhob / 1000.0 if p.density_unit == "kg/m3" else rhob


def _maybe_clip(x: np.ndarray, clip: bool) -> np.ndarray:
    return np.clip(x, 0.0, 1.0) if clip else x


@udf("phid", name="Density porosity", category="Porosity", registry=REGISTRY,
     description="PHID = (rho_ma - RHOB) / (rho_ma - rho_f); matrix sandstone 2.65, limestone "
                 "2.71, dolomite 2.87 g/cc or a custom value; rho_f 1.0.",
     inputs=[InputSpec("RHOB", RHOB_ALIASES, "G/CC", "Bulk density")],
     output=OutputSpec("PHID", "V/V",
                       lambda p, mn, un: f"Density porosity from {mn['RHOB']}, {p._label()}"),
     params=PhidParams)
def phid(inputs: dict[str, np.ndarray], params: PhidParams, ctx: Any) -> np.ndarray:
    rhob = _rhob_gcc(inputs["RHOB"], params)
    return _maybe_clip(density_porosity(rhob, params.effective_rho_ma, params.rho_fluid),
                       params.clip)


@udf("phind", name="Neutron-density porosity", category="Porosity", registry=REGISTRY,
     description="PHIND = (NPHI + PHID)/2, or in gas sqrt((NPHI² + PHID²)/2), with PHID from "
                 "RHOB as in 'phid'.",
     inputs=[InputSpec("NPHI", NPHI_ALIASES, "V/V", "Neutron porosity"),
             InputSpec("RHOB", RHOB_ALIASES, "G/CC", "Bulk density")],
     output=OutputSpec("PHIND", "V/V", lambda p, mn, un: (
         f"Neutron-density porosity ({p.mode}) from {mn['NPHI']} and {mn['RHOB']}, {p._label()}")),
     params=PhindParams)
def phind(inputs: dict[str, np.ndarray], params: PhindParams, ctx: Any) -> np.ndarray:
    nphi = inputs["NPHI"] / 100.0 if params.nphi_unit == "%" else inputs["NPHI"]
    pd = density_porosity(_rhob_gcc(inputs["RHOB"], params), params.effective_rho_ma,
                          params.rho_fluid)
    if params.mode == "gas":
        res = np.sqrt((nphi * nphi + pd * pd) / 2.0)
    else:
        res = (nphi + pd) / 2.0
    return _maybe_clip(res, params.clip)


@udf("phis", name="Sonic porosity (Wyllie)", category="Porosity", registry=REGISTRY,
     description="Wyllie time average PHIS = (DT - DTma)/(DTf - DTma); DTma sandstone 55.5, "
                 "limestone 47.6, dolomite 43.5 µs/ft; DTf 189 µs/ft.",
     inputs=[InputSpec("DT", DT_ALIASES, "US/F", "Compressional slowness")],
     output=OutputSpec("PHIS", "V/V", lambda p, mn, un: (
         f"Sonic porosity (Wyllie) from {mn['DT']}, DTma {p.effective_dt_ma:g}, "
         f"DTf {p.dt_fluid:g} us/ft")),
     params=PhisParams)
def phis(inputs: dict[str, np.ndarray], params: PhisParams, ctx: Any) -> np.ndarray:
    dt = inputs["DT"]
    if params.dt_unit == "us/m":
        dt = dt * _US_PER_M_TO_US_PER_FT
    return _maybe_clip(sonic_porosity(dt, params.effective_dt_ma, params.dt_fluid), params.clip)


@udf("phie", name="Effective porosity", category="Porosity", registry=REGISTRY,
     description="PHIE = PHIT · (1 - Vsh), Vsh clipped to 0–1.",
     inputs=[InputSpec("PHIT", PHIT_ALIASES, "V/V", "Total porosity"),
             InputSpec("VSH", VSH_ALIASES, "V/V", "Shale volume")],
     output=OutputSpec("PHIE", "V/V", "Effective porosity {PHIT} x (1 - {VSH})"),
     params=PhieParams)
def phie(inputs: dict[str, np.ndarray], params: PhieParams, ctx: Any) -> np.ndarray:
    res = inputs["PHIT"] * (1.0 - np.clip(inputs["VSH"], 0.0, 1.0))
    return _maybe_clip(res, params.clip)
