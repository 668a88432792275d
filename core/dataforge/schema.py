"""JSON Schema of every command's args and result and every event's payload — the
typed-bindings idea of tauri-specta, so a frontend in any language can generate types.
"""

from __future__ import annotations

import math
from typing import Any

import pydantic_core
from pydantic import BaseModel, TypeAdapter

from .. import AppHandle
from .api import DataForgeStatus, DepthWindow, ExecutionInfo, Selection, Settings
from .models import CurveInfo, WellInfo, WorkspaceInfo

__all__ = ["EVENT_PAYLOADS", "app_schema", "to_jsonable"]


class _Id(BaseModel):
    id: str


class _Progress(_Id):
    fraction: float
    message: str | None = None


class _Complete(_Id):
    result: Any = None


class _Failed(_Id):
    error: str


class _WellAdded(BaseModel):
    workspace_id: int
    well: WellInfo


class _CurveAdded(BaseModel):
    well_id: int
    curve: CurveInfo


class _CurveDeleted(BaseModel):
    curve_id: int
    well_id: int


class _CurveUpdated(_CurveDeleted):
    curve: CurveInfo


class _Refreshed(BaseModel):
    reason: str
    data_version: int | None = None


class _ListenerError(BaseModel):
    event: str
    error: str
    listener: int
    window: str | None = None


def _revisioned(model: type) -> dict[str, Any]:
    return {"type": "object", "properties": {"revision": {"type": "integer"},
                                             "value": TypeAdapter(model).json_schema()},
            "required": ["revision", "value"]}


EVENT_PAYLOADS: dict[str, Any] = {
    "workspace-added": WorkspaceInfo,
    "workspace-selected": dict[str, int],
    "well-selected": dict[str, int | None],
    "curve-selected": dict[str, int | None],
    "well-added": _WellAdded,
    "curve-added": _CurveAdded,
    "curve-deleted": _CurveDeleted,
    "curve-updated": _CurveUpdated,
    "data-refreshed": _Refreshed,
    "settings-changed": Settings,
    "execution-started": dict[str, Any],
    "execution-progress": _Progress,
    "execution-complete": _Complete,
    "execution-failed": _Failed,
    "execution-cancelled": _Id,
    "window-created": str,
    "window-closed": str,
    "listener-error": _ListenerError,
}
STATE_PAYLOADS = {"state:selection": Selection, "state:depth_window": DepthWindow,
                  "state:settings": Settings}
_ = (DataForgeStatus, ExecutionInfo)  # reachable through command results


def app_schema(app: AppHandle) -> dict[str, Any]:
    commands = {}
    for name, spec in sorted(app.commands.items()):
        args = spec.adapter.json_schema() if spec.adapter is not None else {
            "type": "object", "properties": {}}
        try:
            result = TypeAdapter(spec.result_type).json_schema()
        except Exception:  # an un-schema-able return type: say so rather than fail
            result = {"description": f"not describable: {spec.result_type!r}"}
        commands[name] = {"description": spec.doc, "args": args, "result": result,
                          "thread": spec.thread, "async": spec.is_async}
    events = {name: TypeAdapter(tp).json_schema() for name, tp in EVENT_PAYLOADS.items()}
    events.update({name: _revisioned(tp) for name, tp in STATE_PAYLOADS.items()})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "commands": commands, "events": events}


def to_jsonable(value: Any) -> Any:
    """Plain JSON values; NaN and infinities become null (JSON has no NaN)."""
    return _clean(pydantic_core.to_jsonable_python(value, fallback=repr))


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value
