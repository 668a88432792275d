"""Events: Tauri's delivery table, ordering, threads, isolation, drain, names."""

from __future__ import annotations

import asyncio
import threading

import pytest

from core import Builder, Event, EventBus, EventTarget, Window, command


def collecting_app():
    app = Builder().build()
    w = app.create_window("w")
    other = app.create_window("other")
    got: dict[str, list] = {"app": [], "w": [], "other": [], "any": []}
    app.listen("e", lambda ev: got["app"].append(ev.payload))
    w.listen("e", lambda ev: got["w"].append(ev.payload))
    other.listen("e", lambda ev: got["other"].append(ev.payload))
    app.listen_any("e", lambda ev: got["any"].append(ev.payload))
    return app, got


async def test_delivery_table():
    app, got = collecting_app()
    app.emit("e", "all")
    app.emit_to(EventTarget.app(), "e", "app-only")
    app.emit_to("w", "e", "to-w")
    app.emit_to(EventTarget.window("other"), "e", "to-other")
    app.emit_to(EventTarget.any(), "e", "any")
    app.emit_filter("e", "filter-w", lambda t: t.kind == "window" and t.label == "w")
    app.emit_filter("e", "filter-app", lambda t: t == EventTarget.app())
    await app.drain()
    assert got["app"] == ["all", "app-only", "any", "filter-app"]
    assert got["w"] == ["all", "to-w", "any", "filter-w"]
    assert got["other"] == ["all", "to-other", "any"]
    assert got["any"] == ["all", "app-only", "to-w", "to-other", "any", "filter-w", "filter-app"]


async def test_event_fields():
    app = Builder().build()
    w = app.create_window("main")
    seen: list[Event] = []
    unlisten = app.listen_any("ping", lambda ev: seen.append(ev.copy()))
    w.emit_to("main", "ping", {"x": 1})
    app.emit("ping")
    await app.drain()
    first, second = seen
    assert (first.event, first.payload, first.id) == ("ping", {"x": 1}, unlisten.id)
    assert first.target == EventTarget.window("main") and first.source == "main"
    assert second.source is None and second.target == EventTarget.any()
    assert second.seq > first.seq


def test_target_value_semantics():
    assert EventTarget.window("a") == EventTarget.window("a")
    assert EventTarget.any().kind == "any" and EventTarget.app().label is None
    assert EventTarget.coerce("w") == EventTarget.window("w")
    with pytest.raises(Exception):
        EventTarget.any().kind = "app"  # frozen


async def test_sync_handlers_in_registration_order_and_breadth_first():
    app = Builder().build()
    order: list[str] = []

    def a1(ev):
        order.append("a1")
        app.emit("b")

    app.listen("a", a1)
    app.listen("a", lambda ev: order.append("a2"))
    app.listen("b", lambda ev: order.append("b"))
    app.emit("a")
    assert order == ["a1", "a2", "b"]


async def test_async_handler_is_fifo_and_never_concurrent():
    app = Builder().build()
    seen: list[int] = []
    active = 0
    peak = 0

    async def handler(ev):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0)
        seen.append(ev.payload)
        active -= 1

    app.listen("n", handler)
    for i in range(50):
        app.emit("n", i)
    await app.drain()
    assert seen == list(range(50)) and peak == 1


async def test_async_handlers_that_keep_their_event_each_keep_their_own():
    # Unkept events are reused between async listeners; kept ones must never change.
    app = Builder().build()
    kept: list[tuple[int, Event]] = []
    after_await: list[tuple[int, int]] = []

    def keeper():
        async def handler(ev):
            kept.append((ev.id, ev))
        return handler

    def forgetful():
        async def handler(ev):
            return ev.payload
        return handler

    async def suspender(ev):
        mine = ev.id
        await asyncio.sleep(0)
        after_await.append((mine, ev.id))

    ids = []
    for make in (keeper, forgetful, keeper, forgetful, forgetful, keeper):
        ids.append(app.listen("k", make()).id)
    ids.append(app.listen("k", suspender).id)
    ids.append(app.listen("k", keeper()).id)
    app.emit("k", "p")
    await app.drain()
    assert [ev.id for _, ev in kept] == [i for i, _ in kept]  # still the id it was given
    assert len({id(ev) for _, ev in kept}) == len(kept) == 4
    assert {i for i, _ in kept} == {ids[0], ids[2], ids[5], ids[7]}
    assert after_await == [(ids[6], ids[6])]


