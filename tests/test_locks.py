"""Mutex and RwLock: shared by threads, never held across an await, and invoke from threads."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import pytest

from core import Builder, CommandFailed, InvalidArgs, LockHeldAcrossAwait, Mutex, RwLock, State, command


@dataclass
class Tally:
    n: int = 0


@command
async def slow_bump(tally: State[Mutex[Tally]]) -> int:
    with tally.lock() as t:  # wrong: held across the await below
        seen = t.n
        await asyncio.sleep(0.01)
        t.n = seen + 1
        return t.n


@command
async def slow_write(tally: State[RwLock[Tally]]) -> int:
    with tally.write() as t:
        await asyncio.sleep(0.01)
        t.n += 1
        return t.n


@command
async def slow_read(tally: State[RwLock[Tally]]) -> int:
    with tally.read() as t:
        await asyncio.sleep(0.01)
        return t.n


@command
def where() -> int:
    return threading.get_ident()


@command(thread=True)
def bump_in_thread(tally: State[Mutex[Tally]]) -> int:
    with tally.lock() as t:
        t.n += 1
        return t.n


async def test_a_mutex_held_across_an_await_refuses_a_second_task_instead_of_sharing():
    app = Builder().manage(Mutex(Tally())).invoke_handler(slow_bump).build()
    results = await asyncio.wait_for(
        asyncio.gather(*(app.invoke("slow_bump") for _ in range(5)), return_exceptions=True), 10)
    assert results[0] == 1
    for failed in results[1:]:
        assert isinstance(failed, CommandFailed) and isinstance(failed.error, LockHeldAcrossAwait)
        assert "held across an await" in str(failed) and "asyncio.Lock" in str(failed)
    with app.state(Mutex[Tally]).lock() as t:
        assert t.n == 1  # no lost update: the others never got in
    assert await app.invoke("slow_bump") == 2  # released: the next call works


async def test_an_rwlock_held_across_an_await_refuses_instead_of_blocking_the_loop():
    app = Builder().manage(RwLock(Tally())).invoke_handler(slow_write, slow_read).build()
    first = asyncio.create_task(app.invoke("slow_write"))
    await asyncio.sleep(0)  # it now holds the write lock, suspended in its sleep
    with pytest.raises(CommandFailed) as info:
        await asyncio.wait_for(app.invoke("slow_read"), 5)  # used to hang the loop forever
    assert isinstance(info.value.error, LockHeldAcrossAwait)
    assert await asyncio.wait_for(first, 5) == 1
    # Readers together are fine, across awaits too: they never wait for each other.
    assert await asyncio.gather(app.invoke("slow_read"), app.invoke("slow_read")) == [1, 1]
    assert await app.invoke("slow_write") == 2


def test_locks_still_serialize_threads_and_allow_nesting_in_one_thread():
    m = Mutex(Tally())
    with m.lock() as outer, m.lock() as inner:  # re-entrant in one thread, outside any loop
        assert outer is inner

    def work() -> None:
        for _ in range(1000):
            with m.lock() as t:
                t.n += 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with m.lock() as t:
        assert t.n == 8000

    rw = RwLock(Tally())

    def write() -> None:
        for _ in range(500):
            with rw.write() as t:
                t.n += 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with rw.read() as t:
        assert t.n == 2000


def test_a_nested_write_in_one_thread_raises_instead_of_deadlocking():
    rw = RwLock(Tally())
    with rw.read():
        with pytest.raises(LockHeldAcrossAwait):
            with rw.write():
                pass
    with rw.write() as t:  # nothing left held or waiting
        t.n = 5
    with rw.read() as t:
        assert t.n == 5


async def test_invoke_threadsafe_runs_on_the_loop_and_raises_invoke_errors():
    app = Builder().manage(Mutex(Tally())).invoke_handler(bump_in_thread, slow_bump, where).build()
    app.bus.bind()
    loop_thread = threading.get_ident()
    seen: list = []

    def from_thread() -> None:
        seen.append(app.invoke_threadsafe("where").result(5))
        seen.append(app.invoke_threadsafe("slow_bump").result(5))
        seen.append(app.invoke_threadsafe("bump_in_thread").result(5))
        try:
            app.invoke_threadsafe("slow_bump", {"nope": 1}).result(5)
        except InvalidArgs as exc:
            seen.append(exc)

    thread = threading.Thread(target=from_thread)
    thread.start()
    await asyncio.wait_for(asyncio.to_thread(thread.join), 10)
    assert seen[0] == loop_thread  # the command ran on the app's loop, not the caller's thread
    assert seen[1:3] == [1, 2] and isinstance(seen[3], InvalidArgs)


def test_invoke_threadsafe_before_the_app_has_a_loop_says_so():
    app = Builder().invoke_handler(slow_bump).build()
    with pytest.raises(RuntimeError, match="not bound to an event loop yet: call app.bind"):
        app.invoke_threadsafe("slow_bump")
