"""Unit conversion of a curve.

ft→m ×0.3048, m→ft ÷0.3048, g/cc→kg/m³ ×1000, kg/m³→g/cc ÷1000, µs/ft→µs/m ×3.28084 (exactly
1/0.3048), µs/m→µs/ft ×0.3048, % → fraction ÷100, fraction → % ×100, or a custom
``y = x·factor + offset``.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._registry import REGISTRY, InputSpec, OutputSpec, udf

__all__ = ["UnitConvertParams", "CONVERSIONS", "Conversion", "convert"]

_FT = 0.3048


class Conversion(NamedTuple):
    factor: float
    unit: str      # output unit (LAS style)
    suffix: str    # output mnemonic suffix
    label: str


CONVERSIONS: dict[str, Conversion] = {
    "ft_to_m": Conversion(_FT, "M", "M", "ft -> m"),
    "m_to_ft": Conversion(1.0 / _FT, "FT", "FT", "m -> ft"),
    "gcc_to_kgm3": Conversion(1000.0, "KG/M3", "KGM3", "g/cc -> kg/m3"),
    "kgm3_to_gcc": Conversion(1.0 / 1000.0, "G/CC", "GCC", "kg/m3 -> g/cc"),
    "usft_to_usm": Conversion(1.0 / _FT, "US/M", "USM", "us/ft -> us/m"),
    "usm_to_usft": Conversion(_FT, "US/F", "USF", "us/m -> us/ft"),
    "percent_to_fraction": Conversion(0.01, "V/V", "VV", "% -> fraction"),
    "fraction_to_percent": Conversion(100.0, "%", "PCT", "fraction -> %"),
}

ConversionName = Literal["ft_to_m", "m_to_ft", "gcc_to_kgm3", "kgm3_to_gcc", "usft_to_usm",
                         "usm_to_usft", "percent_to_fraction", "fraction_to_percent", "custom"]


class UnitConvertParams(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Unit conversion")

    conversion: ConversionName = Field("ft_to_m", description="Which conversion to apply")
    factor: float = Field(1.0, title="Custom factor", description="custom: y = x·factor + offset")
    offset: float = Field(0.0, title="Custom offset", description="custom: y = x·factor + offset")
    unit: str = Field("", max_length=32, title="Custom output unit",
                      description="custom: unit of the result")

    @model_validator(mode="after")
    def _check(self) -> UnitConvertParams:
        if self.conversion == "custom" and self.factor == 0:
            raise ValueError("factor must not be 0")
        return self


def convert(x: np.ndarray, conversion: str, factor: float = 1.0, offset: float = 0.0) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if conversion == "custom":
        return x * factor + offset
    return x * CONVERSIONS[conversion].factor


def _mnemonic(p: UnitConvertParams, mn: Any, un: Any) -> str:
    suffix = "CONV" if p.conversion == "custom" else CONVERSIONS[p.conversion].suffix
    return f"{mn['curve']}_{suffix}"


def _unit(p: UnitConvertParams, mn: Any, un: Any) -> str:
    return p.unit if p.conversion == "custom" else CONVERSIONS[p.conversion].unit


def _description(p: UnitConvertParams, mn: Any, un: Any) -> str:
    if p.conversion == "custom":
        return f"{mn['curve']} x {p.factor:g} + {p.offset:g}"
    return f"{mn['curve']} converted {CONVERSIONS[p.conversion].label}"


@udf("unit_convert", name="Unit conversion", category="Units", registry=REGISTRY,
     description="Convert a curve: ft<->m, g/cc<->kg/m3, us/ft<->us/m, %<->fraction, or custom "
                 "factor/offset.",
     inputs=[InputSpec("curve", (), "", "Curve to convert (any)")],
     output=OutputSpec(_mnemonic, _unit, _description),
     params=UnitConvertParams)
def unit_convert(inputs: dict[str, np.ndarray], params: UnitConvertParams,
                 ctx: Any) -> np.ndarray:
    return convert(inputs["curve"], params.conversion, params.factor, params.offset)
