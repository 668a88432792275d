"""Errors an `invoke` can end in.

Every failure of a call is an `InvokeError`, so a caller (a pane, the CLI, a test)
needs one `except` to stay alive whatever the command did. The messages follow
Tauri's wording so that Tauri users recognise them.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable

__all__ = [
    "InvokeError",
    "CommandNotFound",
    "InvalidArgs",
    "StateNotManaged",
    "CommandFailed",
    "PermissionDenied",
    "close_matches",
    "describe_error",
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
    """No command has that name. Given the registered names (`known=`), `.suggestions` holds
    the close ones and the message asks "did you mean ...?"."""

    kind = "command-not-found"

    def __init__(self, command: str, *, known: Iterable[str] | None = None) -> None:
        self.suggestions: list[str] = close_matches(command, known) if known is not None else []
        message = f"Command {command} not found"
        if self.suggestions:
            message += f"; did you mean {' or '.join(self.suggestions)}?"
        super().__init__(message, command=command)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "suggestions": self.suggestions}


class InvalidArgs(InvokeError):
    """The args did not fit the command's signature; `.errors` lists every problem, each
    with `param` (the Python parameter), `key` (as the caller spelt it, else camelCase, as
    Tauri names it) and `message`."""

    kind = "invalid-args"

    def __init__(self, command: str, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        first = errors[0] if errors else {"param": "?", "message": "invalid"}
        detail = "; ".join(e["message"] for e in errors)
        super().__init__(
            f"invalid args `{first.get('key', first['param'])}` for command `{command}`: {detail}",
            command=command
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
        super().__init__(describe_error(error), command=command)
        self.error = error

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "error_type": type(self.error).__name__}


class PermissionDenied(InvokeError):
    """A window called a command (or emitted an event) its capabilities do not allow."""

    kind = "permission-denied"


def close_matches(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The names in `known` closest to `name`, best first: `difflib` matches, keeping only
    those about as close as the best one (`list_workspace` gives `list_workspaces`, not
    every `*_workspace`), or the same name spelt another way (`ListWorkspaces`)."""
    names = [k for k in known if isinstance(k, str)]
    if not isinstance(name, str) or not names:
        return []

    def squash(s: str) -> str:
        return s.lower().replace("_", "").replace("-", "")

    same = [k for k in names if squash(k) == squash(name) and k != name]
    if same:
        return same[:n]
    matcher = difflib.SequenceMatcher(b=name)
    scored = []
    for k in names:
        matcher.set_seq1(k)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
            score = matcher.ratio()
            if score >= 0.6:
                scored.append((score, k))
    scored.sort(key=lambda sk: (-sk[0], sk[1]))
    best = scored[0][0] if scored else 0.0
    return [k for score, k in scored[:n] if score >= best - 0.1]


# Built-ins raised by a bug rather than to say something: their text alone ("'curve'") means nothing.
_BUG_TYPES = (LookupError, AttributeError, TypeError, NameError, ArithmeticError, AssertionError,
              NotImplementedError, RecursionError)


def describe_error(error: BaseException) -> str:
    """What went wrong, for a person. A message error (`ValueError("well 3 not found")`)
    says its message; a bug's error and one without text also name their type
    (`KeyError: 'curve'`); a pydantic error raised inside a command (a model built from
    bad values) loses its type tags, input dumps and documentation links."""
    errors = getattr(error, "errors", None)
    if type(error).__name__ == "ValidationError" and callable(errors):
        try:
            parts = []
            for err in errors(include_url=False):
                where = ".".join(str(p) for p in err.get("loc") or ())
                message = str(err.get("msg", "")).removeprefix("Value error, ")
                parts.append(f"{where}: {message}" if where else message)
            return f"{getattr(error, 'title', 'value')}: " + "; ".join(parts)
        except Exception:  # pragma: no cover - an unusual ValidationError: say what it says
            pass
    text = str(error)
    if not text:
        return type(error).__name__
    if isinstance(error, _BUG_TYPES) and type(error).__module__ == "builtins":  # not NotFound(...)
        return f"{type(error).__name__}: {text}"
    return text
