"""The Svelte store contract as `core.stores` implements it.

First, every applicable case of Svelte 4's own store suite (`test/store/store.test.js`,
later `packages/svelte/tests/store/test.ts` in sveltejs/svelte) translated to Python, in
the same order and with the same expected values. Then the parts of the contract the
Svelte suite does not pin down (derived of derived, unsubscribing during a delivery,
lazy start/stop through `get`), and what this port deliberately does differently:
primitives compare by type as well as value, a raising subscriber is logged instead of
freezing every store (svelte#11555), and the subscriber queue is per thread.
"""

from __future__ import annotations

import logging
import math
import threading

import pytest

from core.stores import derived, get, readable, readonly, safe_not_equal, writable


class RxLikeObservable:
    """Svelte's `fake_observable`: `subscribe(fn)` only, returning an object with `.unsubscribe()`."""

    def __init__(self) -> None:
        self.unsubscribed = 0

    def subscribe(self, fn):
        fn(42)
        outer = self

        class Subscription:
            def unsubscribe(self) -> None:
                outer.unsubscribed += 1

        return Subscription()


# =====================================================================================
# Svelte: describe('writable')
# =====================================================================================


def test_svelte_writable_creates_a_writable_store():
    count = writable(0)
    seen = []
    unsubscribe = count.subscribe(seen.append)
    count.set(1)
    count.update(lambda n: n + 1)
    unsubscribe()
    count.set(3)
    count.update(lambda n: n + 1)
    assert seen == [0, 1, 2]


def test_svelte_writable_creates_an_undefined_writable_store():
    store = writable()
    seen = []
    store.subscribe(seen.append)()
    assert seen == [None]


def test_svelte_writable_calls_provided_subscribe_handler():
    called = 0

    def start():
        nonlocal called
        called += 1

        def stop():
            nonlocal called
            called -= 1

        return stop

    store = writable(0, start)
    unsubscribe1 = store.subscribe(lambda _: None)
    assert called == 1
    unsubscribe2 = store.subscribe(lambda _: None)
    assert called == 1
    unsubscribe1()
    assert called == 1
    unsubscribe2()
    assert called == 0


def test_svelte_writable_does_not_assume_immutable_data():
    obj: dict = {}
    called = 0

    def count(_):
        nonlocal called
        called += 1

    store = writable(obj)
    store.subscribe(count)
    store.set(obj)
    assert called == 2
    store.update(lambda o: o)
    assert called == 3


def test_svelte_writable_only_calls_subscriber_once_initially_including_on_resubscriptions():
    num = 0

    def start(set_):
        nonlocal num
        num += 1
        set_(num)

    store = writable(num, start)
    count1: list = []
    count2: list = []
    store.subscribe(count1.append)()
    assert count1 == [1]  # svelte#3022: the value set inside start, delivered exactly once
    unsubscribe = store.subscribe(count2.append)
    assert count2 == [2]  # start ran again on resubscription, still one call
    unsubscribe()


def test_svelte_writable_no_error_even_if_unsubscribe_calls_twice():
    store = writable(0, lambda set_: set_(1))
    unsubscribe = store.subscribe(lambda _: None)
    unsubscribe()
    unsubscribe()  # must not raise


# =====================================================================================
# Svelte: describe('readable')
# =====================================================================================


def test_svelte_readable_creates_a_readable_store():
    state = {"running": False, "tick": None}

    def start(set_):
        state["tick"] = set_
        state["running"] = True
        set_(0)

        def stop():
            state["tick"] = lambda _: None
            state["running"] = False

        return stop

    store = readable(None, start)
    assert not state["running"]
    seen = []
    unsubscribe = store.subscribe(seen.append)
    assert state["running"]
    state["tick"](1)
    state["tick"](2)
    unsubscribe()
    assert not state["running"]
    state["tick"](3)
    state["tick"](4)
    assert seen == [0, 1, 2]