async def test_sync_handlers_that_keep_their_event_keep_their_own_id():
    app = Builder().build()
    kept: list[tuple[int, Event]] = []
    ids = []
    for keep in (True, False, True, True, False, True):
        if keep:
            ids.append(app.listen("k", lambda ev: kept.append((ev.id, ev))).id)
        else:
            ids.append(app.listen("k", lambda ev: ev.payload).id)
    app.emit("k", "p")
    app.emit("k", "q")
    assert [ev.id for _, ev in kept] == [i for i, _ in kept]  # nobody's id was overwritten
    assert [i for i, _ in kept] == [ids[0], ids[2], ids[3], ids[5]] * 2
    assert [ev.payload for _, ev in kept] == ["p"] * 4 + ["q"] * 4


async def test_an_async_handler_runs_to_its_first_await_during_emit_then_in_order():
    app = Builder().build()
    trace: list[str] = []
    gate = asyncio.Event()

    async def handler(ev):
        trace.append(f"start {ev.payload}")
        if ev.payload == 1:
            await gate.wait()
        trace.append(f"end {ev.payload}")

    app.listen("n", handler)
    app.emit("n", 0)
    assert trace == ["start 0", "end 0"]  # never suspended: no task was needed
    app.emit("n", 1)
    app.emit("n", 2)  # queued behind the suspended call, one call at a time
    assert trace == ["start 0", "end 0", "start 1"]
    gate.set()
    await app.drain()
    assert trace == ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]


async def test_an_async_handler_failing_before_or_after_its_first_await_is_reported():
    app = Builder().build()
    errors, got = [], []

    async def early(ev):
        raise KeyError("before any await")

    async def late(ev):
        await asyncio.sleep(0)
        raise KeyError("after an await")

    async def fine(ev):
        await asyncio.sleep(0)
        got.append(ev.payload)

    for h in (early, late, fine):
        app.listen("x", h)
    app.listen("listener-error", lambda ev: errors.append(ev.payload["error"]))
    app.emit("x", 1)
    app.emit("x", 2)
    await app.drain()
    assert got == [1, 2]
    assert sorted(errors) == sorted(["KeyError: 'before any await'"] * 2 + ["KeyError: 'after an await'"] * 2)


async def test_cancelling_the_handlers_task_reaches_it_while_suspended():
    app = Builder().build()
    cancelled = asyncio.Event()
    entered = asyncio.Event()
    hosts: list[asyncio.Task] = []

    async def handler(ev):
        entered.set()
        hosts.append(asyncio.current_task())
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    app.listen("x", handler)
    app.emit("x")
    assert entered.is_set()
    assert hosts[0] is not asyncio.current_task()
    hosts[0].cancel()  # the handler's own task, as `asyncio.timeout` would cancel it
    await asyncio.wait_for(cancelled.wait(), 5)
    app.emit("x")  # the listener goes on, in a new task
    assert len(hosts) == 2 and hosts[1] is not hosts[0]


async def test_emit_from_threads_is_delivered_on_the_loop_in_per_thread_order():
    app = Builder().build()
    loop_thread = threading.get_ident()
    got: list[tuple[int, int]] = []
    threads_seen: set[int] = set()

    def handler(ev):
        threads_seen.add(threading.get_ident())
        got.append(ev.payload)

    app.listen("t", handler)
    app.emit("warmup")  # binds the bus to this loop

    def producer(k):
        for i in range(200):
            app.emit("t", (k, i))

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    await app.drain()
    assert threads_seen == {loop_thread}
    assert len(got) == 800
    for k in range(4):
        assert [i for kk, i in got if kk == k] == list(range(200))


async def test_failing_listener_is_isolated_and_reported_once(caplog):
    app = Builder().build()
    got, errors = [], []

    def bad(ev):
        raise RuntimeError("kaput")

    async def bad_async(ev):
        raise ValueError("async kaput")

    app.listen("x", bad)
    app.listen("x", bad_async)
    app.listen("x", lambda ev: got.append(ev.payload))
    app.listen("listener-error", lambda ev: errors.append(ev.payload))
    app.emit("x", 1)
    app.emit("x", 2)
    await app.drain()
    assert got == [1, 2]
    assert len(errors) == 4
    assert {e["event"] for e in errors} == {"x"}
    assert "RuntimeError: kaput" in errors[0]["error"]
    assert any("async kaput" in e["error"] for e in errors)
    assert "kaput" in caplog.text


