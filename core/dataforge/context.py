"""`DataForge`: the managed state behind the commands (the seed's `ComputeState`).

It owns the database, the UDF registry and the external-change watcher, and
knows how to plan and run one UDF execution. Planning happens in the command,
before a task starts, so a bad request fails at once with a clear message;
running happens in the task thread with progress and cancellation.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import paths
from .api import ExecuteUdfRequest, Settings, UdfCheck
from .db import Database
from .udfs import REGISTRY, UdfRegistry, execute, match_inputs
from .udfs._errors import UdfInputError, UdfParamsError

if TYPE_CHECKING:
    from ..import AppHandle

__all__ = ["DataForge", "ExecutionPlan", "ExternalChangeWatcher"]

log = logging.getLogger("core.dataforge")


@dataclass(frozen=True)
class ExecutionPlan:
    request: ExecuteUdfRequest
    well_name: str
    inputs: dict[str, int]  # input name -> curve id
    params: Any
    mnemonic: str
    unit: str
    description: str
    step: float | None


_MNEMONIC = re.compile(r"\S{1,32}")


def _free_mnemonic(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... — the first not in `taken` (upper-cased names)."""
    base = base[:32]
    if base.upper() not in taken:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        name = base[: 32 - len(suffix)] + suffix
        if name.upper() not in taken:
            return name
        n += 1


@dataclass
class DataForge:
    data_dir: Path
    db: Database
    registry: UdfRegistry = field(default_factory=lambda: REGISTRY)
    version: str = "0.1.0"
    plugin_errors: list[tuple[str, str]] = field(default_factory=list)
    _default_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # ---- settings, kept in the data dir ------------------------------------------------------
    def load_settings(self) -> Settings:
        path = Path(self.data_dir) / "settings.json"
        try:
            return Settings.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError) as exc:
            log.warning("settings file %s ignored: %s", path, exc)
            return Settings()

    def save_settings(self, settings: Settings) -> None:
        """Atomically: a crash mid-write leaves the previous settings."""
        paths.write_text_atomically(Path(self.data_dir) / "settings.json", settings.model_dump_json(indent=1))

    def default_workspace_id(self) -> int:
        """The first workspace, or a new "Default" — made once even when two imports ask at once."""
        with self._default_lock:
            workspaces = self.db.list_workspaces()
            if workspaces:
                return workspaces[0].id
            try:
                return self.db.create_workspace("Default").id
            except ValueError:  # another process made one meanwhile
                return self.db.list_workspaces()[0].id

    # ---- UDF executions ----------------------------------------------------------------
    def plan_execution(self, request: ExecuteUdfRequest) -> ExecutionPlan:
        udf = self.registry.get(request.udf_id)
        well = self.db.get_well(request.well_id)
        if request.workspace_id is not None and well.workspace_id != request.workspace_id:
            raise ValueError(f"well {well.id} is not in workspace {request.workspace_id}")
        udf.validate_params(request.parameters)  # parameter errors first: they are the user's
        curves = self.db.list_curves(well.id)
        by_id = {c.id: c for c in curves}
        for name, cid in (request.inputs or {}).items():
            if cid not in by_id:
                raise UdfInputError(f"input `{name}`: curve {cid} is not a curve of well {well.name!r}",
                                    input_name=name)
        mapping = match_inputs(udf, [(c.id, c.mnemonic) for c in curves], request.inputs,
                               registry=self.registry)
        units = {n: by_id[c].unit for n, c in mapping.items()}
        params = udf.validate_params(_unit_defaults(udf, request.parameters, units))
        out = udf.output_for(params, {n: by_id[c].mnemonic for n, c in mapping.items()},
                             {n: by_id[c].unit for n, c in mapping.items()})
        taken = {c.mnemonic.upper() for c in curves}
        if request.output_mnemonic is not None and request.output_mnemonic.strip():
            mnemonic = request.output_mnemonic.strip()
            if not _MNEMONIC.fullmatch(mnemonic):
                raise ValueError(f"output mnemonic {mnemonic!r}: 1–32 characters, no spaces")
            if mnemonic.upper() in taken:
                raise ValueError(f"well {well.name!r} already has a curve named {mnemonic}: "
                                 "choose another output mnemonic")
        else:  # the UDF's default name, numbered when an earlier run took it: GR_MA, GR_MA_2, ...
            mnemonic = _free_mnemonic(out.mnemonic.strip(), taken)
        return ExecutionPlan(request, well.name, dict(mapping), params, mnemonic, out.unit,
                             out.description, well.step)

    def check_request(self, request: ExecuteUdfRequest) -> UdfCheck:
        """Validate a request the way `plan_execution` does, collecting every problem."""
        udf = self.registry.get(request.udf_id)
        param_errors: dict[str, str] = {}
        try:
            udf.validate_params(request.parameters)
        except UdfParamsError as exc:
            for err in exc.errors:
                param_errors.setdefault(str(err.get("field") or "parameters"), str(err.get("message")))
        try:
            plan = self.plan_execution(request)
        except UdfParamsError as exc:  # a rule across the request (a unit against its curve)
            plan = None
            for err in exc.errors:
                param_errors.setdefault(str(err.get("field") or "parameters"), str(err.get("message")))
        except UdfInputError as exc:
            return UdfCheck(ok=False, param_errors=param_errors, error=str(exc),
                            input_errors={getattr(exc, "input_name", None) or "inputs": str(exc)})
        except ValueError as exc:  # the output mnemonic (invalid, or taken), a well elsewhere
            return UdfCheck(ok=False, param_errors=param_errors, error=str(exc))
        if plan is None or param_errors:
            return UdfCheck(ok=False, param_errors=param_errors or {"parameters": "invalid"})
        return UdfCheck(ok=True, inputs=dict(plan.inputs), parameters=plan.params.model_dump(mode="json"),
                        output_mnemonic=plan.mnemonic, output_unit=plan.unit)

    def run_execution(self, plan: ExecutionPlan, progress: Callable, cancel: Any,
                      app: "AppHandle") -> dict[str, Any]:
        """Load inputs, run the UDF chunked, save the result in one transaction (unless cancelled)."""
        progress(0.0, "loading curves")
        arrays = {name: self.db.get_samples(cid) for name, cid in plan.inputs.items()}
        step = plan.step
        if not step:
            depths = self.db.get_depths(plan.request.well_id)
            step = float(np.nanmedian(np.diff(depths))) if depths.size > 1 else None
        values = execute(self.registry.get(plan.request.udf_id), arrays, plan.params, step=step,
                         progress=lambda f, m=None: progress(0.02 + 0.93 * f, m or "computing"),
                         cancel=cancel, registry=self.registry)
        cancel.raise_if_cancelled()  # last chance: a cancelled run saves nothing
        result: dict[str, Any] = {"udf_id": plan.request.udf_id, "well_id": plan.request.well_id,
                                  "samples": int(values.size),
                                  "nulls": int(np.count_nonzero(np.isnan(values)))}
        if plan.request.save_result:
            progress(0.97, "saving")
            provenance = {
                "udf_id": plan.request.udf_id,
                "parameters": plan.params.model_dump(mode="json"),
                "inputs": plan.inputs,
                "computed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            curve = self.db.save_curve(plan.request.well_id, plan.mnemonic, plan.unit,
                                       plan.description, values, provenance)
            result["curve"] = curve.model_dump()
            app.emit("curve-added", {"well_id": plan.request.well_id, "curve": result["curve"]})
        return result