def test_svelte_readable_passes_an_optional_update_function():
    state: dict = {"running": False}

    def start(set_, update):
        state["tick"] = set_
        state["running"] = True
        state["add"] = lambda n: update(lambda value: value + n)
        set_(0)

        def stop():
            state["tick"] = lambda _: None
            state["add"] = lambda _: None
            state["running"] = False

        return stop

    store = readable(None, start)
    assert not state["running"]
    seen = []
    unsubscribe = store.subscribe(seen.append)
    assert state["running"]
    state["tick"](1)
    state["tick"](2)
    state["add"](3)
    state["add"](4)
    state["tick"](5)
    state["add"](6)
    unsubscribe()
    assert not state["running"]
    state["tick"](7)
    state["add"](8)
    assert seen == [0, 1, 2, 5, 9, 5, 11]


def test_svelte_readable_creates_an_undefined_readable_store():
    seen = []
    readable().subscribe(seen.append)()
    assert seen == [None]


def test_svelte_readable_creates_a_readable_store_without_updater():
    seen = []
    readable(100).subscribe(seen.append)()
    assert seen == [100]


# =====================================================================================
# Svelte: describe('derived')
# =====================================================================================


def test_svelte_derived_maps_a_single_store():
    a = writable(1)
    b = derived(a, lambda n: n * 2)
    seen = []
    unsubscribe = b.subscribe(seen.append)
    a.set(2)
    assert seen == [2, 4]
    unsubscribe()
    a.set(3)
    assert seen == [2, 4]


def test_svelte_derived_maps_multiple_stores():
    a, b = writable(2), writable(3)
    c = derived([a, b], lambda ab: ab[0] * ab[1])
    seen = []
    unsubscribe = c.subscribe(seen.append)
    a.set(4)
    b.set(5)
    assert seen == [6, 12, 20]
    unsubscribe()
    a.set(6)
    assert seen == [6, 12, 20]


def test_svelte_derived_passes_optional_set_function():
    number = writable(1)

    def evens_fn(n, set_):
        if n % 2 == 0:
            set_(n)

    evens = derived(number, evens_fn, 0)
    seen = []
    unsubscribe = evens.subscribe(seen.append)
    for n in (2, 3, 4, 5):
        number.set(n)
    assert seen == [0, 2, 4]
    unsubscribe()
    for n in (6, 7, 8):
        number.set(n)
    assert seen == [0, 2, 4]


def test_svelte_derived_passes_optional_set_and_update_functions():
    number = writable(1)

    def fn(n, set_, update):
        if n % 2 == 0:
            set_(n)
        if n % 4 == 0:
            update(lambda x: x * x)

    store = derived(number, fn, 0)
    seen = []
    unsubscribe = store.subscribe(seen.append)
    for n in (2, 3, 4, 5, 6):
        number.set(n)
    assert seen == [0, 2, 4, 16, 6]
    for n in (7, 8, 9, 10):
        number.set(n)
    assert seen == [0, 2, 4, 16, 6, 8, 64, 10]
    unsubscribe()
    number.set(11)
    number.set(12)
    assert seen == [0, 2, 4, 16, 6, 8, 64, 10]


def test_svelte_derived_prevents_glitches_jekyll_hyde():
    lastname = writable("Jekyll")
    firstname = derived(lastname, lambda n: "Henry" if n == "Jekyll" else "Edward")
    fullname = derived([firstname, lastname], lambda names: " ".join(names))
    seen = []
    unsubscribe = fullname.subscribe(seen.append)
    lastname.set("Hyde")
    assert seen == ["Henry Jekyll", "Edward Hyde"]  # never "Edward Jekyll" / "Henry Hyde"
    unsubscribe()


def test_svelte_derived_prevents_diamond_dependency_problem():
    count = writable(0)
    a = derived(count, lambda c: f"a{c}")
    b = derived(count, lambda c: f"b{c}")
    combined = derived([a, b], lambda ab: ab[0] + ab[1])
    seen = []
    unsubscribe = combined.subscribe(seen.append)
    assert seen == ["a0b0"]
    count.set(1)
    assert seen == ["a0b0", "a1b1"]  # never the glitch "a1b0"
    unsubscribe()


def test_svelte_derived_dependency_does_not_update_and_shared_ancestor_updates():
    root = writable({"a": 0, "b": 0})
    a = derived(root, lambda r: f"a{r['a']}")
    b = derived([a, root], lambda v: f"b{v[1]['b']}{v[0]}")
    seen = []
    unsubscribe = b.subscribe(seen.append)
    assert seen == ["b0a0"]
    root.set({"a": 0, "b": 1})  # a recomputes to the same "a0": b must still update, once
    assert seen == ["b0a0", "b1a0"]
    unsubscribe()