async def test_async_handlers_that_raise_before_or_after_suspending_leave_the_rest_running():
    """Idle handlers are stepped inline by one shared stepper: a handler that raises ends
    it (a new one takes over), one that suspends takes it to its host task — neither may
    cost another listener an event, nor its order."""
    app = Builder().build()
    got: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    errors = []

    def counter(name):
        async def handler(ev):
            got[name].append(ev.payload)
        return handler

    async def raises_at_once(ev):
        raise ValueError(f"at once {ev.payload}")

    async def raises_later(ev):
        await asyncio.sleep(0)
        raise KeyError(f"later {ev.payload}")

    async def suspends(ev):
        await asyncio.sleep(0)
        got["c"].append(ev.payload)

    app.listen("x", counter("a"))
    app.listen("x", raises_at_once)
    app.listen("x", raises_later)
    app.listen("x", suspends)
    app.listen("x", counter("b"))
    app.listen("listener-error", lambda ev: errors.append(ev.payload["error"]))
    for i in range(5):
        app.emit("x", i)
    await app.drain()
    assert got == {"a": list(range(5)), "b": list(range(5)), "c": list(range(5))}
    assert sorted(errors) == sorted([f"ValueError: at once {i}" for i in range(5)]
                                    + [f"KeyError: 'later {i}'" for i in range(5)])


async def test_once_and_unlisten_are_idempotent():
    app = Builder().build()
    got = []
    app.once("o", lambda ev: got.append(ev.payload))
    handle = app.listen("u", lambda ev: got.append(ev.payload))
    app.emit("o", 1)
    app.emit("o", 2)
    handle()
    handle()
    app.unlisten(handle.id)
    app.unlisten(123456)
    app.emit("u", 3)
    await app.drain()
    assert got == [1]
    assert app.listener_count() == 0


async def test_once_any_catches_any_target():
    app = Builder().build()
    got = []
    app.once_any("x", lambda ev: got.append(ev.payload))
    app.emit_to("nobody", "x", "first")
    app.emit("x", "second")
    assert got == ["first"]


@pytest.mark.parametrize("name", ["", "has space", "dot.ted", "semi;colon", None, 5])
async def test_invalid_event_names(name):
    app = Builder().build()
    with pytest.raises(ValueError, match="invalid event name"):
        app.emit(name)
    with pytest.raises(ValueError, match="invalid event name"):
        app.listen(name, lambda ev: None)


async def test_valid_names_and_emitting_to_nobody():
    app = Builder().build()
    for name in ["a", "state:selection", "task-progress", "ns/evt_1"]:
        app.emit(name, None)


async def test_windows_lifecycle_and_listener_cleanup():
    app = Builder().build()
    events = []
    app.listen("window-created", lambda ev: events.append(("created", ev.payload)))
    app.listen("window-closed", lambda ev: events.append(("closed", ev.payload)))
    base = app.listener_count()
    w = app.create_window("pane-1")
    assert app.get_window("pane-1") is w and app.windows == {"pane-1": w}
    with pytest.raises(ValueError, match="already exists"):
        app.create_window("pane-1")
    with pytest.raises(ValueError):
        app.create_window("bad label")
    for i in range(10):
        w.listen(f"e{i}", lambda ev: None)
        w.listen_any("x", lambda ev: None)
    assert app.listener_count() == base + 20
    w.close()
    w.close()
    assert app.listener_count() == base
    assert app.get_window("pane-1") is None
    assert events == [("created", "pane-1"), ("closed", "pane-1")]
    with pytest.raises(RuntimeError, match="closed"):
        w.listen("e", lambda ev: None)


async def test_window_emit_records_source():
    app = Builder().build()
    a, b = app.create_window("a"), app.create_window("b")
    seen = []
    b.listen("hello", lambda ev: seen.append((ev.source, ev.target.label)))
    a.emit_to("b", "hello")
    a.emit("hello")
    a.emit_filter("hello", None, lambda t: t.label == "b")
    await app.drain()
    assert seen == [("a", "b"), ("a", None), ("a", None)]


async def test_standalone_event_bus_frontend_pattern():
    bus = EventBus()
    got = []
    bus.listen("data-changed", lambda ev: got.append(ev.payload))
    bus.emit("data-changed", {"dataType": "curve", "itemId": "7", "changeKind": "added"})
    handle = bus.once("data-changed", lambda ev: got.append("once"))
    bus.emit("data-changed", {"dataType": "well", "itemId": "1", "changeKind": "removed"})
    await bus.drain()
    assert got[0]["changeKind"] == "added" and got[-1] == "once" and len(got) == 3
    handle()
    assert bus.listener_count("data-changed") == 1


