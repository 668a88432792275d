"""Exceptions and the tiny cancellation helpers used by the UDF engine.

Pure Python: no numpy, no pydantic, no UI imports.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = [
    "UdfError",
    "UdfDefinitionError",
    "UdfNotFoundError",
    "UdfInputError",
    "UdfParamsError",
    "UdfExecutionError",
    "Cancelled",
    "CancelFlag",
]


class UdfError(Exception):
    """Base class of every error raised by the UDF package."""


class UdfDefinitionError(UdfError, ValueError):
    """A ``@udf`` declaration is malformed (bad id, duplicate input names, params not a model...)."""


class UdfNotFoundError(UdfError, KeyError):
    """No UDF with that id in the registry."""

    def __init__(self, udf_id: str, known: list[str] | None = None) -> None:
        self.udf_id = udf_id
        self.known = sorted(known or [])
        msg = f"no UDF with id {udf_id!r}"
        if self.known:
            msg += f" (known: {', '.join(self.known)})"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class UdfInputError(UdfError, ValueError):
    """An input curve is missing, unmatched, of the wrong shape or unusable.

    ``input_name`` names the UDF input concerned and ``aliases`` lists the mnemonics that were tried
    (empty when not relevant).
    """

    def __init__(self, message: str, *, input_name: str | None = None,
                 aliases: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.input_name = input_name
        self.aliases = tuple(aliases)


class UdfParamsError(UdfError, ValueError):
    """Parameters failed validation. ``errors`` is a list of ``{"field": str, "message": str}``."""

    def __init__(self, message: str, *, udf_id: str | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.udf_id = udf_id
        self.errors = list(errors or [])


class UdfExecutionError(UdfError, RuntimeError):
    """The UDF function itself raised, or returned something unusable. The cause is chained."""


class Cancelled(Exception):
    """Raised by :class:`CancelFlag` (and by the engine for flag-like objects) when cancelled."""


class CancelFlag:
    """A thread-safe cancellation flag with the same surface as ``core.tasks.CancellationToken``.

    ``cancel()`` may be called from any thread (or from a progress callback); the engine calls
    ``raise_if_cancelled()`` between chunks.
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("computation cancelled")

    def __repr__(self) -> str:
        return f"CancelFlag(cancelled={self.cancelled})"