def test_svelte_derived_is_updated_with_safe_not_equal_logic():
    arr = [0]
    number = writable(1)

    def fill(n):
        arr[0] = n
        return arr  # the same list every time: still a change

    numbers = derived(number, fill)
    concatenated: list = []
    unsubscribe = numbers.subscribe(concatenated.extend)
    number.set(2)
    number.set(3)
    assert concatenated == [1, 2, 3]
    unsubscribe()


def test_svelte_derived_calls_a_cleanup_function():
    num = writable(1)
    seen, cleaned_up = [], []

    def fn(n, set_):
        set_(n * 2)
        return lambda: cleaned_up.append(n)

    d = derived(num, fn)
    num.set(2)
    unsubscribe = d.subscribe(seen.append)
    num.set(3)
    num.set(4)
    assert seen == [4, 6, 8]
    assert cleaned_up == [2, 3]
    unsubscribe()
    assert cleaned_up == [2, 3, 4]


def test_svelte_derived_discards_non_function_return_values():
    num = writable(1)
    seen = []

    def fn(n, set_):
        set_(n * 2)
        return {}  # not callable: ignored, not called as a cleanup

    d = derived(num, fn)
    num.set(2)
    unsubscribe = d.subscribe(seen.append)
    num.set(3)
    num.set(4)
    assert seen == [4, 6, 8]
    unsubscribe()  # would raise TypeError if the dict were treated as a cleanup


def test_svelte_derived_allows_derived_with_different_types():
    a, b = writable("one"), writable(1)
    c = derived([a, b], lambda v: f"{v[0]} {v[1]}")
    assert get(c) == "one 1"
    a.set("two")
    b.set(2)
    assert get(c) == "two 2"


def test_svelte_derived_works_with_rxjs_style_observables():
    obs = RxLikeObservable()
    d = derived(obs, lambda v: v)
    assert get(d) == 42
    assert obs.unsubscribed == 1  # `.unsubscribe()` of the returned object was used on stop


def test_svelte_derived_does_not_restart_when_unsubscribed_from_another_store_with_a_shared_ancestor():
    a = writable(True)
    b_started = False

    def b_fn(_, __):
        nonlocal b_started
        b_started = True

        def cleanup():
            nonlocal b_started
            assert b_started is True
            b_started = False

        return cleanup

    b = derived(a, b_fn)

    def c_fn(value, set_):
        if value:
            return b.subscribe(set_)
        return None

    c = derived(a, c_fn)
    c.subscribe(lambda _: None)
    a.set(False)
    assert b_started is False


def test_svelte_derived_errors_on_undefined_stores_1():
    with pytest.raises(TypeError):
        derived(None, lambda n: n)


def test_svelte_derived_errors_on_undefined_stores_2():
    a = writable(1)
    with pytest.raises(TypeError):
        derived([a, None, None], lambda v: v[0] * 2)


# =====================================================================================
# Svelte: describe('get') and describe('readonly')
# =====================================================================================


def test_svelte_get_gets_the_current_value_of_a_store():
    assert get(readable(42, lambda: None)) == 42


def test_svelte_get_works_with_rxjs_style_observables():
    assert get(RxLikeObservable()) == 42


def test_svelte_readonly_makes_a_store_readonly():
    writable_store = writable(1)
    readable_store = readonly(writable_store)
    assert get(readable_store) == get(writable_store)
    writable_store.set(2)
    assert get(readable_store) == 2
    assert get(readable_store) == get(writable_store)
    with pytest.raises(AttributeError):
        readable_store.set(3)  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        readable_store.update(lambda v: v)  # type: ignore[attr-defined]
    assert get(writable_store) == 2


# =====================================================================================
# The rest of the contract
# =====================================================================================