async def test_drain_waits_for_async_handlers_and_their_emits():
    app = Builder().build()
    done = []

    async def first(ev):
        await asyncio.sleep(0.01)
        app.emit("second")

    async def second(ev):
        await asyncio.sleep(0.01)
        done.append(True)

    app.listen("first", first)
    app.listen("second", second)
    app.emit("first")
    await app.drain(timeout=5)
    assert done == [True]


async def test_debounce_delivers_only_the_last():
    app = Builder().build()
    got = []
    app.listen("typing", lambda ev: got.append(ev.payload), debounce=0.02)
    for i in range(20):
        app.emit("typing", i)
    await app.drain(timeout=5)
    assert got == [19]


async def test_throttle_delivers_first_and_last():
    app = Builder().build()
    got = []
    app.listen("scroll", lambda ev: got.append(ev.payload), throttle=0.05)
    for i in range(100):
        app.emit("scroll", i)
    await app.drain(timeout=5)
    assert got[-1] == 99
    assert 1 <= len(got) <= 3


async def test_coalesced_events_from_a_thread_keep_latest_and_order():
    app = Builder().build()
    app.bus.coalesce("progress", key=lambda p: p["id"])
    got = []
    app.listen("progress", lambda ev: got.append(ev.payload))
    app.listen("done", lambda ev: got.append("done"))
    app.emit("bind")

    def producer():
        for i in range(10_000):
            app.emit("progress", {"id": 1, "i": i})
        app.emit("done")

    t = threading.Thread(target=producer)
    t.start()
    t.join()
    await app.drain()
    assert got[-1] == "done"
    progress = [p["i"] for p in got if p != "done"]
    assert progress[-1] == 9999 and progress == sorted(progress)
    assert len(progress) < 10_000  # coalesced, not queued one by one


def test_unlisten_owner_removes_only_that_windows_listeners_and_forgets_it():
    bus = EventBus()
    got: list[str] = []
    for owner in ("a", "b"):
        for event in ("x", "y"):
            bus.listen(event, lambda ev, o=owner: got.append(f"{o}:{ev.event}"), owner=owner)
    shared = bus.listen("x", lambda ev: got.append("backend:x"))
    bus.unlisten(shared)
    bus.listen("x", lambda ev: got.append("backend:x"))
    assert bus.unlisten_owner("a") == 2 and bus.unlisten_owner("a") == 0
    bus.emit("x", None)
    bus.emit("y", None)
    assert got == ["b:x", "backend:x", "b:y"]
    # A listener removed on its own leaves the owner's index too.
    ids = [lst_id for lst_id, _, _, owner in bus.iter_listeners() if owner == "b"]
    bus.unlisten(ids[0])
    assert bus.unlisten_owner("b") == 1 and bus._by_owner == {}
    assert bus.listener_count() == 1


async def test_a_closed_window_can_neither_emit_nor_invoke():
    """As a destroyed Tauri webview: nothing leaves a closed window, and the command body
    never runs (the ACL would otherwise judge it by a label a new window may reuse)."""
    from core import PermissionDenied

    ran: list[str] = []

    @command
    def hello(window: Window) -> str:
        ran.append(window.label)
        return f"hi {window.label}"

    app = Builder().invoke_handler(hello).build()
    got: list = []
    app.listen_any("x", got.append)
    b = app.create_window("b")
    assert await b.invoke("hello") == "hi b"
    b.close()
    with pytest.raises(PermissionDenied, match="^Command hello not allowed: window 'b' is closed"):
        await b.invoke("hello")
    for emit in (lambda: b.emit("x", 1), lambda: b.emit_to("a", "x", 1),
                 lambda: b.emit_filter("x", 1, lambda t: True)):
        with pytest.raises(RuntimeError, match="window 'b' is closed"):
            emit()
    await app.drain()
    assert ran == ["b"] and got == []


