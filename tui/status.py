"""The status bar: `get_dataforge_status`, refreshed on events and when the terminal regains focus."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from core import InvokeError, Window
from core.dataforge.api import DataForgeStatus

from .words import count

__all__ = ["StatusBar"]

_REFRESH_ON = ("well-added", "curve-added", "curve-deleted", "workspace-added", "data-refreshed",
               "execution-started", "execution-complete", "execution-failed", "execution-cancelled")


class StatusBar(Static):
    """One line: data dir, counts, running executions. It is a window of its own."""

    status: reactive[DataForgeStatus | None] = reactive(None)

    def __init__(self, **kw) -> None:
        super().__init__("", **kw)
        self.window: Window | None = None

    def start(self) -> None:
        core = self.app.core
        self.window = core.create_window("status-bar")
        for name in _REFRESH_ON:
            self.window.listen(name, lambda ev: self.refresh_status(), throttle=0.25)
        self.refresh_status()

    def on_unmount(self) -> None:
        if self.window is not None:
            self.window.close()

    def refresh_status(self) -> None:
        self.run_worker(self._load, group="status", exclusive=True)

    async def _load(self) -> None:
        if self.window is None:
            return
        try:
            self.status = await self.window.invoke("get_dataforge_status")
        except InvokeError as exc:
            self.update(Content(f"status unavailable: {exc}"))

    def watch_status(self, status: DataForgeStatus | None) -> None:
        if status is None:
            return
        running = status.running_executions
        run = f"  ⚙ {running} running" if running else ""
        self.update(Content.assemble(  # the data dir as written: a path may hold `[`
            f" {count(status.workspaces, 'workspace')} · {count(status.wells, 'well')} · {count(status.curves, 'curve')} · "
            f"{status.udfs} UDFs{run}   ", (status.data_dir, "dim")))