@pytest.mark.parametrize("arity", [0, 1, 2])
def test_start_may_take_zero_one_or_two_arguments(arity):
    # JS ignores extra arguments, so Svelte's start functions are written as `() => ...`,
    # `(set) => ...` or `(set, update) => ...`; the port must accept all three.
    got = []

    def start0():
        got.append(())

    def start1(set_):
        got.append(("set",))
        set_(10)

    def start2(set_, update):
        got.append(("set", "update"))
        update(lambda v: v + 5)

    store = writable(1, [start0, start1, start2][arity])
    seen = []
    store.subscribe(seen.append)()
    assert got == [[(), ("set",), ("set", "update")][arity]]
    assert seen == [[1, 10, 6][arity]]


def test_readable_from_readable_has_no_set():
    store = readable(5)
    assert not hasattr(store, "set") and not hasattr(store, "update")


def test_set_without_subscribers_is_stored_and_not_delivered_later_twice():
    store = writable(0)
    store.set(7)
    seen = []
    store.subscribe(seen.append)
    assert seen == [7]


def test_get_runs_start_and_stop_of_a_lazy_store():
    log = []

    def start(set_):
        log.append("start")
        set_("fresh")
        return lambda: log.append("stop")

    store = readable("stale", start)
    assert get(store) == "fresh"
    assert log == ["start", "stop"]
    assert get(store) == "fresh"
    assert log == ["start", "stop", "start", "stop"]


def test_derived_of_derived_propagates_and_starts_and_stops_the_whole_chain():
    log = []

    def start(_set):
        log.append("a+")
        return lambda: log.append("a-")

    a = writable(1, start)
    b = derived(a, lambda v: v * 10)
    c = derived(b, lambda v: v + 1)
    calls = []
    c_fn_counter = derived(c, lambda v: calls.append(v) or v)
    assert log == []  # lazy: nothing subscribed yet
    seen = []
    unsubscribe = c_fn_counter.subscribe(seen.append)
    assert log == ["a+"]
    a.set(2)
    a.set(2)  # equal primitive: nothing recomputes
    a.set(3)
    assert seen == [11, 21, 31]
    assert calls == [11, 21, 31]  # exactly one recomputation per change, at every level
    unsubscribe()
    assert log == ["a+", "a-"]
    a.set(4)
    assert seen == [11, 21, 31] and calls == [11, 21, 31]


def test_derived_subscribes_to_dependencies_only_while_subscribed():
    src_subs = []

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def subscribe(self, run, invalidate=None):
            src_subs.append("+")
            unsub = self.inner.subscribe(run, invalidate)

            def off():
                src_subs.append("-")
                unsub()

            return off

    d = derived(Spy(writable(1)), lambda v: v)
    assert src_subs == []
    u1 = d.subscribe(lambda _: None)
    u2 = d.subscribe(lambda _: None)
    assert src_subs == ["+"]  # one subscription however many subscribers
    u1()
    assert src_subs == ["+"]
    u2()
    assert src_subs == ["+", "-"]


def test_subscriber_unsubscribing_itself_gets_no_further_values_and_stops_the_store():
    stops = []
    store = writable(0, lambda _set: (lambda: stops.append(True)))
    seen = []
    unsubscribe = None

    def run(v):
        seen.append(v)
        if v == 2:
            unsubscribe()

    unsubscribe = store.subscribe(run)
    store.set(1)
    store.set(2)
    store.set(3)
    assert seen == [0, 1, 2]
    assert stops == [True]


def test_subscriber_unsubscribing_another_one_inside_a_delivery():
    # Svelte queues every subscriber's delivery before running any: the one unsubscribed
    # mid-delivery still gets the value already queued, and nothing after it.
    store = writable(0)
    first, second = [], []
    unsub_second = None

    def run_first(v):
        first.append(v)
        if v == 1:
            unsub_second()

    store.subscribe(run_first)
    unsub_second = store.subscribe(second.append)
    store.set(1)
    store.set(2)
    assert first == [0, 1, 2]
    assert second == [0, 1]


def test_unsubscribing_a_derived_inside_its_own_subscriber_stops_recomputing():
    source = writable(1)
    computed = []
    d = derived(source, lambda v: computed.append(v) or v * 2)
    seen = []
    unsubscribe = None

    def run(v):
        seen.append(v)
        if v == 4:
            unsubscribe()

    unsubscribe = d.subscribe(run)
    source.set(2)
    source.set(3)
    assert seen == [2, 4]
    assert computed == [1, 2]  # unsubscribed: source.set(3) reaches nobody