@pytest.mark.parametrize("flow", [{"debounce": 0.01}, {"throttle": 0.01}])
@pytest.mark.parametrize("is_async", [False, True])
async def test_once_with_debounce_or_throttle_delivers_one_event(flow, is_async):
    """`once` removed the listener at the first event, so the delayed call found it gone
    and the handler never ran (a developer review)."""
    bus = EventBus()
    bus.bind()
    got: list = []
    fired = asyncio.Event()

    def record(ev):
        got.append(ev.payload)
        fired.set()

    async def arecord(ev):
        record(ev)

    bus.listen("a", arecord if is_async else record, once=True, **flow)
    for i in range(3):
        bus.emit("a", i)
    await asyncio.wait_for(fired.wait(), 5)
    await bus.drain()
    bus.emit("a", 99)
    await bus.drain()
    assert len(got) == 1 and got[0] in (0, 2) and bus.listener_count() == 0


async def test_an_app_built_in_a_loop_delivers_thread_emits_on_that_loop():
    """Without a bound loop, an emit from a worker thread ran its handlers in that thread."""
    app = Builder().build()  # inside the running loop: bound
    threads: list[int] = []
    app.listen("from-thread", lambda ev: threads.append(threading.get_ident()))
    worker = threading.Thread(target=lambda: app.emit("from-thread", 1))
    worker.start()
    worker.join()
    await app.drain()
    assert threads == [threading.get_ident()]


# ---- an async handler runs as its own task (a developer's review: asyncio.timeout in a
# handler cancelled the emitter, and context variables leaked into it) ----------------

async def test_asyncio_timeout_in_a_handler_times_out_the_handler_not_the_emitter():
    app = Builder().build()
    seen: list[str] = []

    async def slow(ev):
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(5)
        except TimeoutError:
            seen.append("handler timed out")

    app.listen("slow", slow)
    app.emit("slow")
    await asyncio.sleep(0.05)  # the emitter keeps running: not cancelled by the handler's timeout
    await app.drain()
    assert seen == ["handler timed out"]
    assert asyncio.current_task().cancelling() == 0


async def test_a_handler_sees_one_task_of_its_own_before_and_after_it_suspends():
    app = Builder().build()
    tasks: list[tuple] = []

    async def handler(ev):
        before = asyncio.current_task()
        await asyncio.sleep(0)
        tasks.append((ev.payload, before, asyncio.current_task()))

    app.listen("x", handler)
    app.emit("x", 1)
    app.emit("x", 2)  # queued behind the first: the same listener's task runs it
    await app.drain()
    emitter = asyncio.current_task()
    assert [t[0] for t in tasks] == [1, 2]
    assert all(before is after is not emitter for _, before, after in tasks)
    assert tasks[0][1] is tasks[1][1]  # one host task per listener, kept between calls


async def test_a_task_group_failure_caught_in_a_handler_leaves_the_emitter_alone():
    app = Builder().build()
    caught: list[str] = []

    async def boom():
        raise ValueError("child failed")

    async def handler(ev):
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(boom())
                await asyncio.sleep(5)
        except* ValueError as eg:
            caught.append(str(eg.exceptions[0]))

    app.listen("x", handler)
    app.emit("x")
    await app.drain(timeout=5)
    assert caught == ["child failed"]
    assert asyncio.current_task().cancelling() == 0


async def test_context_variables_a_handler_sets_stay_with_its_listener():
    import contextvars

    var = contextvars.ContextVar("var", default="emitter's")
    app = Builder().build()
    seen: list[str] = []

    async def handler(ev):
        seen.append(var.get())
        var.set(f"handler-{ev.payload}")

    var.set("at listen time")
    app.listen("x", handler)
    var.set("emitter's")
    app.emit("x", 1)
    assert var.get() == "emitter's"  # nothing leaked into the emitter
    app.emit("x", 2)
    await app.drain()
    assert seen == ["at listen time", "handler-1"]  # the listener keeps its own context


async def test_a_timeout_works_in_a_handler_of_an_event_emitted_from_a_thread():
    app = Builder().build()
    done = asyncio.Event()
    results: list[str] = []

    async def handler(ev):
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(5)
        except TimeoutError:
            results.append("timed out")
        done.set()

    app.listen("x", handler)
    await asyncio.to_thread(app.emit, "x")
    await asyncio.wait_for(done.wait(), 5)
    assert results == ["timed out"]


async def test_removing_an_async_listener_ends_its_task():
    app = Builder().build()
    baseline = len(asyncio.all_tasks())

    async def handler(ev):
        await asyncio.sleep(0)

    handles = [app.listen("x", handler) for _ in range(50)]
    app.emit("x")
    await app.drain()
    assert len(asyncio.all_tasks()) == baseline + 50  # one idle task per listener that ran
    for h in handles:
        h()
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == baseline
