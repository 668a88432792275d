"""Depth units for display: values are stored in the well's own unit, shown in the user's."""

from __future__ import annotations

import math

__all__ = ["to_unit", "fmt_depth"]

_FACTORS = {("ft", "m"): 0.3048, ("m", "ft"): 1 / 0.3048}


def _norm(unit: str | None) -> str:
    u = (unit or "m").strip().lower()
    return "ft" if u in ("ft", "f", "feet", "foot") else "m"


def to_unit(value: float, from_unit: str | None, to: str) -> float:
    return value * _FACTORS.get((_norm(from_unit), _norm(to)), 1.0)


def fmt_depth(value: float | None, from_unit: str | None, to: str, digits: int = 2) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{to_unit(value, from_unit, to):,.{digits}f} {_norm(to)}"