def test_subscriber_setting_another_store_is_queued_breadth_first():
    a, b = writable(0), writable(0)
    log = []
    a.subscribe(lambda v: (log.append(f"a1:{v}"), v and b.set(v)))
    a.subscribe(lambda v: log.append(f"a2:{v}"))
    b.subscribe(lambda v: log.append(f"b:{v}"))
    log.clear()
    a.set(1)
    assert log == ["a1:1", "a2:1", "b:1"]  # not a1, b, a2 (depth-first)


def test_invalidate_reaches_every_subscriber_before_any_value():
    store = writable(0)
    log = []
    store.subscribe(lambda v: log.append(("run1", v)), lambda: log.append("inv1"))
    store.subscribe(lambda v: log.append(("run2", v)), lambda: log.append("inv2"))
    log.clear()
    store.set(1)
    assert log == ["inv1", "inv2", ("run1", 1), ("run2", 1)]


def test_subscribe_whose_first_call_raises_leaves_the_store_stopped():
    # The caller never receives `unsubscribe`, so nothing may stay registered: otherwise the
    # dead subscriber is called (and raises) on every later set, and the store never stops.
    log = []
    store = writable(0, lambda _set: (log.append("start"), lambda: log.append("stop"))[1])
    calls = []

    def bad(v):
        calls.append(v)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.subscribe(bad)
    assert log == ["start", "stop"]
    seen = []
    unsubscribe = store.subscribe(seen.append)
    store.set(1)
    assert seen == [0, 1]
    assert calls == [0]  # the failed subscriber is not called again
    unsubscribe()
    assert log == ["start", "stop", "start", "stop"]


# ---- safe_not_equal ---------------------------------------------------------------------


def _fn():
    return None


_SHARED_LIST = [1]
_SHARED_DICT = {"k": 1}


@pytest.mark.parametrize(
    ("a", "b", "changed"),
    [
        (math.nan, math.nan, False),  # NaN equals NaN (no endless updates)
        (math.nan, float("nan"), False),
        (1, 1, False),
        (1.5, 1.5, False),
        ("x", "x", False),
        (b"x", b"x", False),
        (None, None, False),
        (True, True, False),
        (1 + 2j, 1 + 2j, False),
        (1, True, True),  # type matters: 1, True and 1.0 differ
        (True, 1, True),
        (1, 1.0, True),
        (1.0, True, True),
        (0, False, True),
        (0, None, True),
        (1, 2, True),
        ("x", "y", True),
        (math.nan, 1.0, True),
        (1.0, math.nan, True),
        ([1], [1], True),  # lists and dicts are always changed
        (_SHARED_LIST, _SHARED_LIST, True),
        ({}, {}, True),
        (_SHARED_DICT, _SHARED_DICT, True),
        ((1,), (1,), True),
        (_fn, _fn, True),  # functions too
    ],
)
def test_safe_not_equal_table(a, b, changed):
    assert safe_not_equal(a, b) is changed


def test_set_of_equal_primitive_does_not_notify_but_other_type_does():
    store = writable(1)
    seen = []
    store.subscribe(seen.append)
    store.set(1)
    store.set(1.0)
    store.set(True)
    store.set(True)
    store.set(math.nan)
    store.set(math.nan)
    assert [type(v) for v in seen] == [int, float, bool, float]
    assert seen[:3] == [1, 1.0, True] and math.isnan(seen[3])


# ---- a raising subscriber (svelte#11555) ------------------------------------------------


