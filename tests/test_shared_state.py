"""Shared backend state synced to every window: snapshot on subscribe, revision order, gaps."""

from __future__ import annotations

import random
import threading

import pydantic
import pytest

from core import Builder
from core.stores import get


class View(pydantic.BaseModel):
    top: float = 0
    bottom: float = 100


async def test_window_opened_late_sees_latest_value_at_once():
    app = Builder().build()
    counter = app.shared("counter", 0)
    for i in range(10):
        counter.set(i + 1)
    late = app.create_window("late")
    store = late.sync("counter")
    seen = []
    store.subscribe(seen.append)
    assert seen == [10]  # immediately, no lost early events
    assert store.revision == counter.revision == 10
    counter.set(11)
    await app.drain()
    assert seen == [10, 11]


async def test_revisions_increase_and_events_carry_them():
    app = Builder().build()
    state = app.shared("sel", {"a": 1})
    got = []
    app.listen("state:sel", lambda ev: got.append(ev.payload))
    assert state.set({"a": 2}) == 1
    assert state.update(lambda v: {**v, "b": 3}) == 2
    state.set(5)
    state.set(5)  # equal primitive: no change, no revision
    await app.drain()
    assert [p["revision"] for p in got] == [1, 2, 3]
    assert got[-1]["value"] == 5 and state.revision == 3


async def test_pydantic_values_validated_on_set():
    app = Builder().build()
    view = app.shared("view", View())
    view.set({"top": "5", "bottom": 50})
    assert view.get() == View(top=5, bottom=50)
    with pytest.raises(pydantic.ValidationError):
        view.set({"top": "deep"})
    assert view.get() == View(top=5, bottom=50) and view.revision == 1


async def test_stale_events_are_ignored_and_gaps_refetch_snapshot():
    app = Builder().build()
    state = app.shared("x", 0)
    win = app.create_window("w")
    store = win.sync("x")
    seen = []
    unsub = store.subscribe(seen.append)
    # a gap: revisions 1 and 2 are never delivered, 3 arrives alone
    state._revision, state._value = 2, 2
    state.set(3)
    await app.drain()
    assert seen[-1] == 3 and store.revision == 3
    # a stale event (older revision) changes nothing
    app.emit("state:x", {"revision": 1, "value": -1})
    await app.drain()
    assert seen[-1] == 3
    unsub()


async def test_unsubscribed_store_stops_listening():
    app = Builder().build()
    app.shared("y", 1)
    win = app.create_window("w")
    base = app.listener_count()
    store = win.sync("y")
    unsub = store.subscribe(lambda v: None)
    assert app.listener_count() == base + 1
    unsub()
    assert app.listener_count() == base
    assert get(store) == 1


async def test_n_windows_converge_through_random_updates_from_threads():
    app = Builder().build()
    state = app.shared("shared", 0)
    app.emit("bind")
    windows = [app.create_window(f"w{i}") for i in range(8)]
    stores = [w.sync("shared") for w in windows]
    revisions: list[list[int]] = [[] for _ in stores]
    values: list[list[int]] = [[] for _ in stores]
    for i, store in enumerate(stores):
        store.subscribe(lambda v, i=i: (values[i].append(v), revisions[i].append(stores[i].revision)))
    rng = random.Random(7)
    lock = threading.Lock()

    def worker(n):
        for _ in range(n):
            with lock:
                pass
            state.update(lambda v: v + rng.randint(1, 5))

    threads = [threading.Thread(target=worker, args=(200,)) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(400):  # and from the loop, interleaved
        state.set(state.get() + 1) if rng.random() < 0.5 else state.update(lambda v: v * 1)
        if rng.random() < 0.05:
            await app.drain()
    for t in threads:
        t.join()
    await app.drain()
    final = state.get()
    for i, store in enumerate(stores):
        assert get(store) == final
        assert store.revision == state.revision
        assert revisions[i] == sorted(revisions[i])  # never goes back


def test_a_closed_windows_synced_store_is_freed_without_the_cyclic_collector():
    """No reference cycle through a synced store: 1 000 panes opened and closed give their
    memory back at once, not at the next gc run."""
    import gc
    import weakref

    app = Builder().build()
    app.shared("sel", 1)
    gc.collect()
    gc.disable()
    try:
        win = app.create_window("w")
        store = win.sync("sel")
        seen: list = []
        unsubscribe = store.subscribe(seen.append)
        app.shared("sel").set(2)
        assert seen == [1, 2] and store.revision == 1
        unsubscribe()
        win.close()
        refs = weakref.ref(win), weakref.ref(store)
        del win, store, unsubscribe
        assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()


async def test_a_window_cannot_speak_for_shared_state():
    """A window emitting `state:<name>` (by mistake or malice) is refused even without an
    ACL, and a forged event reaching a synced store is ignored: later backend changes
    still arrive (they were dropped as stale after a forged revision)."""
    from core import PermissionDenied

    app = Builder().build()
    sel = app.shared("sel", {"well_id": 1})
    a, b = app.create_window("a"), app.create_window("b")
    seen: list = []
    b.sync("sel").subscribe(seen.append)
    with pytest.raises(PermissionDenied, match="cannot emit state:\\* events"):
        a.emit("state:sel", {"revision": 1, "value": {"well_id": 666}})
    app.bus.emit("state:sel", {"revision": 1, "value": {"well_id": 666}}, source="a")  # forged on the bus
    sel.set({"well_id": 2})
    await app.drain()
    assert seen == [{"well_id": 1}, {"well_id": 2}]


def test_syncing_a_shared_state_nobody_created_is_an_error():
    app = Builder().build()
    app.shared("selection", None)
    with pytest.raises(KeyError, match="no shared state 'selction'.*shared states: selection"):
        app.create_window("w").sync("selction")
    assert app.get_shared("selction") is None  # not created by the mistake
