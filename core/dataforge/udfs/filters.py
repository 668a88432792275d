"""NaN-aware filters: moving average, median, despike, and normalisation.

Windows are centred, odd, in samples or in depth units (``depth_window ÷ |step|`` rounded to the
nearest sample count, then up to the next odd number). Windows ignore NaNs but a NaN input sample
stays NaN in the output: nothing is interpolated across nulls.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._errors import UdfInputError, UdfParamsError
from ._registry import REGISTRY, InputSpec, OutputSpec, udf
from ._rolling import rolling_mean, rolling_median, rolling_median_mad, rolling_std

__all__ = [
    "MovingAverageParams", "MedianFilterParams", "DespikeParams", "NormalizeParams",
    "window_in_samples", "despike_array", "MAX_WINDOW",
]

MAX_WINDOW = 1_001   # 152 m at 0.1524 m; larger windows make cancellation sluggish
_MAD_TO_SIGMA = 1.4826


def _window_field(default: int) -> Any:
    return Field(default, ge=1, le=MAX_WINDOW, title="Window (samples)",
                 description="Odd number of samples; ignored when depth_window is set")


def _depth_window_field() -> Any:
    return Field(None, gt=0, title="Window (depth units)",
                 description="Window length in the curve's depth unit; converted with the depth "
                             "step to the nearest sample count, made odd")


class _WindowParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: int = _window_field(5)
    depth_window: float | None = _depth_window_field()

    @field_validator("window")
    @classmethod
    def _odd(cls, v: int) -> int:
        if v % 2 == 0:
            raise ValueError(f"window must be an odd number of samples, got {v}")
        return v


def window_in_samples(params: Any, step: float | None) -> int:
    """Samples in the window: ``params.window``, or ``params.depth_window / |step|`` made odd."""
    dw = getattr(params, "depth_window", None)
    if dw is None:
        return int(params.window)
    if step is None or not math.isfinite(step) or step == 0:
        raise UdfParamsError("invalid parameters: depth_window needs the curve's depth step "
                             "(pass step=...) or give the window in samples",
                             errors=[{"field": "depth_window", "message": "needs the depth step"}])
    n = int(math.floor(dw / abs(step) + 0.5))
    if n % 2 == 0:
        n += 1
    n = max(n, 1)
    if n > MAX_WINDOW:
        raise UdfParamsError(f"invalid parameters: depth_window {dw:g} is {n} samples "
                             f"(more than {MAX_WINDOW})",
                             errors=[{"field": "depth_window", "message": "too long"}])
    return n


def _window_label(p: Any) -> str:
    if p.depth_window is not None:
        return f"window {p.depth_window:g} (depth units)"
    return f"window {p.window} samples"


def _core_keep_nan(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    y[np.isnan(x)] = np.nan
    return y


_CURVE = InputSpec("curve", (), "", "Curve to filter (any)")


# --- moving average ---------------------------------------------------------------------------

class MovingAverageParams(_WindowParams):
    model_config = ConfigDict(extra="forbid", title="Moving average")

    window: int = _window_field(5)


@udf("moving_average", name="Moving average", category="Filters", registry=REGISTRY,
     description="Centred NaN-aware moving average (odd window in samples or depth units). "
                 "Nulls stay null.",
     inputs=[_CURVE],
     output=OutputSpec("{curve}_MA", "{curve_unit}",
                       lambda p, mn, un: f"{mn['curve']} moving average, {_window_label(p)}"),
     params=MovingAverageParams, window=window_in_samples)
def moving_average(inputs: dict[str, np.ndarray], params: MovingAverageParams,
                   ctx: Any) -> np.ndarray:
    x = inputs["curve"]
    return _core_keep_nan(x, rolling_mean(x, ctx.window))


# --- median -----------------------------------------------------------------------------------

class MedianFilterParams(_WindowParams):
    model_config = ConfigDict(extra="forbid", title="Median filter")

    window: int = _window_field(5)


@udf("median_filter", name="Median filter", category="Filters", registry=REGISTRY,
     description="Centred NaN-aware running median (odd window in samples or depth units). "
                 "Nulls stay null.",
     inputs=[_CURVE],
     output=OutputSpec("{curve}_MED", "{curve_unit}",
                       lambda p, mn, un: f"{mn['curve']} median filter, {_window_label(p)}"),
     params=MedianFilterParams, window=window_in_samples)
def median_filter(inputs: dict[str, np.ndarray], params: MedianFilterParams,
                  ctx: Any) -> np.ndarray:
    x = inputs["curve"]
    return _core_keep_nan(x, rolling_median(x, ctx.window))


# --- despike ----------------------------------------------------------------------------------

class DespikeParams(_WindowParams):
    model_config = ConfigDict(extra="forbid", title="Despike")

    window: int = _window_field(33)
    z: float = Field(2.0, gt=0, le=50, title="Threshold (z)",
                     description="A sample is a spike when |x - rolling median| > z x spread")
    method: Literal["std", "mad"] = Field(
        "std", description="Spread: rolling standard deviation, or 1.4826 x rolling MAD (Hampel)")


def despike_array(x: np.ndarray, window: int, z: float = 2.0, method: str = "std") -> np.ndarray:
    """Replace spikes by the rolling median; NaN stays NaN."""
    x = np.asarray(x, dtype=np.float64)
    if method == "mad":
        med, mad = rolling_median_mad(x, window)
        spread = _MAD_TO_SIGMA * mad
    else:
        med = rolling_median(x, window)
        spread = rolling_std(x, window)
    with np.errstate(invalid="ignore"):
        spike = np.abs(x - med) > z * spread
    return _core_keep_nan(x, np.where(spike, med, x))


@udf("despike", name="Despike", category="Filters", registry=REGISTRY,
     description="Replace spikes (|x - rolling median| > z x rolling std, or Hampel with MAD) by "
                 "the rolling median; window 33, z 2 by default. Nulls stay null.",
     inputs=[_CURVE],
     output=OutputSpec("{curve}_DS", "{curve_unit}", lambda p, mn, un: (
         f"{mn['curve']} despiked, rolling median ± {p.z:g} x "
         f"{'std' if p.method == 'std' else '1.4826 MAD'}, {_window_label(p)}")),
     params=DespikeParams, window=window_in_samples)
def despike(inputs: dict[str, np.ndarray], params: DespikeParams, ctx: Any) -> np.ndarray:
    return despike_array(inputs["curve"], ctx.window, params.z, params.method)


# --- normalisation ----------------------------------------------------------------------------

class NormalizeParams(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Normalise")

    method: Literal["percentile", "minmax", "zscore"] = Field(
        "percentile", description="percentile: P<p_low>/P<p_high> -> ref_low/ref_high; "
                                  "minmax: min/max -> ref_low/ref_high; zscore: (x - mean)/std")
    p_low: float = Field(5.0, ge=0, le=50, title="Low percentile")
    p_high: float = Field(95.0, ge=50, le=100, title="High percentile")
    ref_low: float = Field(0.0, title="Reference low",
                           description="Value the low point maps to (e.g. a type well's P5)")
    ref_high: float = Field(1.0, title="Reference high",
                            description="Value the high point maps to (e.g. a type well's P95)")

    @model_validator(mode="after")
    def _check(self) -> NormalizeParams:
        if not self.p_high > self.p_low:
            raise ValueError("p_high must be greater than p_low")
        if self.ref_high == self.ref_low:
            raise ValueError("ref_high must differ from ref_low")
        return self


def _norm_stats(inputs: dict[str, np.ndarray], p: NormalizeParams, ctx: Any) -> dict[str, float]:
    x = inputs["curve"]
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        raise UdfInputError("input 'curve' has no valid (non-null) samples to normalise",
                            input_name="curve")
    if p.method == "zscore":
        mean, std = float(finite.mean()), float(finite.std())
        if not std > 0:
            raise UdfInputError("cannot z-score a constant curve (std = 0)", input_name="curve")
        return {"mean": mean, "std": std}
    if p.method == "minmax":
        lo, hi = float(finite.min()), float(finite.max())
    else:
        lo, hi = (float(v) for v in np.percentile(finite, [p.p_low, p.p_high]))
    if not hi > lo:
        raise UdfInputError(f"cannot normalise: the curve's low and high points are equal "
                            f"({lo:g})", input_name="curve")
    return {"low": lo, "high": hi}


def _norm_unit(p: NormalizeParams, mn: Any, un: Any) -> str:
    if p.method == "zscore" or (p.ref_low, p.ref_high) == (0.0, 1.0):
        return ""
    return un["curve"]


def _norm_description(p: NormalizeParams, mn: Any, un: Any) -> str:
    if p.method == "zscore":
        return f"{mn['curve']} z-score"
    src = "min/max" if p.method == "minmax" else f"P{p.p_low:g}/P{p.p_high:g}"
    return f"{mn['curve']} normalised, {src} -> {p.ref_low:g}/{p.ref_high:g}"


@udf("normalize", name="Normalise", category="Filters", registry=REGISTRY,
     description="Normalise a curve: percentile (P5/P95 -> reference low/high), min-max, or "
                 "z-score. Statistics are taken over the whole curve (nulls ignored).",
     inputs=[InputSpec("curve", (), "", "Curve to normalise (any)")],
     output=OutputSpec("{curve}_NORM", _norm_unit, _norm_description),
     params=NormalizeParams, prepare=_norm_stats)
def normalize(inputs: dict[str, np.ndarray], params: NormalizeParams, ctx: Any) -> np.ndarray:
    x = inputs["curve"]
    s = ctx.stats
    if params.method == "zscore":
        return (x - s["mean"]) / s["std"]
    scale = (params.ref_high - params.ref_low) / (s["high"] - s["low"])
    return params.ref_low + (x - s["low"]) * scale
