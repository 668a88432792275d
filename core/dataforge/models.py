"""Data models of the DataForge backend (the seed's `WorkspaceInfo`, `WellInfo`, `CurveInfo`,
`CurveData`), plus the errors that name what was not found or could not be read."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "WorkspaceInfo",
    "WellInfo",
    "CurveInfo",
    "CurveData",
    "CurveStats",
    "ImportResult",
    "NotFound",
    "LasImportError",
]


class NotFound(LookupError):
    """`workspace 7 not found`, `well 3 not found`, `curve 12 not found`."""

    def __init__(self, kind: str, ident: Any) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind, self.ident = kind, ident

    def __str__(self) -> str:  # LookupError would quote the message
        return self.args[0]


class LasImportError(ValueError):
    """A LAS file could not be imported; the message starts with the file name."""


class WorkspaceInfo(BaseModel):
    id: int
    name: str
    well_count: int = 0
    created_at: str | None = None


class WellInfo(BaseModel):
    id: int
    workspace_id: int
    name: str
    uwi: str | None = None
    company: str | None = None
    field: str | None = None
    location: str | None = None
    start_depth: float | None = None
    stop_depth: float | None = None
    step: float | None = None
    depth_unit: str = "m"
    null_value: float | None = None
    source_file: str | None = None
    curve_count: int = 0


class CurveInfo(BaseModel):
    id: int
    well_id: int
    mnemonic: str
    unit: str = ""
    description: str = ""
    sample_count: int = 0
    null_count: int = 0
    min_depth: float | None = None
    max_depth: float | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    provenance: dict[str, Any] | None = None
    is_computed: bool = False


class CurveData(BaseModel):
    """Samples in depth order; NaN for nulls (JSON `null` on the CLI)."""

    model_config = ConfigDict(ser_json_inf_nan="null")

    curve_id: int
    mnemonic: str
    unit: str = ""
    depths: list[float]
    values: list[float]
    thinned: bool = False


class CurveStats(BaseModel):
    curve_id: int
    count: int
    nulls: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    p10: float | None = None
    p50: float | None = None
    p90: float | None = None


class ImportResult(BaseModel):
    well: WellInfo
    curves: list[CurveInfo]
    warnings: list[str] = []
