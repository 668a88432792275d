"""Errors an `invoke` can end in.

Every failure of a call is an `InvokeError`, so a caller (a pane, the CLI, a test)
needs one `except` to stay alive whatever the command did. The messages follow
Tauri's wording so that Tauri users recognise them.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "InvokeError",
    "CommandNotFound",
    "InvalidArgs",
    "StateNotManaged",
    "CommandFailed",
    "PermissionDenied",
]


class InvokeError(Exception):
    """Base of every error `AppHandle.invoke` raises."""

    kind = "invoke-error"

    def __init__(self, message: str, *, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command

    @property
    def message(self) -> str:
        return str(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form for the CLI and the event log."""
        return {"kind": self.kind, "command": self.command, "message": str(self)}


class CommandNotFound(InvokeError):
    kind = "command-not-found"

    def __init__(self, command: str) -> None:
        super().__init__(f"Command {command} not found", command=command)


class InvalidArgs(InvokeError):
    """The args did not fit the command's signature; `.errors` lists every problem."""

    kind = "invalid-args"

    def __init__(self, command: str, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        first = errors[0] if errors else {"param": "?", "message": "invalid"}
        detail = "; ".join(e["message"] for e in errors)
        super().__init__(
            f"invalid args `{first['param']}` for command `{command}`: {detail}", command=command
        )
        self.param = first["param"]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "errors": self.errors}


class StateNotManaged(InvokeError):
    kind = "state-not-managed"

    def __init__(self, message: str, *, command: str | None = None) -> None:
        super().__init__(message, command=command)


class CommandFailed(InvokeError):
    """The command ran and raised; `.error` (and `__cause__`) is what it raised."""

    kind = "command-failed"

    def __init__(self, command: str, error: BaseException) -> None:
        super().__init__(str(error) or type(error).__name__, command=command)
        self.error = error

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "error_type": type(self.error).__name__}


class PermissionDenied(InvokeError):
    """A window called a command (or emitted an event) its capabilities do not allow."""

    kind = "permission-denied"
