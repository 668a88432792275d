"""User UDFs: plugin files and installed entry points.

A plugin is an ordinary Python file using the same decorator as the built-ins::

    # ~/.local/share/dataforge/plugins/my_udfs.py
    import numpy as np
    from pydantic import BaseModel, Field
    from core.dataforge.udfs import udf, InputSpec, OutputSpec, GR_ALIASES

    class P(BaseModel):
        factor: float = Field(2.0, gt=0, description="multiplier")

    @udf("gr_scaled", name="Scaled GR", category="User", params=P,
         inputs=[InputSpec("GR", GR_ALIASES, "GAPI")], output=OutputSpec("GR_X", "GAPI"))
    def gr_scaled(inputs, params, ctx):
        return inputs["GR"] * params.factor

SECURITY: loading a plugin *runs arbitrary Python code* with the user's rights. Only the files
directly inside the one plugins folder given to :func:`load_plugins` are imported (``*.py``, not
recursively; names starting with ``_`` or ``.`` are skipped so helpers can live there) - never the
working directory, never a project file. Errors in a plugin (syntax errors, exceptions at import,
bad ``@udf`` declarations, id clashes) are reported in the returned list and never propagate; a
failing plugin registers nothing (its UDFs are staged and committed only if the whole file
imports). Loading the same file again replaces the UDFs it registered before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import inspect
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._registry import _ACTIVE_REGISTRY, _ACTIVE_SOURCE, REGISTRY, UdfDef, UdfRegistry

__all__ = ["load_plugins", "load_entry_points", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "dataforge.udfs"


def _describe(exc: BaseException, filename: str | None = None) -> str:
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"SyntaxError: {exc.msg}{where}"
    msg = f"{type(exc).__name__}: {exc}"
    if filename is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        if frames:
            msg += f" (line {frames[-1].lineno})"
    return msg


def _commit(staging: UdfRegistry, target: UdfRegistry, source: str) -> str | None:
    """Register the staged UDFs into ``target``; refuse id clashes with other sources."""
    defs = list(staging)
    for d in defs:
        if d.id in target:
            existing = target.get(d.id)
            if existing.source != source:
                return (f"UDF id {d.id!r} is already registered by {existing.source}; "
                        f"rename it (nothing from this plugin was registered)")
    new_ids = {d.id for d in defs}
    for old in list(target):
        if old.source == source and old.id not in new_ids:
            target.unregister(old.id)
    for d in defs:
        target.register(d if d.source == source else dataclasses.replace(d, source=source),
                        replace=True)
    return None


def _staged_call(source: str, fn: Callable[[UdfRegistry], Any]) -> tuple[UdfRegistry, Any]:
    staging = UdfRegistry(f"staging:{source}")
    tok_r = _ACTIVE_REGISTRY.set(staging)
    tok_s = _ACTIVE_SOURCE.set(source)
    try:
        return staging, fn(staging)
    finally:
        _ACTIVE_SOURCE.reset(tok_s)
        _ACTIVE_REGISTRY.reset(tok_r)


def _load_file(path: Path, registry: UdfRegistry) -> str | None:
    source = str(path.resolve())
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    mod_name = f"dataforge_udf_plugin_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}_{digest}"

    def run(_staging: UdfRegistry) -> None:
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module  # pydantic/dataclasses in the plugin may look it up
        spec.loader.exec_module(module)

    try:
        staging, _ = _staged_call(source, run)
    except (Exception, SystemExit) as exc:  # a plugin must never crash the app
        sys.modules.pop(mod_name, None)
        return _describe(exc, source)
    if len(staging) == 0:
        return "no UDF registered (decorate functions with @udf)"
    return _commit(staging, registry, source)


def load_plugins(folder: str | Path, registry: UdfRegistry | None = None) -> list[tuple[str, str]]:
    """Import every ``*.py`` directly inside ``folder`` and register their ``@udf`` functions.

    Returns a list of ``(file, message)`` for the plugins that failed (empty when all loaded).
    A missing folder is not an error (nothing to load). See the module docstring for the
    security note: plugins are arbitrary code; only this folder is loaded.
    """
    target = registry if registry is not None else REGISTRY
    folder = Path(folder).expanduser()
    if not folder.exists():
        return []
    if not folder.is_dir():
        return [(str(folder), "plugin path is not a folder")]
    errors: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", ".")) or not path.is_file():
            continue
        try:
            message = _load_file(path, target)
        except Exception as exc:  # noqa: BLE001 - defensive: report, never crash
            message = _describe(exc)
        if message:
            errors.append((str(path), message))
    return errors


def load_entry_points(registry: UdfRegistry | None = None,
                      group: str = ENTRY_POINT_GROUP) -> list[tuple[str, str]]:
    """Load UDFs advertised by installed packages under the entry-point ``group``.

    An entry point may name a module (its ``@udf`` decorators register on import), a decorated
    function, a :class:`UdfDef`, a :class:`UdfRegistry`, or a callable ``register(registry)``.
    Returns ``(entry point, message)`` for failures; never raises for a broken package.
    """
    target = registry if registry is not None else REGISTRY
    errors: list[tuple[str, str]] = []
    try:
        eps = list(importlib.metadata.entry_points(group=group))
    except Exception as exc:  # noqa: BLE001 - broken metadata on sys.path
        return [(group, _describe(exc))]
    for ep in eps:
        label = f"{ep.name} = {ep.value}"
        source = f"entry point: {ep.value}"

        def run(staging: UdfRegistry, ep: Any = ep) -> None:
            obj = ep.load()
            if isinstance(obj, UdfDef):
                defs = [obj]
            elif isinstance(obj, UdfRegistry):
                defs = list(obj)
            elif inspect.ismodule(obj):
                # decorators ran at import; if the module was imported before (a second load),
                # pick up the UDFs its decorated functions carry
                defs = [v.__udf__ for v in vars(obj).values()
                        if isinstance(getattr(v, "__udf__", None), UdfDef)]
            elif isinstance(getattr(obj, "__udf__", None), UdfDef):
                defs = [obj.__udf__]
            elif callable(obj):
                obj(staging)
                defs = []
            else:
                raise TypeError(f"entry point object {obj!r} is not a module, UDF or callable")
            for d in defs:
                if d.id not in staging:
                    staging.register(d)

        try:
            staging, _ = _staged_call(source, run)
        except (Exception, SystemExit) as exc:  # noqa: BLE001
            errors.append((label, _describe(exc)))
            continue
        if len(staging) == 0:
            errors.append((label, "no UDF registered"))
            continue
        message = _commit(staging, target, source)
        if message:
            errors.append((label, message))
    return errors
