"""Executions: every running and finished UDF execution, with progress and Cancel.

It starts from `list_executions` and then follows the `execution-*` events, so
it agrees with every UDF runner without asking again.
"""

from __future__ import annotations

import time
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Label, ProgressBar, Static

from core.dataforge.api import ExecutionInfo

from ..pane import Pane, register_pane

__all__ = ["ExecutionsPane", "ExecutionRow"]

_STATE_STYLE = {"running": "⚙ [b]running[/]", "completed": "[green]✓ completed[/]",
                "failed": "[red]✗ failed[/]", "cancelled": "[yellow]■ cancelled[/]"}


class ExecutionRow(Horizontal):
    """One execution: name, progress bar, state, Cancel."""

    def __init__(self, info: ExecutionInfo) -> None:
        super().__init__(id=f"exec-{info.id}", classes="execution-row")
        self.info = info

    def compose(self) -> ComposeResult:
        name = Label(Content(self.info.name), classes="exec-name")
        name.tooltip = Content(self.info.name)  # the well name may be cut
        yield name
        yield ProgressBar(total=1.0, show_eta=False, classes="exec-bar")
        yield Label("", classes="exec-state")
        yield Button("Cancel", classes="exec-cancel", variant="error", compact=True)

    def on_mount(self) -> None:
        self.show(self.info)

    def show(self, info: ExecutionInfo) -> None:
        self.info = info
        self.query_one(ProgressBar).update(progress=info.fraction if info.state != "completed" else 1.0)
        took = ""
        if info.finished_at is not None and not getattr(self.app, "deterministic", False):
            took = f" in {info.finished_at - info.started_at:.1f}s"
        detail = info.error if info.state == "failed" else (info.message or "") if info.state == "running" else ""
        state = Content.from_markup(f"{_STATE_STYLE[info.state]}$took  [dim]$detail[/]", took=took, detail=detail or "")
        self.query_one(".exec-state", Label).update(state)
        self.query_one(Button).display = info.state == "running"


_IDENTITY = ("name", "udf_id", "well_id", "started_at")  # what an execution's events may not carry


@register_pane
class ExecutionsPane(Pane):
    KIND = "executions"
    TITLE = "Executions"
    BINDINGS = [
        Binding("c", "cancel_run", "Cancel run",
                tooltip="Cancel the run whose row has the focus, else the newest one running"),
    ]

    def compose(self) -> ComposeResult:
        yield VerticalScroll(Static("[dim]No executions yet. Run a UDF from a UDF runner pane.[/]",
                                    id="exec-empty"), id="exec-list")

    def on_core_ready(self) -> None:
        self._infos: dict[str, ExecutionInfo] = {}
        for name in ("started", "progress", "complete", "failed", "cancelled"):
            self.listen(f"execution-{name}", self._on_event)
        self.run_worker(self._load, group="load")

    async def _load(self) -> None:
        infos: list[ExecutionInfo] | None = await self.try_invoke("list_executions")
        for info in infos or []:
            known = self._infos.get(info.id)
            if known is not None:
                # An event got here first. The pane listened before it asked, so the events
                # hold every change since: theirs is the state; the list knows the names.
                info = known.model_copy(update={k: getattr(info, k) for k in _IDENTITY})
            await self._upsert(info)

    async def _upsert(self, info: ExecutionInfo) -> None:
        self._infos[info.id] = info
        rows = self.query(f"#exec-{info.id}")
        if rows:
            rows.first(ExecutionRow).show(info)
            return
        box = self.query_one("#exec-list", VerticalScroll)
        self.query_one("#exec-empty").display = False
        await box.mount(ExecutionRow(info), before=0)
        self._update_title()

    def title_details(self) -> list[str]:
        return [str(len(self._infos))] if getattr(self, "_infos", None) else []

    async def _on_event(self, event) -> None:
        payload: dict[str, Any] = event.payload
        end = event.event.removeprefix("execution-")
        info = self._infos.get(payload["id"])
        if info is None:
            meta = payload.get("meta") or {}
            info = ExecutionInfo(id=payload["id"], udf_id=meta.get("udf_id", ""),
                                 well_id=meta.get("well_id", 0), name=payload.get("name", payload["id"]),
                                 state="running", fraction=0.0, started_at=time.time())
        update: dict[str, Any] = {}
        if end == "progress":
            update = {"fraction": payload["fraction"], "message": payload.get("message")}
        elif end in ("complete", "failed", "cancelled"):
            update = {"state": {"complete": "completed"}.get(end, end), "finished_at": time.time(),
                      "error": payload.get("error")}
            if end == "complete":
                update["fraction"] = 1.0
        await self._upsert(info.model_copy(update=update))

    @on(Button.Pressed, ".exec-cancel")
    async def _cancel(self, event: Button.Pressed) -> None:
        row = next(a for a in event.button.ancestors if isinstance(a, ExecutionRow))
        await self.try_invoke("cancel_execution", {"executionId": row.info.id})

    async def action_cancel_run(self) -> None:
        """The keyboard's Cancel: the focused row's run, else the newest still running."""
        focused = self.app.focused
        row = next((a for a in (focused.ancestors_with_self if focused else ()) if isinstance(a, ExecutionRow)), None)
        if row is None or row.info.state != "running":
            running = [info for info in self._infos.values() if info.state == "running"]
            if not running:
                self.notify("Nothing is running.", title=self.TITLE, severity="warning")
                return
            target = max(running, key=lambda info: info.started_at).id
        else:
            target = row.info.id
        await self.try_invoke("cancel_execution", {"executionId": target})
