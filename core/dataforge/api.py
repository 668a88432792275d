"""Request/result models of the DataForge commands (the seed's TypeScript types).

Data models (workspaces, wells, curves) live in `models.py`; these are the ones
that only exist at the command boundary: selection, view and settings state,
execution requests and results, and the status line.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Selection",
    "DepthWindow",
    "Settings",
    "ExecuteUdfRequest",
    "ExecuteUdfResult",
    "ExecutionInfo",
    "DataForgeStatus",
    "UdfCheck",
]


class Selection(BaseModel):
    """The shared selection every linked pane follows."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int | None = None
    well_id: int | None = None
    curve_id: int | None = None


class DepthWindow(BaseModel):
    """The depth range and cursor that linked log-track panes share."""

    model_config = ConfigDict(frozen=True)

    top: float | None = None
    bottom: float | None = None
    cursor: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "DepthWindow":
        if self.top is not None and self.bottom is not None and not self.top < self.bottom:
            raise ValueError(f"top ({self.top}) must be above bottom ({self.bottom})")
        return self


class Settings(BaseModel):
    """App-wide settings, changed only from the settings window."""

    model_config = ConfigDict(frozen=True)

    theme: str = "textual-dark"
    depth_unit: Literal["m", "ft"] = "m"


class ExecuteUdfRequest(BaseModel):
    """The seed's `execute_udf` request (snake_case fields, as the seed sends them)."""

    udf_id: str = Field(min_length=1)
    well_id: int
    workspace_id: int | None = None
    parameters: dict[str, Any] = {}
    inputs: dict[str, int] | None = None  # input name -> curve id overrides
    save_result: bool = True
    output_mnemonic: str | None = None


class ExecuteUdfResult(BaseModel):
    execution_id: str
    udf_id: str
    well_id: int
    state: Literal["running", "completed", "failed", "cancelled"] = "running"


class ExecutionInfo(BaseModel):
    """One execution as the Executions pane shows it."""

    id: str
    udf_id: str
    well_id: int
    name: str
    state: Literal["running", "completed", "failed", "cancelled"]
    fraction: float
    message: str | None = None
    started_at: float
    finished_at: float | None = None
    error: str | None = None
    curve_id: int | None = None


class DataForgeStatus(BaseModel):
    data_dir: str
    database: str
    workspaces: int
    wells: int
    curves: int
    udfs: int
    running_executions: int
    version: str


class UdfCheck(BaseModel):
    """What `execute_udf` would do with a request, or why it would refuse — per field, so
    a form can show each problem next to its input before anything is sent."""

    ok: bool
    param_errors: dict[str, str] = {}
    input_errors: dict[str, str] = {}
    error: str | None = None
    inputs: dict[str, int] = {}
    parameters: dict[str, Any] = {}
    output_mnemonic: str | None = None
    output_unit: str | None = None
