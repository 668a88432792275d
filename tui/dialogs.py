"""Small modal dialogs: ask for a value (validated inline) or confirm an action."""

from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

__all__ = ["AskDialog", "ConfirmDialog"]


class AskDialog(ModalScreen[str | None]):
    """Ask for one value; `check(text)` returns an error message or None. Nothing is
    returned until the value is valid."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, prompt: str, value: str = "", *, check: Callable[[str], str | None] | None = None,
                 placeholder: str = "") -> None:
        super().__init__()
        self.prompt, self.value, self.check, self.placeholder = prompt, value, check, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_plain(self.prompt))
            yield Input(self.value, placeholder=self.placeholder, id="ask-input")
            yield Label("", id="ask-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _error(self, text: str) -> str | None:
        if self.check is None:
            return None
        return self.check(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#ask-error", Label).update(_plain(self._error(event.value) or ""))

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        text = self.query_one(Input).value
        error = self._error(text)
        if error:
            self.query_one("#ask-error", Label).update(_plain(error))
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel"), Binding("y", "dismiss(True)", "Yes")]

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_plain(self.prompt))
            with Horizontal(classes="buttons"):
                yield Button("Yes", variant="error", id="yes")
                yield Button("No", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # Enter must not destroy anything: Yes is y or a click

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def _plain(text: str | Content) -> Content:
    """A prompt or a check's message shown as written: it may quote a name holding `[`."""
    return text if isinstance(text, Content) else Content(text)