_UNIT_PARAMS = {
    # parameter -> (its input, value for SI/percent curves, units that mean it, units that mean the other)
    "density_unit": ("RHOB", "kg/m3", {"kg/m3", "kg/m^3", "k/m3", "kgm3"},
                     {"g/cc", "g/cm3", "gm/cc", "g/cm^3", "gr/cc", "g/c3"}),
    "nphi_unit": ("NPHI", "%", {"%", "pu", "percent", "p.u."}, {"v/v", "frac", "dec", "fraction", "m3/m3"}),
    "dt_unit": ("DT", "us/m", {"us/m", "µs/m", "uspm"}, {"us/f", "us/ft", "µs/ft", "usec/ft"}),
}
CURVE_UNIT_PARAMETERS = frozenset(_UNIT_PARAMS)  # follow the input curve's unit when left out


def _unit_defaults(udf: Any, parameters: dict[str, Any] | None, units: dict[str, str]) -> dict[str, Any]:
    """Fill unit parameters the caller left out from the matched curves' units, so SI
    curves (RHOB in kg/m3, DT in us/m, NPHI in %) are computed right without asking; a unit
    given that contradicts the curve's is refused (g/cc on a kg/m3 RHOB gave PHID -1 544)."""
    params = dict(parameters or {})
    fields = udf.params_model.model_fields
    for name, (input_name, si, si_units, other_units) in _UNIT_PARAMS.items():
        if name not in fields or input_name not in units:
            continue
        unit = str(units[input_name] or "").strip().lower()
        if name not in params or params[name] is None:
            if unit in si_units:
                params[name] = si
            continue
        given = params[name]
        if (unit in si_units and given != si) or (unit in other_units and given == si):
            label = fields[name].title or name
            raise UdfParamsError(
                f"{label} is {given} but the {input_name} curve is in {units[input_name]}",
                udf_id=udf.id, errors=[{"field": name, "message":
                    f"the {input_name} curve is in {units[input_name]}: choose the matching unit"}])
    return params


class ExternalChangeWatcher:
    """Polls `PRAGMA data_version` and emits `data-refreshed` when another process commits.

    `data_version` moves for commits made on any *other* connection — including this
    process's own worker threads — so each commit also records its writer's token
    (`Database.token`); a change whose last writer is not us came from outside.
    """

    def __init__(self, df: DataForge, app: "AppHandle", interval: float = 0.25) -> None:
        self._df, self._app, self._interval = df, app, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.announced = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dataforge-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def check(self, version: int) -> int:
        """One poll: announce an external commit; returns the current data_version."""
        db = self._df.db
        now = db.data_version()
        if now != version and db.last_writer() != db.token:
            self.announced += 1
            self._app.emit("data-refreshed", {"reason": "external-change", "data_version": now})
        return now

    def settings_stamp(self) -> int:
        """A hash of settings.json's bytes (a few hundred, read 4 times a second): unlike its
        mtime, two saves within one clock tick still differ."""
        try:
            return hash((Path(self._df.data_dir) / "settings.json").read_bytes())
        except OSError:
            return 0  # no file (yet)

    def check_settings(self, stamp: int) -> int:
        """One poll of settings.json: settings another process saved (`dataforge invoke
        update_settings`) reach every window; returns the file's current stamp."""
        now = self.settings_stamp()
        if now != stamp and now:
            shared = self._app.get_shared("settings")
            settings = self._df.load_settings()
            if shared is not None and settings != shared.get():  # our own saves change nothing
                shared.set(settings)
        return now

    def _run(self) -> None:
        try:
            version = self._df.db.data_version()
            stamp = self.settings_stamp()
            while not self._stop.wait(self._interval):
                version = self.check(version)
                stamp = self.check_settings(stamp)
        except Exception:  # the watcher must never take the app down
            log.exception("external-change watcher stopped")
