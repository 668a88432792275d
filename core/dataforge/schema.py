"""JSON Schema of every command's args and result and every event's payload — the
typed-bindings idea of tauri-specta, so a frontend in any language can generate types.
"""

from __future__ import annotations

import math
from typing import Any

import pydantic_core
from pydantic import BaseModel, TypeAdapter

from .. import AppHandle
from .api import (
    DataForgeStatus,
    DepthWindow,
    ExecuteUdfRequest,
    ExecuteUdfResult,
    ExecutionInfo,
    Selection,
    Settings,
)
from .models import CurveInfo, WellInfo, WorkspaceInfo

__all__ = ["DESCRIPTIONS", "EVENT_PAYLOADS", "app_schema", "to_jsonable"]


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

# What the schema says about a model and its fields, for readers of the schema (a frontend
# author), where the docstring speaks to the code's maintainers — or says nothing.
DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    ExecuteUdfRequest.__name__: (
        "What to run: a UDF on one well, with its parameters and, where needed, the curve to use "
        "for each input. Field names are snake_case.",
        {
            "udf_id": "Id of the UDF to run, as `list_udfs` lists it (e.g. `vsh_gr`).",
            "well_id": "Id of the well to run it on.",
            "workspace_id": "If given, the well must be in this workspace (a guard against "
                            "running on the wrong well).",
            "parameters": "The UDF's parameters by name; those left out take their defaults.",
            "inputs": "Input name -> curve id of this well. Inputs left out are matched by "
                      "mnemonic; an input that accepts any curve must be given here.",
            "save_result": "Save the output as a new curve of the well (default true).",
            "output_mnemonic": "Mnemonic of the saved curve (1-32 characters, no spaces, not "
                               "taken on the well). Default: the UDF's output name, numbered "
                               "if taken (GR_MA, GR_MA_2, ...).",
        },
    ),
    ExecuteUdfResult.__name__: (
        "A started execution: follow it with the `execution-*` events or `list_executions`, "
        "stop it with `cancel_execution`.",
        {"execution_id": "Id of the execution, as the `execution-*` events and "
                         "`cancel_execution` name it."},
    ),
}


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
    return _describe({"$schema": "https://json-schema.org/draft/2020-12/schema",
                      "commands": commands, "events": events})


def _describe(node: Any) -> Any:
    """Put `DESCRIPTIONS` on every schema of the models it names (in `$defs` or inline)."""
    if isinstance(node, dict):
        for value in node.values():
            _describe(value)
        described = DESCRIPTIONS.get(node.get("title")) if node.get("type") == "object" else None
        if described is not None:
            text, fields = described
            node["description"] = text
            for name, prop in (node.get("properties") or {}).items():
                if name in fields and isinstance(prop, dict):
                    prop["description"] = fields[name]
    elif isinstance(node, list):
        for value in node:
            _describe(value)
    return node


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
