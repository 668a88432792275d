"""Channels: an ordered one-way stream from a command back to its one caller.

Tauri's `ipc::Channel<T>`: for streaming results (progress of one download, rows
of one query) without broadcasting an event to every window. `send` is
thread-safe and validated against `T`; messages arrive in send order; end of
stream is delivered exactly once, also when the command returns without closing.
A callback that raises is isolated like a listener: logged, and the stream goes on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import Any, Callable, Generic, TypeVar

from pydantic import TypeAdapter

__all__ = ["Channel", "ChannelClosed"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class ChannelClosed(RuntimeError):
    """`send` on a channel whose stream has ended."""


class Channel(Generic[T]):
    """Create one on the calling side and pass it in the invoke args.

    Either give `on_message` (and optionally `on_close`), or iterate the channel
    with `async for` to receive messages until end of stream.
    """

    def __init__(
        self,
        on_message: Callable[[T], Any] | None = None,
        on_close: Callable[[], Any] | None = None,
    ) -> None:
        self._on_message = on_message
        self._on_close = on_close
        self._lock = threading.Lock()
        self._buffer: deque[Any] = deque()
        self._scheduled = False
        self._closed = False
        self._ended = False
        self._adapter: TypeAdapter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self.index = 0

    # called by invoke when the channel is handed to a command
    def _attach(self, item_type: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        if item_type is not Any:
            self._adapter = TypeAdapter(item_type)
        if self._on_message is None and self._queue is None:
            self._queue = asyncio.Queue()

    def _end_unused(self) -> None:
        """End a channel no command received (the invoke failed first): iteration stops."""
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        if self._on_message is None and self._queue is None:
            self._queue = asyncio.Queue()
        if self._loop is None:  # no loop: end synchronously
            self._closed = self._ended = True
            self._call(self._on_close)
            if self._queue is not None:
                self._queue.put_nowait(("end", None))
            return
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def used(self) -> bool:
        """Handed to a command already (or ended): a channel serves one invoke."""
        return self._loop is not None or self._closed

    def send(self, message: T) -> None:
        """Queue `message` for the caller (any thread). Validated against `T`."""
        if self._adapter is not None:
            message = self._adapter.validate_python(message)
        with self._lock:
            if self._closed:
                raise ChannelClosed("channel is closed")
            self._buffer.append(message)
            self.index += 1
            self._schedule()

    def close(self) -> None:
        """End the stream; idempotent. The caller sees end-of-stream once, after every message."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._schedule()

    def _schedule(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        loop = self._loop
        if loop is None:
            raise RuntimeError("channel used before it was passed to a command")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.call_soon(self._flush)
        else:
            loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        with self._lock:
            items = list(self._buffer)
            self._buffer.clear()
            self._scheduled = False
            end = self._closed and not self._ended
            if end:
                self._ended = True
        for item in items:
            if self._on_message is not None:
                self._call(self._on_message, item)
            else:
                self._queue.put_nowait(("msg", item))
        if end:
            self._call(self._on_close)
            if self._queue is not None:
                self._queue.put_nowait(("end", None))

    @staticmethod
    def _call(callback: Callable[..., Any] | None, *args: Any) -> None:
        """Run a caller's callback; one that raises loses neither later messages nor the end."""
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("channel callback %r raised; the stream goes on",
                          getattr(callback, "__qualname__", callback))

    def __aiter__(self):
        return self._iterate()

    async def _iterate(self):
        if self._queue is None:
            self._queue = asyncio.Queue()
        while True:
            kind, item = await self._queue.get()
            if kind == "end":
                return
            yield item
