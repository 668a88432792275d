"""Build the DataForge backend: one call gives an `AppHandle` with every command and state."""

from __future__ import annotations

import logging
from pathlib import Path

from .. import AppHandle, Builder
from ..capabilities import Acl, install, load_capabilities
from ..tasks import TaskManager
from . import paths
from .api import DepthWindow, Selection, Settings
from .commands import COMMANDS
from .context import DataForge, ExternalChangeWatcher
from .db import Database
from .udfs import REGISTRY, load_entry_points, load_plugins

__all__ = ["build_app", "open_data_dir"]

log = logging.getLogger("core.dataforge")


def open_data_dir(data_dir: str | Path | None = None, *, demo: bool = True) -> DataForge:
    """Open (creating if needed) the data dir and its database; seed the demo on first start."""
    root = paths.ensure_data_dir(Path(data_dir) if data_dir else paths.default_data_dir())
    db = Database(root)
    if demo:
        from .demo import ensure_demo

        ensure_demo(db)
    registry = REGISTRY.copy("dataforge")
    errors = list(load_plugins(paths.plugins_dir(root), registry))
    errors += list(load_entry_points(registry))
    for file, message in errors:
        log.warning("UDF plugin %s not loaded: %s", file, message)
    return DataForge(data_dir=root, db=db, registry=registry, plugin_errors=errors)


def load_acl(data_dir: Path) -> Acl:
    """The shipped capabilities, overridden by `<data dir>/capabilities/*.json|toml`.

    A broken override is reported and ignored: the shipped defaults are the safe side.
    """
    override = Path(data_dir) / "capabilities"
    try:
        return load_capabilities(paths.capabilities_dir(), override)
    except ValueError:
        pass
    # One broken file costs only itself: the others are taken one at a time, in name order.
    kept: list[Path] = []
    for file in sorted(p for p in override.iterdir() if p.suffix in (".json", ".toml") and p.is_file()):
        try:
            load_capabilities(paths.capabilities_dir(), *kept, file)
        except ValueError as exc:
            log.warning("capability override %s ignored: %s", file, exc)
            continue
        kept.append(file)
    return load_capabilities(paths.capabilities_dir(), *kept)


def build_app(
    data_dir: str | Path | None = None, *, demo: bool = True, watch: bool = True
) -> AppHandle:
    """The DataForge app: commands, managed state, shared selection/view/settings.

    With `watch`, commits by other processes on the same data dir are announced as
    `data-refreshed` within about a second.
    """
    df = open_data_dir(data_dir, demo=demo)
    app = Builder().manage(df).manage(TaskManager()).invoke_handler(*COMMANDS).build()
    install(app, load_acl(df.data_dir))  # a permission naming no command (a typo) is logged
    app.shared("selection", Selection())
    app.shared("depth_window", DepthWindow())
    app.shared("settings", df.load_settings())
    if watch:
        watcher = ExternalChangeWatcher(df, app)
        app.manage(watcher)
        watcher.start()
    return app


def close_app(app: AppHandle) -> None:
    watcher = app.try_state(ExternalChangeWatcher)
    if watcher is not None:
        watcher.stop()
    app.close()
    app.state(DataForge).db.close()
