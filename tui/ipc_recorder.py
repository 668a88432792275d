"""`IpcRecorder`: the app's recent IPC traffic, kept for event logs opened later.

One recorder per app taps the bus and invoke; every event-log pane subscribes to it.
A log opened mid-session so starts with the last `keep` records (what the user just
did) instead of an empty table, and any number of logs cost the core one tap.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from core import AppHandle

__all__ = ["IpcRecorder"]

Record = dict[str, Any]


class IpcRecorder:
    """Keeps the newest `keep` event and invoke records, each stamped with its `time`
    (an invoke's is when it started: it is listed before the events it caused)."""

    def __init__(self, core: "AppHandle", keep: int = 500) -> None:
        self.history: deque[Record] = deque(maxlen=keep)
        self._subscribers: list[Callable[[Record], None]] = []
        self._core = core
        core.bus.taps.append(self._on_event)
        core.invoke_taps.append(self._on_invoke)

    def subscribe(self, callback: Callable[[Record], None]) -> Callable[[], None]:
        """Call `callback` with each new record (on the loop: keep it short); returns the
        unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def close(self) -> None:
        for taps, tap in ((self._core.bus.taps, self._on_event), (self._core.invoke_taps, self._on_invoke)):
            if tap in taps:
                taps.remove(tap)
        self._subscribers.clear()

    # Taps run wherever the event is delivered (the loop) — kept to an append.
    def _on_event(self, record: Record) -> None:
        self._add({**record, "time": time.time()})

    def _on_invoke(self, record: Record) -> None:
        self._add({**record, "time": record.get("started") or time.time()})

    def _add(self, record: Record) -> None:
        self.history.append(record)
        for callback in self._subscribers:
            callback(record)
