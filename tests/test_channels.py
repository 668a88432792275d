"""Channels: ordered, validated, thread-safe, end-of-stream exactly once."""

from __future__ import annotations

import asyncio
import threading

import pydantic
import pytest

from core import Builder, Channel, ChannelClosed, CommandFailed, CommandNotFound, InvalidArgs, command


class Row(pydantic.BaseModel):
    depth: float
    value: float | None


@command
def stream_rows(count: int, on_row: Channel[Row]) -> int:
    for i in range(count):
        on_row.send({"depth": i * 0.5, "value": None if i % 3 == 0 else i})
    return count


@command(thread=True)
def stream_from_threads(on_event: Channel[int]) -> None:
    def producer(base):
        for i in range(100):
            on_event.send(base + i)

    workers = [threading.Thread(target=producer, args=(k * 1000,)) for k in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


@command
def bad_message(on_row: Channel[Row]) -> None:
    on_row.send({"depth": "deep"})


@command
async def closes_early(on_row: Channel[Row]) -> None:
    on_row.send(Row(depth=1, value=2))
    on_row.close()
    on_row.send(Row(depth=2, value=3))


def make_app():
    return Builder().invoke_handler(stream_rows, stream_from_threads, bad_message, closes_early).build()


async def test_messages_arrive_in_order_then_end_once():
    app = make_app()
    got, ends = [], []
    ch = Channel(got.append, lambda: ends.append(True))
    assert await app.invoke("stream_rows", {"count": 5, "onRow": ch}) == 5
    await asyncio.sleep(0)
    assert [r.depth for r in got] == [0, 0.5, 1.0, 1.5, 2.0]
    assert got[0].value is None and isinstance(got[1], Row)
    assert ends == [True]
    ch.close()
    await asyncio.sleep(0)
    assert ends == [True]


async def test_async_iteration_and_thread_senders_keep_per_thread_order():
    app = make_app()
    ch: Channel[int] = Channel()
    await app.invoke("stream_from_threads", {"on_event": ch})
    got = [x async for x in ch]
    assert len(got) == 300
    for k in range(3):
        assert [x for x in got if x // 1000 == k] == [k * 1000 + i for i in range(100)]


async def test_invalid_message_fails_the_command():
    app = make_app()
    with pytest.raises(CommandFailed, match="depth"):
        await app.invoke("bad_message", {"onRow": Channel(lambda m: None)})


async def test_send_after_close_is_an_error():
    app = make_app()
    with pytest.raises(CommandFailed) as info:
        await app.invoke("closes_early", {"onRow": Channel(lambda m: None)})
    assert isinstance(info.value.error, ChannelClosed)


async def test_channel_arg_must_be_a_channel_and_present():
    app = make_app()
    with pytest.raises(InvalidArgs, match="must be a core.Channel"):
        await app.invoke("stream_rows", {"count": 1, "onRow": "nope"})
    with pytest.raises(InvalidArgs, match="missing required key onRow"):
        await app.invoke("stream_rows", {"count": 1})


@pytest.mark.parametrize("name, args, error", [
    ("stream_rows", {"count": "many"}, InvalidArgs),  # bad args
    ("stream_rowz", {"count": 1}, CommandNotFound),  # a typo
])
async def test_an_invoke_that_fails_before_the_command_ends_the_stream(name, args, error):
    """A reader of the channel stopped waiting only at end of stream, which never came
    when the invoke failed first (a developer review: it hung)."""
    app = make_app()
    ch: Channel[Row] = Channel()
    ends: list[bool] = []
    other = Channel(lambda m: None, lambda: ends.append(True))
    reader = asyncio.create_task(anext(aiter(ch), "ended"))
    with pytest.raises(error):
        await app.invoke(name, {**args, "onRow": ch, "spare": other})
    assert await asyncio.wait_for(reader, 5) == "ended"
    assert ends == [True] and ch.closed


async def test_a_channel_serves_one_invoke():
    app = make_app()
    got: list = []
    ch = Channel(got.append)
    assert await app.invoke("stream_rows", {"count": 1, "onRow": ch}) == 1
    with pytest.raises(InvalidArgs, match="another invoke already used: create a Channel per call"):
        await app.invoke("stream_rows", {"count": 2, "onRow": ch})  # refused before it runs
    await asyncio.sleep(0)  # let the first invoke's message be delivered
    assert len(got) == 1


async def test_a_callback_that_raises_loses_neither_later_messages_nor_the_end(caplog):
    app = make_app()
    got: list[float] = []

    def on_message(row):
        got.append(row.depth)
        if row.depth == 0.5:
            raise ValueError("caller bug")

    def on_close():
        got.append("end")
        raise KeyError("close bug")

    ch = Channel(on_message, on_close)
    assert await app.invoke("stream_rows", {"count": 4, "onRow": ch}) == 4
    await app.drain()
    assert got == [0.0, 0.5, 1.0, 1.5, "end"]
    logged = [r.getMessage() for r in caplog.records if r.name == "core._channel"]
    assert len(logged) == 2 and all("the stream goes on" in m for m in logged)
