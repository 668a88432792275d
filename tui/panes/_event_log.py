"""Event log — the IPC inspector: every event and invoke as it happens.

It taps the bus and the invoke dispatcher (not a listener: it sees events to
every target). Records are buffered and drawn at most ten times a second, so a
flood of progress events costs the UI one table update per frame, not one per event.
Under a flood only the newest `_MAX_PER_FLUSH` of each tick are drawn (the counter
says how many were seen), and old rows are trimmed in batches: `DataTable.remove_row`
is O(rows), so removing one row per new row froze the UI for ~0.5 s per tick.

The newest `_HISTORY` records are kept whether the filter shows them or not, so a new
filter applies to what is already on screen too: at the next tick (one rebuild however
fast one types) the table is rebuilt from them, the rows renumbered from 1 — the "#"
column counts the rows of the current view.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Label

from ..pane import Pane, register_pane
from ._text import cell

__all__ = ["EventLogPane", "summarize"]

_MAX_ROWS = 500  # rows kept; the table grows to twice that, then is rebuilt with these
_MAX_PER_FLUSH = 100  # rows drawn per tick (10 a second): more than anyone can read
_HISTORY = _MAX_ROWS  # records kept, shown or filtered out: what a new filter is applied to


def summarize(value: Any, width: int = 60) -> str:
    """A one-line payload summary: pydantic models and dicts as `k=v`, cut to `width`."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, dict):
        text = ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        text = f"[{len(value)} items]" if len(value) > 3 else ", ".join(_short(v) for v in value)
    else:
        text = _short(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(v: Any) -> str:
    if hasattr(v, "model_dump"):
        return type(v).__name__
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}" for k in list(v)[:4]) + ("…}" if len(v) > 4 else "}")
    if isinstance(v, (list, tuple)):
        return f"[{len(v)}]"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


