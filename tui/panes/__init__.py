"""Every pane kind; importing this package registers them."""

from __future__ import annotations

import importlib

__all__ = ["register_all"]

_MODULES = ("_workspaces", "_wells", "_curves", "_log_tracks", "_udf_runner", "_executions", "_event_log")


def register_all() -> None:
    for name in _MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