def test_raising_subscriber_is_logged_and_others_still_receive(caplog):
    store = writable(0)
    before, after = [], []
    store.subscribe(before.append)

    def bad(v):
        if v:
            raise ValueError("subscriber exploded")

    store.subscribe(bad)
    store.subscribe(after.append)
    with caplog.at_level(logging.ERROR, logger="core.stores"):
        store.set(1)
        store.set(2)
    assert before == [0, 1, 2] and after == [0, 1, 2]
    errors = [r for r in caplog.records if r.name == "core.stores" and r.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert all(r.exc_info and r.exc_info[0] is ValueError for r in errors)


def test_raising_subscriber_does_not_freeze_other_stores(caplog):
    # Svelte 4: the throw leaves subscriber_queue non-empty, so every later set() in the
    # app only queues and nothing is ever delivered again.
    a, b = writable(0), writable(0)
    c = derived(b, lambda v: v * 10)
    seen_b, seen_c = [], []

    def bad(v):
        if v:
            raise RuntimeError("boom")

    a.subscribe(bad)
    b.subscribe(seen_b.append)
    c.subscribe(seen_c.append)
    with caplog.at_level(logging.ERROR, logger="core.stores"):
        a.set(1)
    b.set(1)
    b.set(2)
    assert seen_b == [0, 1, 2]
    assert seen_c == [0, 10, 20]
    assert any(r.name == "core.stores" for r in caplog.records)


def test_raising_subscriber_inside_a_queued_delivery_does_not_freeze_anything(caplog):
    # The throw happens during the queue flush (a derived store has subscribers).
    src = writable(0)
    d = derived(src, lambda v: v + 100)
    other = writable("x")
    seen_d, seen_other = [], []

    def bad(v):
        if v == 101:
            raise KeyError("queued boom")

    d.subscribe(bad)
    d.subscribe(seen_d.append)
    other.subscribe(seen_other.append)
    with caplog.at_level(logging.ERROR, logger="core.stores"):
        src.set(1)
    src.set(2)
    other.set("y")
    assert seen_d == [100, 101, 102]
    assert seen_other == ["x", "y"]
    assert [r.exc_info[0] for r in caplog.records if r.name == "core.stores"] == [KeyError]


# ---- per-thread queue -------------------------------------------------------------------


def test_two_threads_setting_stores_at_once_each_get_their_own_breadth_first_order():
    # Both threads are parked inside a delivery at the same time (the barrier), each with a
    # set() of its own queued. A shared queue would swallow the second thread's set into
    # the first thread's flush (and the barrier would break); per-thread queues keep both.
    barrier = threading.Barrier(2, timeout=10)
    logs: dict[str, list] = {}
    delivered_on: dict[str, set] = {}
    errors: list[BaseException] = []

    def scenario(name: str) -> None:
        try:
            a, b = writable(0), writable(0)
            log: list[str] = []
            threads: set[int] = set()
            logs[name], delivered_on[name] = log, threads

            def a1(v):
                if v:
                    threads.add(threading.get_ident())
                    log.append(f"{name}:a1:{v}")
                    b.set(v)  # queued behind a2
                    barrier.wait()  # the other thread is mid-delivery too

            def a2(v):
                if v:
                    threads.add(threading.get_ident())
                    log.append(f"{name}:a2:{v}")

            def on_b(v):
                if v:
                    threads.add(threading.get_ident())
                    log.append(f"{name}:b:{v}")

            a.subscribe(a1)
            a.subscribe(a2)
            b.subscribe(on_b)
            a.set(1)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=scenario, args=(n,)) for n in ("t1", "t2")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(20)
    assert not errors, errors
    idents = {w.ident for w in workers}
    for name, w in zip(("t1", "t2"), workers):
        assert logs[name] == [f"{name}:a1:1", f"{name}:a2:1", f"{name}:b:1"]
        assert delivered_on[name] == {w.ident}
    assert len(idents) == 2


def test_a_thread_blocked_in_a_delivery_does_not_hold_up_another_threads_stores():
    inside = threading.Event()
    release = threading.Event()
    a = writable(0)

    def slow(v):
        if v:
            inside.set()
            release.wait(10)

    a.subscribe(slow)
    t = threading.Thread(target=a.set, args=(1,))
    t.start()
    try:
        assert inside.wait(10)
        b = writable(0)
        seen = []
        b.subscribe(seen.append)
        b.set(5)  # this thread's queue is idle: delivered now, not queued behind thread t
        assert seen == [0, 5]
    finally:
        release.set()
        t.join(10)


# ---- derived(None) ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, 3, "store", [None], [writable(1), object()]])
def test_derived_of_non_store_raises_type_error(bad):
    with pytest.raises(TypeError):
        derived(bad, lambda v: v)
