"""The DataForge commands: the seed's names, `core` commands, pydantic results.

Commands that touch the disk run in worker threads (`thread=True`) so a pane's
event loop never waits on SQLite or lasio. Every change is announced with an
event so every window stays in sync without polling.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import AppHandle, State, command
from ..tasks import TaskManager
from . import las_io
from .api import (
    DataForgeStatus,
    DepthWindow,
    ExecuteUdfRequest,
    ExecuteUdfResult,
    ExecutionInfo,
    Selection,
    Settings,
    UdfCheck,
)
from .context import DataForge
from .models import CurveData, CurveInfo, CurveStats, ImportResult, WellInfo, WorkspaceInfo
from .udfs import UdfInfo

__all__ = ["COMMANDS"]


# ---- status -------------------------------------------------------------------------
@command(thread=True)
def get_dataforge_status(df: State[DataForge], tasks: State[TaskManager]) -> DataForgeStatus:
    """Data dir, counts and running executions (the status bar)."""
    counts = df.db.counts()
    running = sum(1 for t in tasks.list("execution") if t.state == "running")
    return DataForgeStatus(
        data_dir=str(df.data_dir), database=str(df.db.path), workspaces=counts["workspaces"],
        wells=counts["wells"], curves=counts["curves"], udfs=len(df.registry.list()),
        running_executions=running, version=df.version,
    )


# ---- workspaces, wells, curves --------------------------------------------------------
@command(thread=True)
def list_workspaces(df: State[DataForge]) -> list[WorkspaceInfo]:
    return df.db.list_workspaces()


@command(thread=True)
def create_workspace(name: str, df: State[DataForge], app: AppHandle) -> WorkspaceInfo:
    ws = df.db.create_workspace(name)
    app.emit("workspace-added", ws.model_dump())
    return ws


@command(thread=True)
def list_wells(workspace_id: int, df: State[DataForge]) -> list[WellInfo]:
    df.db.get_workspace(workspace_id)  # a clear "workspace N not found"
    return df.db.list_wells(workspace_id)


@command(thread=True)
def get_well(well_id: int, df: State[DataForge]) -> WellInfo:
    return df.db.get_well(well_id)


@command(thread=True)
def list_curves(well_id: int, df: State[DataForge]) -> list[CurveInfo]:
    df.db.get_well(well_id)
    return df.db.list_curves(well_id)


@command(thread=True)
def get_curve_data(
    curve_id: int,
    df: State[DataForge],
    top: float | None = None,
    bottom: float | None = None,
    max_points: int | None = None,
) -> CurveData:
    """Samples in depth order; with `max_points`, min/max-thinned so plots stay exact."""
    if max_points is not None and max_points < 2:
        raise ValueError("max_points must be at least 2")
    if top is not None and bottom is not None and top > bottom:
        raise ValueError(f"top ({top}) is below bottom ({bottom})")
    return df.db.get_curve_data(curve_id, top=top, bottom=bottom, max_points=max_points)


@command(thread=True)
def get_curve_stats(curve_id: int, df: State[DataForge]) -> CurveStats:
    return df.db.get_curve_stats(curve_id)


@command(thread=True)
def delete_curve(curve_id: int, df: State[DataForge], app: AppHandle) -> None:
    curve = df.db.get_curve(curve_id)
    df.db.delete_curve(curve_id)
    sel = app.shared("selection")
    if sel.get().curve_id == curve_id:
        sel.update(lambda s: s.model_copy(update={"curve_id": None}))
    app.emit("curve-deleted", {"curve_id": curve_id, "well_id": curve.well_id})


@command(thread=True)
def rename_curve(curve_id: int, mnemonic: str, df: State[DataForge], app: AppHandle) -> CurveInfo:
    curve = df.db.rename_curve(curve_id, mnemonic)
    app.emit("curve-updated", {"curve_id": curve_id, "well_id": curve.well_id,
                               "curve": curve.model_dump()})
    return curve


# ---- selection (shared state: a new window knows it at once) -------------------------
# On the loop, not in a thread: one indexed read, and selection latency is what users feel.
@command
def select_workspace(workspace_id: int, df: State[DataForge], app: AppHandle) -> Selection:
    df.db.get_workspace(workspace_id)
    sel = Selection(workspace_id=workspace_id)  # clears the dependent well and curve
    app.shared("selection").set(sel)
    app.emit("workspace-selected", {"workspace_id": workspace_id})
    return sel


@command
def select_well(well_id: int | None, df: State[DataForge], app: AppHandle) -> Selection:
    ws = df.db.get_well(well_id).workspace_id if well_id is not None else None
    shared = app.shared("selection")
    sel = Selection(workspace_id=ws if ws is not None else shared.get().workspace_id, well_id=well_id)
    shared.set(sel)
    app.emit("well-selected", {"well_id": well_id})
    return sel


@command
def select_curve(curve_id: int | None, df: State[DataForge], app: AppHandle) -> Selection:
    shared = app.shared("selection")
    if curve_id is None:
        sel = shared.get().model_copy(update={"curve_id": None})
    else:
        curve = df.db.get_curve(curve_id)
        well = df.db.get_well(curve.well_id)
        sel = Selection(workspace_id=well.workspace_id, well_id=well.id, curve_id=curve_id)
    shared.set(sel)
    app.emit("curve-selected", {"curve_id": curve_id})
    return sel


@command
def get_current_selection(app: AppHandle) -> Selection:
    return app.shared("selection").get()


@command
def set_depth_window(
    app: AppHandle, top: float | None = None, bottom: float | None = None,
    cursor: float | None = None,
) -> DepthWindow:
    """Move the shared depth window / cursor that linked log tracks follow."""
    view = DepthWindow(top=top, bottom=bottom, cursor=cursor)
    app.shared("depth_window").set(view)
    return view


@command
def get_settings(app: AppHandle) -> Settings:
    return app.shared("settings").get()


@command
def update_settings(changes: dict[str, Any], df: State[DataForge], app: AppHandle) -> Settings:
    """Validate and apply settings changes; every window follows `state:settings`."""
    shared = app.shared("settings")
    new = Settings.model_validate({**shared.get().model_dump(), **changes})
    unknown = set(changes) - set(Settings.model_fields)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    df.save_settings(new)
    shared.set(new)
    app.emit("settings-changed", new.model_dump())
    return new


# ---- LAS in and out -----------------------------------------------------------------
@command(thread=True)
def import_las(path: str, df: State[DataForge], app: AppHandle,
               workspace_id: int | None = None) -> ImportResult:
    """Import one LAS file as a well (all or nothing); announces `well-added` and `curve-added`.

    Without a workspace the file goes to the first one, or to a new "Default": created only
    once the file has been read, so a file that cannot be imported leaves no empty workspace.
    """
    if workspace_id is not None:
        df.db.get_workspace(workspace_id)  # a wrong id is reported before the file is read
    parsed = las_io.parse_las(Path(path))
    if workspace_id is None:
        workspace_id = df.default_workspace_id()
    result = las_io.store_las(df.db, parsed, workspace_id)
    app.emit("well-added", {"workspace_id": workspace_id, "well": result.well.model_dump()})
    for curve in result.curves:
        app.emit("curve-added", {"well_id": result.well.id, "curve": curve.model_dump()})
    return result


@command(thread=True)
def export_las(well_id: int, path: str, df: State[DataForge],
               curve_ids: list[int] | None = None, overwrite: bool = True) -> str:
    """Write a well as LAS 2.0 (atomically); `overwrite=False` never replaces an existing file."""
    out = las_io.export_las(df.db, well_id, Path(path), curve_ids=curve_ids, overwrite=overwrite)
    return str(out or path)


# ---- UDFs and executions ------------------------------------------------------------
@command
def list_udfs(df: State[DataForge]) -> list[UdfInfo]:
    return df.registry.list()


@command(thread=True)
def check_udf_request(request: ExecuteUdfRequest, df: State[DataForge]) -> UdfCheck:
    """Dry run of `execute_udf`: per-field errors, the matched inputs and the output curve."""
    return df.check_request(request)


@command(thread=True)
def execute_udf(request: ExecuteUdfRequest, df: State[DataForge], tasks: State[TaskManager],
                app: AppHandle) -> ExecuteUdfResult:
    """Start a UDF on a well; returns an execution id at once, the work runs as a task."""
    plan = df.plan_execution(request)  # validates UDF, params and inputs before anything runs
    eid = tasks.spawn(lambda progress, cancel: df.run_execution(plan, progress, cancel, app),
                      name=f"{request.udf_id} on {plan.well_name}", kind="execution",
                      meta={"udf_id": request.udf_id, "well_id": request.well_id})
    return ExecuteUdfResult(execution_id=eid, udf_id=request.udf_id, well_id=request.well_id)


@command
def cancel_execution(execution_id: str, tasks: State[TaskManager]) -> bool:
    """True if a running execution was asked to stop; False if it had already finished."""
    return tasks.cancel(execution_id)


@command
def list_executions(tasks: State[TaskManager]) -> list[ExecutionInfo]:
    out = []
    for t in tasks.list("execution"):
        result = tasks.result(t.id) or {}
        out.append(ExecutionInfo(
            id=t.id, udf_id=t.meta.get("udf_id", ""), well_id=t.meta.get("well_id", 0),
            name=t.name, state=t.state, fraction=t.fraction, message=t.message,
            started_at=t.started_at, finished_at=t.finished_at, error=t.error,
            curve_id=result.get("curve", {}).get("id") if isinstance(result, dict) else None,
        ))
    return out


@command
def ping(app: AppHandle) -> float:
    """Round-trip check for the CLI and the benchmark."""
    return time.time()


COMMANDS = (
    get_dataforge_status, list_workspaces, create_workspace, list_wells, get_well, list_curves,
    get_curve_data, get_curve_stats, delete_curve, rename_curve, select_workspace, select_well,
    select_curve, get_current_selection, set_depth_window, get_settings, update_settings,
    import_las, export_las, list_udfs, check_udf_request, execute_udf, cancel_execution, list_executions, ping,
)
