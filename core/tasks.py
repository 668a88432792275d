"""Long-running tasks with progress and cancellation (the seed's `ActiveExecutions`).

`TaskManager` is managed state. `spawn(fn, name=...)` runs `fn(progress, cancel)`
in a thread (or on the loop for `async def`) and returns an id at once. Progress is
coalesced to about 30 events per second per task, the last state always arrives,
and nothing about a task is emitted after its final event.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import math
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Literal

import pydantic

from ._errors import describe_error

if TYPE_CHECKING:
    from ._app import AppHandle

__all__ = ["TaskManager", "TaskInfo", "CancellationToken", "TaskCancelled", "TaskNotFound"]

log = logging.getLogger("core.tasks")

TaskStateName = Literal["running", "completed", "failed", "cancelled"]


class TaskCancelled(Exception):
    """Raised by `CancellationToken.raise_if_cancelled`; ends the task as cancelled."""


class TaskNotFound(KeyError):
    def __str__(self) -> str:
        return f"task {self.args[0]!r} not found"


class CancellationToken:
    """Thread-safe flag the task polls between chunks of work."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise TaskCancelled("cancelled")

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until cancelled or `timeout`; True if cancelled (an interruptible sleep)."""
        return self._event.wait(timeout)


class TaskInfo(pydantic.BaseModel):
    """A snapshot of one task."""

    model_config = pydantic.ConfigDict(frozen=True)

    id: str
    name: str
    kind: str = "task"
    state: TaskStateName
    fraction: float = 0.0
    message: str | None = None
    started_at: float
    finished_at: float | None = None
    error: str | None = None
    meta: dict[str, Any] = {}


class _Task:
    __slots__ = ("id", "name", "kind", "state", "fraction", "message", "started_at", "finished_at",
                 "error", "token", "future", "last_emit", "dirty", "flush_pending", "meta", "result",
                 "next_yield")

    def __init__(self, id: str, name: str, kind: str, meta: dict[str, Any]) -> None:
        self.id, self.name, self.kind, self.meta = id, name, kind, meta
        self.state: TaskStateName = "running"
        self.fraction = 0.0
        self.message: str | None = None
        self.started_at = time.time()
        self.finished_at: float | None = None
        self.error: str | None = None
        self.token = CancellationToken()
        self.future: asyncio.Future | None = None
        self.last_emit = float("-inf")
        self.dirty = False
        self.next_yield = 0.0
        self.flush_pending = False
        self.result: Any = None

    def info(self) -> TaskInfo:
        return TaskInfo(id=self.id, name=self.name, kind=self.kind, state=self.state,
                        fraction=self.fraction, message=self.message, started_at=self.started_at,
                        finished_at=self.finished_at, error=self.error, meta=self.meta)


_YIELD_EVERY = 0.0002  # seconds between GIL yields of a progress-reporting thread


class TaskManager:
    """Spawn, track and cancel tasks; emits `<kind>-progress|complete|failed|cancelled`."""

    def __init__(self, app: "AppHandle | None" = None, *, rate: float = 30.0, keep: int = 500) -> None:
        self._app = app
        self._interval = 1.0 / rate
        self._keep = keep
        self._lock = threading.RLock()
        self._tasks: OrderedDict[str, _Task] = OrderedDict()
        self._ids = itertools.count(1)

    def __bind_app__(self, app: "AppHandle") -> None:
        """Called by the app when this manager is managed there."""
        self._app = app
        for kind in ("task", "execution"):
            app.bus.coalesce(f"{kind}-progress", key=lambda p: p["id"])

    # ---- public API ---------------------------------------------------------------
    def spawn(
        self,
        fn: Callable[..., Any],
        *,
        name: str,
        thread: bool = True,
        kind: str = "task",
        meta: dict[str, Any] | None = None,
        task_id: str | None = None,
    ) -> str:
        """Start `fn(progress, cancel)`; returns the task id at once."""
        if self._app is None:
            raise RuntimeError("TaskManager is not attached to an app: manage it first")
        with self._lock:
            tid = task_id or f"{kind}-{next(self._ids)}"
            if tid in self._tasks:
                raise ValueError(f"task id {tid!r} already exists")
            task = self._tasks[tid] = _Task(tid, name, kind, dict(meta or {}))
            self._trim()
        self._app.bus.post(f"{kind}-started", {"id": tid, "name": name, "meta": task.meta})
        progress = self._progress_fn(task)
        if inspect.iscoroutinefunction(fn):
            loop = asyncio.get_running_loop()
            task.future = loop.create_task(self._run_async(task, fn, progress))
        elif thread:
            threading.Thread(target=self._run_sync, args=(task, fn, progress),
                             name=f"task:{tid}", daemon=True).start()
        else:
            loop = asyncio.get_running_loop()
            loop.call_soon(self._run_sync, task, fn, progress)
        return tid

    def cancel(self, task_id: str) -> bool:
        """Ask a task to stop; True if it was running. Cooperative, as in Tauri: the task ends
        `cancelled` when it next checks its token and stops — raising (`raise_if_cancelled`)
        or returning None (`if cancel.wait(0.1): return`); one that never checks runs on and
        ends `completed`, as does one that returns a result. False for finished tasks (a
        no-op, not an error)."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if task.state != "running":
                return False
            task.token.cancel()
            fut = task.future
        if fut is not None and not fut.done():
            fut.get_loop().call_soon_threadsafe(fut.cancel)
        return True

    def get(self, task_id: str) -> TaskInfo:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            return task.info()

    def list(self, kind: str | None = None) -> list[TaskInfo]:
        with self._lock:
            return [t.info() for t in self._tasks.values() if kind is None or t.kind == kind]

    def result(self, task_id: str) -> Any:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            return task.result

    async def wait(self, task_id: str, timeout: float | None = None) -> TaskInfo:
        """Wait until the task has finished and its final event has been delivered."""
        deadline = None if timeout is None else time.monotonic() + timeout
        done = asyncio.Event()
        kind = self.get(task_id).kind
        handles = [self._app.listen_any(f"{kind}-{end}", lambda ev: ev.payload["id"] == task_id
                                        and done.set())
                   for end in ("complete", "failed", "cancelled")]
        try:
            if self.get(task_id).state == "running":
                try:
                    await asyncio.wait_for(done.wait(), None if deadline is None
                                           else max(0.0, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    raise TimeoutError(f"task {task_id} still running after {timeout} s "
                                       f"(at {self.get(task_id).fraction:.0%})") from None
            await self._app.drain()
            return self.get(task_id)
        finally:
            for h in handles:
                h()

    # ---- running --------------------------------------------------------------------
    def _run_sync(self, task: _Task, fn: Callable, progress: Callable) -> None:
        try:
            result = fn(progress, task.token)
        except BaseException as exc:  # noqa: BLE001 - a task must never take the app down
            self._finish_error(task, exc)
        else:
            self._finish_returned(task, result)

    async def _run_async(self, task: _Task, fn: Callable, progress: Callable) -> None:
        try:
            result = await fn(progress, task.token)
        except asyncio.CancelledError:
            self._finish(task, "cancelled")
        except BaseException as exc:  # noqa: BLE001
            self._finish_error(task, exc)
        else:
            self._finish_returned(task, result)

    def _finish_error(self, task: _Task, exc: BaseException) -> None:
        if isinstance(exc, TaskCancelled) or task.token.cancelled:
            self._finish(task, "cancelled")
        else:
            log.warning("task %s (%s) failed: %r", task.id, task.name, exc, exc_info=exc)
            self._finish(task, "failed", error=describe_error(exc))

    def _finish_returned(self, task: _Task, result: Any) -> None:
        """A body that saw the cancel and stopped (returned nothing) ended cancelled; one that
        returned a result did its work, and completed."""
        if result is None and task.token.cancelled:
            self._finish(task, "cancelled")
        else:
            self._finish(task, "completed", result=result)

    def _finish(self, task: _Task, state: TaskStateName, *, result: Any = None,
                error: str | None = None) -> None:
        with self._lock:
            if task.dirty:
                # A progress held back by the rate limit goes out before the end, so the
                # last progress anyone saw is the task's real last one.
                self._emit_progress(task, time.monotonic())
            task.state = state
            task.finished_at = time.time()
            task.error = error
            task.result = result
            if state == "completed":
                task.fraction = 1.0
            payload: dict[str, Any] = {"id": task.id}
            if state == "completed":
                payload["result"] = result
            elif state == "failed":
                payload["error"] = error
            end = {"completed": "complete", "failed": "failed", "cancelled": "cancelled"}[state]
            self._app.bus.post(f"{task.kind}-{end}", payload)

    # ---- progress -------------------------------------------------------------------
    def _progress_fn(self, task: _Task) -> Callable[..., None]:
        def progress(fraction: float, message: str | None = None) -> None:
            fraction = float(fraction)
            if math.isnan(fraction):
                raise ValueError("progress fraction is NaN")
            with self._lock:
                if task.state != "running":
                    return
                task.fraction = min(1.0, max(0.0, fraction))
                task.message = message
                now = time.monotonic()
                if now - task.last_emit >= self._interval:
                    self._emit_progress(task, now)
                else:
                    task.dirty = True
                    if not task.flush_pending:
                        task.flush_pending = True
                        self._schedule_flush(task, task.last_emit + self._interval - now)
            if now >= task.next_yield:
                # A pure-Python loop that only reports progress would hold the GIL for whole
                # 5 ms switch intervals and stall the UI's key handling; yield briefly.
                task.next_yield = now + _YIELD_EVERY
                time.sleep(0)

        return progress

    def _emit_progress(self, task: _Task, now: float) -> None:
        task.last_emit = now
        task.dirty = False
        self._app.bus.post(f"{task.kind}-progress",
                           {"id": task.id, "fraction": task.fraction, "message": task.message})

    def _schedule_flush(self, task: _Task, delay: float) -> None:
        loop = self._app.bus._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(loop.call_later, max(0.0, delay), self._flush, task)
        except RuntimeError:
            pass  # loop closing

    def _flush(self, task: _Task) -> None:
        with self._lock:
            task.flush_pending = False
            if task.state == "running" and task.dirty:
                self._emit_progress(task, time.monotonic())

    def _trim(self) -> None:
        finished = [k for k, t in self._tasks.items() if t.state != "running"]
        for key in finished[: max(0, len(self._tasks) - self._keep)]:
            del self._tasks[key]