@register_pane
class EventLogPane(Pane):
    KIND = "event-log"
    TITLE = "Event log"
    BINDINGS = [
        Binding("space", "pause", "Pause/resume"),
        Binding("c", "clear", "Clear log"),
        Binding("slash", "filter", "Filter"),
    ]

    SETTINGS = {**Pane.SETTINGS, "filter": str}

    paused: reactive[bool] = reactive(False)
    name_filter: reactive[str] = reactive("")

    def compose(self) -> ComposeResult:
        with Horizontal(id="log-toolbar"):
            yield Label("Filter", classes="toolbar-label")
            yield Input(placeholder="event or command name (e.g. curve- or select_)", id="log-filter")
            yield Label("", id="log-state", classes="toolbar-label")
        table = DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("#", "time", "kind", "name", "source", "target", "ms", "summary")  # summary last: it is cut
        yield table

    def on_core_ready(self) -> None:
        self._buffer: deque[dict[str, Any]] = deque(maxlen=_MAX_ROWS)
        self._rows: deque[tuple[tuple[str | Text, ...], str]] = deque(maxlen=_MAX_ROWS)  # the newest, drawn
        # The newest records taken from the buffer, in table order, matching the filter or not.
        self._history: deque[dict[str, Any]] = deque(maxlen=_HISTORY)
        self._refilter_due = False  # the filter changed: rebuild the table at the next tick
        self._seen = 0
        self._shown = 0
        self._overflow = 0
        recorder = self.app.ipc_recorder  # type: ignore[attr-defined]
        for record in recorder.history:  # opened mid-session: start with what just happened
            self._take(record)
        self._untap = recorder.subscribe(self._take)
        self.set_interval(0.1, self._flush)
        self.name_filter = self.pane_settings.get("filter", "")
        self.query_one("#log-filter", Input).value = self.name_filter

    def on_unmount(self) -> None:
        untap = getattr(self, "_untap", None)
        if untap is not None:
            untap()  # Pane.on_unmount (called by Textual too) closes the window

    # Called wherever the event is delivered (the loop) — kept to an append.
    def _take(self, record: dict[str, Any]) -> None:
        self._seen += 1
        if len(self._buffer) == _MAX_ROWS:
            self._overflow += 1  # the oldest buffered record falls out: never drawn
        self._buffer.append({**record, "n": self._seen})

    def _matches(self, record: dict[str, Any]) -> bool:
        needle = self.name_filter.strip().lower()
        name = record.get("event") or record.get("command") or ""
        return not needle or needle in name.lower()

    def _flush(self) -> None:
        if self._refilter_due:  # also when paused: it shows no record that was not drawable
            self._refilter_due = False
            self._refilter()
        if self.paused or not self._buffer:
            return
        records = sorted(self._buffer, key=lambda r: r["time"])
        self._buffer.clear()
        self._history.extend(records)  # kept for a later filter, shown or not
        records = [r for r in records if self._matches(r)]
        self._shown += self._overflow  # numbers jump over what a flood made us skip
        self._overflow = 0
        if len(records) > _MAX_PER_FLUSH:
            self._shown += len(records) - _MAX_PER_FLUSH  # numbers jump over what was skipped
            records = records[-_MAX_PER_FLUSH:]
        table = self.query_one(DataTable)
        following = table.cursor_row >= table.row_count - 2
        for r in records:
            self._shown += 1  # numbered as shown: the same actions give the same numbers
            row = self._row({**r, "n": self._shown})
            self._rows.append((row, str(r["n"])))
            table.add_row(*row, key=str(r["n"]))
        if table.row_count > 2 * _MAX_ROWS:  # rebuild: one clear instead of 500 O(n) removals
            table.clear()
            for row, key in self._rows:
                table.add_row(*row, key=key)
        if records and following:
            table.move_cursor(row=table.row_count - 1)  # follow the tail unless scrolled up
        self._update_state()

    def _refilter(self) -> None:
        """Rebuild the table from the kept history with the current filter (numbered from 1)."""
        table = self.query_one(DataTable)
        matching = [r for r in self._history if self._matches(r)][-_MAX_ROWS:]
        table.clear()
        self._rows.clear()
        self._shown = 0
        for r in matching:
            self._shown += 1
            row = self._row({**r, "n": self._shown})
            self._rows.append((row, str(r["n"])))
            table.add_row(*row, key=str(r["n"]))
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self._update_state()

    def _row(self, r: dict[str, Any]) -> tuple[str | Text, ...]:
        """The cells of a record; names and payloads as written (`cell`), whatever they hold."""
        fixed = getattr(self.app, "deterministic", False)  # screenshots: no clocks
        stamp = "--:--:--.---" if fixed else (
            time.strftime("%H:%M:%S", time.localtime(r["time"])) + f".{int(r['time'] * 1000) % 1000:03d}")
        if r["kind"] == "invoke":
            if r.get("ok"):
                summary = cell(summarize(r.get("result")))
            elif r.get("cancelled"):
                summary = "[dim]cancelled by the caller[/]"
            else:
                summary = Text(str(r.get("error")), style="red")
            ms = "" if fixed else f"{r.get('duration_ms', 0):.2f}"
            return (str(r["n"]), stamp, "[cyan]invoke[/]", cell(r["command"]), cell(r.get("source") or "backend"),
                    "", ms, summary)
        return (str(r["n"]), stamp, "[magenta]event[/]", cell(r["event"]), cell(r.get("source") or "backend"),
                cell(r.get("target", "")), "", cell(summarize(r.get("payload"))))

    def _update_state(self) -> None:
        state = "[yellow]⏸ paused[/]" if self.paused else "● live"
        self.query_one("#log-state", Label).update(f"{state}  {self._shown} shown · {self._seen} seen"
                                                  if not getattr(self.app, "deterministic", False)
                                                  else f"{state}  {self._shown} shown")

    def watch_paused(self) -> None:
        if self.is_mounted:
            self._update_state()

    def watch_name_filter(self) -> None:
        # The new filter applies to the rows already shown, not only to new ones.
        self._refilter_due = True

    def action_pause(self) -> None:
        self.paused = not self.paused

    def action_clear(self) -> None:
        self.query_one(DataTable).clear()
        self._buffer.clear()
        self._rows.clear()
        self._history.clear()
        self._overflow = 0
        self._shown = 0
        self._update_state()

    def action_filter(self) -> None:
        self.query_one("#log-filter", Input).focus()

    @on(Input.Changed, "#log-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.name_filter = event.value
        self.save_settings(filter=event.value or None)
