"""The LAS import dialog: a path field that completes file and directory names.

The dialog only asks for a path (checked when submitted: it must name an existing
file); the import itself runs in the app, off the UI loop (`DataForgeApp.import_las`).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label

__all__ = ["ImportDialog", "PathSuggester", "expand_path"]

_LAS_SUFFIXES = (".las",)


def expand_path(text: str) -> Path:
    """What the user typed, as a path: `~` expanded, relative to the working directory."""
    return Path(os.path.expanduser(text.strip()))


def _entries(directory: Path) -> list[tuple[str, bool]]:
    """(name, is a directory) of `directory`'s entries; nothing if it cannot be listed."""
    out = []
    try:
        with os.scandir(directory) as it:
            for entry in it:
                try:
                    out.append((entry.name, entry.is_dir()))
                except OSError:
                    continue
    except OSError:
        return []
    return out


class PathSuggester(Suggester):
    """Completes the last part of a path from its directory's entries (shown greyed; → accepts).

    Directories and LAS files come first, hidden entries only once a `.` is typed. The
    directory is listed in a thread (a slow network mount must not freeze the screen) and
    never cached: files come and go."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value.strip():
            return None
        head, sep, tail = value.rpartition(os.sep)
        directory = expand_path(head + sep) if sep else Path(".")
        entries = await asyncio.to_thread(_entries, directory)
        matches = [(name, is_dir) for name, is_dir in entries
                   if name.startswith(tail) and name != tail and (tail.startswith(".") or not name.startswith("."))]
        if not matches:
            return None

        def rank(item: tuple[str, bool]) -> tuple[int, str]:
            name, is_dir = item
            return (0 if is_dir or name.lower().endswith(_LAS_SUFFIXES) else 1, name.lower())

        name, is_dir = min(matches, key=rank)
        return f"{head}{sep}{name}{os.sep if is_dir else ''}"


class ImportDialog(ModalScreen[Path | None]):
    """Ask for a LAS file to import; returns its path, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        # A shell's habit: tab completes the path (→ does too); with nothing to complete it moves on.
        Binding("tab", "complete", "Complete", show=False, priority=True),
    ]

    def __init__(self, start: str = "", *, workspace: str | None = None) -> None:
        super().__init__()
        self.start = start
        self.workspace = workspace

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="import-dialog"):
            title = "Import a LAS file" + (" into workspace [b]$workspace[/]" if self.workspace else "")
            yield Label(Content.from_markup(title, workspace=self.workspace or ""))
            yield Input(self.start, placeholder="path to a .las file", id="import-path",
                        suggester=PathSuggester())
            yield Label("[dim]tab or → completes a file or directory name[/]", classes="import-hint")
            yield Label("", id="import-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Import", variant="primary", id="import")
                yield Button("Cancel", id="cancel")

    def action_complete(self) -> None:
        field = self.query_one("#import-path", Input)
        if field.has_focus and field.cursor_at_end and len(field._suggestion) > len(field.value):
            field.action_cursor_right()
        else:
            self.focus_next()

    @on(Input.Changed)
    def _changed(self) -> None:
        self.query_one("#import-error", Label).update("")

    @staticmethod
    def problem(text: str) -> str | None:
        """Why `text` cannot be imported, or None (a stat, on submit only)."""
        if not text.strip():
            return "a path is required"
        path = expand_path(text)
        try:
            if path.is_dir():
                return f"{path} is a directory: pick a .las file in it"
            if not path.exists():
                return f"no such file: {path}"
        except OSError as exc:
            return f"cannot read {path}: {exc.strerror or exc}"
        return None

    @on(Input.Submitted)
    @on(Button.Pressed, "#import")
    def _submit(self) -> None:
        text = self.query_one(Input).value
        error = self.problem(text)
        if error:
            self.query_one("#import-error", Label).update(Content(error))  # a path may hold [ ]
            return
        self.dismiss(expand_path(text).resolve())

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
