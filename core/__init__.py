"""DataForge core: Tauri's commands, events and managed state for Python asyncio apps.

Everything a user needs is importable from here; the private modules hold one
concept each. `core` never imports a UI toolkit.
"""

from ._app import AppHandle, Builder
from ._channel import Channel, ChannelClosed
from ._commands import command
from ._errors import (
    CommandFailed,
    CommandNotFound,
    InvalidArgs,
    InvokeError,
    PermissionDenied,
    StateNotManaged,
)
from ._events import Event, EventBus, EventTarget, Unlisten
from ._state import LockHeldAcrossAwait, Mutex, RwLock, State
from ._window import Window

__all__ = [
    "AppHandle",
    "Builder",
    "Channel",
    "ChannelClosed",
    "CommandFailed",
    "CommandNotFound",
    "Event",
    "EventBus",
    "EventTarget",
    "InvalidArgs",
    "InvokeError",
    "LockHeldAcrossAwait",
    "Mutex",
    "PermissionDenied",
    "RwLock",
    "State",
    "StateNotManaged",
    "Unlisten",
    "Window",
    "command",
]
