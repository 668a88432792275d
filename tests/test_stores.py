"""core.stores: Svelte 4's own store tests (test/store/store.test.js), ported case by case,
then what this port adds: the safe_not_equal table, error isolation, the per-thread queue."""

from __future__ import annotations

import logging
import math
import threading

import pydantic
import pytest

from core.stores import Readable, Writable, derived, get, readable, readonly, safe_not_equal, writable


class FakeObservable:
    """RxJS-style: subscribe takes only `run` and returns an object with `.unsubscribe()`."""

    class _Subscription:
        def unsubscribe(self) -> None:
            pass

    def subscribe(self, fn):
        fn(42)
        return self._Subscription()


fake_observable = FakeObservable()


# ---- writable (Svelte) ------------------------------------------------------------------


def test_writable_creates_a_writable_store():
    count = writable(0)
    values = []
    unsubscribe = count.subscribe(values.append)
    count.set(1)
    count.update(lambda n: n + 1)
    unsubscribe()
    count.set(3)
    count.update(lambda n: n + 1)
    assert values == [0, 1, 2]


def test_writable_creates_an_undefined_writable_store():
    store = writable()
    values = []
    unsubscribe = store.subscribe(values.append)
    unsubscribe()
    assert values == [None]


def test_writable_calls_provided_subscribe_handler():
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


def test_writable_does_not_assume_immutable_data():
    obj = {}
    called = 0

    def run(_):
        nonlocal called
        called += 1

    store = writable(obj)
    store.subscribe(run)
    store.set(obj)
    assert called == 2
    store.update(lambda o: o)
    assert called == 3


def test_writable_only_calls_subscriber_once_initially_including_on_resubscriptions():
    num = 0

    def start(set_):
        nonlocal num
        num += 1
        set_(num)

    store = writable(num, start)
    count1, count2 = [], []
    store.subscribe(count1.append)()
    assert len(count1) == 1
    unsubscribe = store.subscribe(count2.append)
    assert len(count2) == 1
    unsubscribe()


def test_writable_no_error_even_if_unsubscribe_calls_twice():
    store = writable(0, lambda set_: set_(1))
    unsubscribe = store.subscribe(lambda _: None)
    unsubscribe()
    unsubscribe()  # must not raise


# ---- readable (Svelte) ------------------------------------------------------------------


def test_readable_creates_a_readable_store():
    state = {"running": False, "tick": lambda v: None}

    def start(set_):
        state.update(running=True, tick=set_)
        set_(0)

        def stop():
            state.update(running=False, tick=lambda v: None)

        return stop

    store = readable(None, start)
    assert not state["running"]
    values = []
    unsubscribe = store.subscribe(values.append)
    assert state["running"]
    state["tick"](1)
    state["tick"](2)
    unsubscribe()
    assert not state["running"]
    state["tick"](3)
    state["tick"](4)
    assert values == [0, 1, 2]


def test_readable_passes_an_optional_update_function():
    state = {"running": False, "tick": lambda v: None, "add": lambda n: None}

    def start(set_, update):
        state.update(running=True, tick=set_, add=lambda n: update(lambda value: value + n))
        set_(0)

        def stop():
            state.update(running=False, tick=lambda v: None, add=lambda n: None)

        return stop

    store = readable(None, start)
    assert not state["running"]
    values = []
    unsubscribe = store.subscribe(values.append)
    assert state["running"]
    tick, add = state["tick"], state["add"]
    tick(1)
    tick(2)
    add(3)
    add(4)
    tick(5)
    add(6)
    unsubscribe()
    assert not state["running"]
    state["tick"](7)
    state["add"](8)
    assert values == [0, 1, 2, 5, 9, 5, 11]


def test_readable_creates_an_undefined_readable_store():
    store = readable()
    values = []
    store.subscribe(values.append)()
    assert values == [None]


def test_readable_creates_a_readable_store_without_updater():
    store = readable(100)
    values = []
    store.subscribe(values.append)()
    assert values == [100]


# ---- derived (Svelte) -------------------------------------------------------------------


def test_derived_maps_a_single_store():
    a = writable(1)
    b = derived(a, lambda n: n * 2)
    values = []
    unsubscribe = b.subscribe(values.append)
    a.set(2)
    assert values == [2, 4]
    unsubscribe()
    a.set(3)
    assert values == [2, 4]


def test_derived_maps_multiple_stores():
    a = writable(2)
    b = writable(3)
    c = derived([a, b], lambda v: v[0] * v[1])
    values = []
    unsubscribe = c.subscribe(values.append)
    a.set(4)
    b.set(5)
    assert values == [6, 12, 20]
    unsubscribe()
    a.set(6)
    assert values == [6, 12, 20]


def test_derived_passes_optional_set_function():
    number = writable(1)

    def evens_fn(n, set_):
        if n % 2 == 0:
            set_(n)

    evens = derived(number, evens_fn, 0)
    values = []
    unsubscribe = evens.subscribe(values.append)
    for n in (2, 3, 4, 5):
        number.set(n)
    assert values == [0, 2, 4]
    unsubscribe()
    for n in (6, 7, 8):
        number.set(n)
    assert values == [0, 2, 4]


def test_derived_passes_optional_set_and_update_functions():
    number = writable(1)

    def fn(n, set_, update):
        if n % 2 == 0:
            set_(n)
        if n % 4 == 0:
            update(lambda v: v * v)

    evens_and_squares_of_4 = derived(number, fn, 0)
    values = []
    unsubscribe = evens_and_squares_of_4.subscribe(values.append)
    for n in (2, 3, 4, 5, 6):
        number.set(n)
    assert values == [0, 2, 4, 16, 6]
    for n in (7, 8, 9, 10):
        number.set(n)
    assert values == [0, 2, 4, 16, 6, 8, 64, 10]
    unsubscribe()
    number.set(11)
    number.set(12)
    assert values == [0, 2, 4, 16, 6, 8, 64, 10]


def test_derived_prevents_glitches():
    lastname = writable("Jekyll")
    firstname = derived(lastname, lambda n: "Henry" if n == "Jekyll" else "Edward")
    fullname = derived([firstname, lastname], lambda names: " ".join(names))
    values = []
    unsubscribe = fullname.subscribe(values.append)
    lastname.set("Hyde")
    assert values == ["Henry Jekyll", "Edward Hyde"]
    unsubscribe()


def test_derived_prevents_diamond_dependency_problem():
    count = writable(0)
    values = []
    a = derived(count, lambda c: f"a{c}")
    b = derived(count, lambda c: f"b{c}")
    combined = derived([a, b], lambda v: v[0] + v[1])
    unsubscribe = combined.subscribe(values.append)
    assert values == ["a0b0"]
    count.set(1)
    assert values == ["a0b0", "a1b1"]
    unsubscribe()


def test_derived_dependency_does_not_update_and_shared_ancestor_updates():
    root = writable({"a": 0, "b": 0})
    values = []
    a = derived(root, lambda r: f"a{r['a']}")
    b = derived([a, root], lambda v: f"b{v[1]['b']}{v[0]}")
    unsubscribe = b.subscribe(values.append)
    assert values == ["b0a0"]
    root.set({"a": 0, "b": 1})
    assert values == ["b0a0", "b1a0"]
    unsubscribe()


def test_derived_is_updated_with_safe_not_equal_logic():
    arr = [0]
    number = writable(1)

    def fn(n):
        arr[0] = n
        return arr

    numbers = derived(number, fn)
    concatenated = []
    unsubscribe = numbers.subscribe(concatenated.extend)
    number.set(2)
    number.set(3)
    assert concatenated == [1, 2, 3]
    unsubscribe()


def test_derived_calls_a_cleanup_function():
    num = writable(1)
    values, cleaned_up = [], []

    def fn(n, set_):
        set_(n * 2)
        return lambda: cleaned_up.append(n)

    d = derived(num, fn)
    num.set(2)
    unsubscribe = d.subscribe(values.append)
    num.set(3)
    num.set(4)
    assert values == [4, 6, 8]
    assert cleaned_up == [2, 3]
    unsubscribe()
    assert cleaned_up == [2, 3, 4]


def test_derived_discards_non_function_return_values():
    num = writable(1)
    values = []

    def fn(n, set_):
        set_(n * 2)
        return {}

    d = derived(num, fn)
    num.set(2)
    unsubscribe = d.subscribe(values.append)
    num.set(3)
    num.set(4)
    assert values == [4, 6, 8]
    unsubscribe()


def test_derived_allows_derived_with_different_types():
    a = writable("one")
    b = writable(1)
    c = derived([a, b], lambda v: f"{v[0]} {v[1]}")
    assert get(c) == "one 1"
    a.set("two")
    b.set(2)
    assert get(c) == "two 2"


def test_derived_works_with_rxjs_style_observables():
    d = derived(fake_observable, lambda v: v)
    assert get(d) == 42


def test_derived_does_not_restart_when_unsubscribed_from_another_store_with_a_shared_ancestor():
    a = writable(True)
    b_started = False

    def b_fn(_, __):
        nonlocal b_started
        b_started = True

        def cleanup():
            nonlocal b_started
            assert b_started
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


def test_derived_errors_on_undefined_stores_1():
    with pytest.raises(TypeError, match=r"derived\(\) expects a store or a list of stores"):
        derived(None, lambda n: n)


def test_derived_errors_on_undefined_stores_2():
    a = writable(1)
    with pytest.raises(TypeError, match=r"derived\(\) expects a store or a list of stores"):
        derived([a, None, None], lambda v: v[0] * 2)


# ---- get / readonly (Svelte) ------------------------------------------------------------


def test_get_gets_the_current_value_of_a_store():
    store = readable(42, lambda set_: None)
    assert get(store) == 42


def test_get_works_with_rxjs_style_observables():
    assert get(fake_observable) == 42


def test_readonly_makes_a_store_readonly():
    writable_store = writable(1)
    readable_store = readonly(writable_store)
    assert get(readable_store) == get(writable_store)
    writable_store.set(2)
    assert get(readable_store) == 2
    assert get(readable_store) == get(writable_store)
    with pytest.raises(AttributeError):
        readable_store.set(3)


# ---- safe_not_equal ---------------------------------------------------------------------

NAN = float("nan")


@pytest.mark.parametrize(
    ("a", "b", "changed"),
    [
        (None, None, False),
        (1, 1, False),
        (1, 2, True),
        (1, True, True),  # equal in Python, different types: a change
        (1, 1.0, True),
        (True, True, False),
        (True, False, True),
        (0, False, True),
        (1.5, 1.5, False),
        (NAN, NAN, False),
        (NAN, float("nan"), False),  # NaN equals NaN, even another NaN object
        (NAN, 1.0, True),
        (1.0, NAN, True),
        (complex(1, 2), complex(1, 2), False),
        (complex(NAN, 0), complex(NAN, 0), False),
        ("a", "a", False),
        ("a", "b", True),
        ("a", b"a", True),
        (b"x", b"x", False),
        (None, 0, True),
        ((1, 2), (1, 2), True),  # only the listed primitives compare by value
        ([1], [1], True),
        ({}, {}, True),
        (len, len, True),  # functions: always changed, like Svelte
    ],
)
def test_safe_not_equal_table(a, b, changed):
    assert safe_not_equal(a, b) is changed


def test_same_object_always_counts_as_changed():
    class Model(pydantic.BaseModel):
        x: int = 1

    obj, model = [1], Model()
    assert safe_not_equal(obj, obj) and safe_not_equal(model, model)
    store, seen = writable(model), []
    store.subscribe(seen.append)
    store.set(model)
    store.update(lambda m: m)
    assert seen == [model, model, model]


def test_nan_set_again_does_not_notify():
    store, seen = writable(math.nan), []
    store.subscribe(seen.append)
    store.set(float("nan"))
    store.set(1.0)
    store.set(1.0)
    store.set(True)  # a different type: a change
    assert len(seen) == 3 and math.isnan(seen[0]) and seen[1:] == [1.0, True]


# ---- subscription contract --------------------------------------------------------------


def test_set_without_subscribers_is_stored_silently():
    store = writable(1)
    store.set(2)
    seen = []
    store.subscribe(seen.append)
    assert seen == [2]


def test_get_starts_and_stops_a_lazy_store():
    log = []

    def start(set_):
        log.append("start")
        set_(7)
        return lambda: log.append("stop")

    assert get(readable(0, start)) == 7
    assert log == ["start", "stop"]


def test_get_of_a_store_that_never_calls_back_is_none():
    class Silent:
        def subscribe(self, run):
            return lambda: None

    assert get(Silent()) is None


def test_start_arity_decides_its_arguments():
    got = []
    get(writable(0, lambda: got.append(0)))
    get(writable(0, lambda s: got.append(1)))
    get(writable(0, lambda s, u: got.append(2)))
    get(writable(0, lambda *args: got.append(len(args))))
    assert got == [0, 1, 2, 2]


def test_readable_and_readonly_have_no_set_or_update():
    for store in (readable(1), readonly(writable(1))):
        assert isinstance(store, Readable) and not isinstance(store, Writable)
        with pytest.raises(AttributeError):
            store.set  # noqa: B018
        with pytest.raises(AttributeError):
            store.update  # noqa: B018
    assert isinstance(writable(1), Readable) and isinstance(writable(1), Writable)


def test_subscriber_setting_another_store_is_queued_breadth_first():
    a, b = writable(0), writable(0)
    order = []
    a.subscribe(lambda v: (order.append(f"a1:{v}"), v and b.set(v)))
    a.subscribe(lambda v: order.append(f"a2:{v}"))
    b.subscribe(lambda v: order.append(f"b:{v}"))
    order.clear()
    a.set(1)
    assert order == ["a1:1", "a2:1", "b:1"]


def test_subscriber_setting_its_own_store_delivers_in_order():
    store = writable(0)
    seen1, seen2 = [], []
    store.subscribe(lambda v: (seen1.append(v), v == 1 and store.set(2)))
    store.subscribe(seen2.append)
    store.set(1)
    assert seen1 == [0, 1, 2] and seen2 == [0, 1, 2]


def test_invalidate_runs_for_every_subscriber_before_any_value_is_delivered():
    store, log = writable(0), []
    store.subscribe(lambda v: log.append(f"run1:{v}"), lambda: log.append("inv1"))
    store.subscribe(lambda v: log.append(f"run2:{v}"), lambda: log.append("inv2"))
    log.clear()
    store.set(1)
    assert log == ["inv1", "inv2", "run1:1", "run2:1"]


def test_unsubscribed_during_delivery_still_gets_the_value_already_queued():
    # As in Svelte: the deliveries of one set() are decided when it is called.
    store, seen = writable(0), []
    unsubscribers = []
    store.subscribe(lambda v: v and unsubscribers[0]())
    unsubscribers.append(store.subscribe(seen.append))
    store.set(1)
    store.set(2)
    assert seen == [0, 1]


def test_subscribe_whose_first_call_raises_leaves_nothing_behind():
    log = []
    store = writable(0, lambda s: (log.append("start"), lambda: log.append("stop"))[1])

    def bad(_):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.subscribe(bad)
    assert log == ["start", "stop"]
    seen = []
    store.subscribe(seen.append)
    store.set(1)
    assert seen == [0, 1] and log == ["start", "stop", "start"]


# ---- derived: beyond Svelte's cases -----------------------------------------------------


def test_derived_of_derived_recomputes_once_per_change():
    calls = []
    base = writable(1)
    double = derived(base, lambda v: calls.append("double") or v * 2)
    quad = derived(double, lambda v: calls.append("quad") or v * 2)
    total = derived([quad, double, base], lambda v: calls.append("total") or sum(v))
    seen = []
    unsubscribe = total.subscribe(seen.append)
    calls.clear()
    base.set(2)
    assert seen == [7, 14] and calls == ["double", "quad", "total"]
    unsubscribe()
    base.set(3)
    assert seen == [7, 14] and calls == ["double", "quad", "total"]


def test_unequal_path_lengths_are_glitch_free_when_the_longer_path_is_listed_first():
    a = writable(1)
    b = derived(a, lambda v: v * 2)
    c = derived([b, a], lambda v: v[0] + v[1])
    seen = []
    c.subscribe(seen.append)
    a.set(2)
    assert seen == [3, 6]


@pytest.mark.xfail(strict=True, reason="inherited from Svelte 4 (svelte#10376, open): invalidation is not "
                   "propagated past one level, so unequal paths to a shared ancestor listed first glitch")
def test_unequal_path_lengths_to_a_shared_ancestor_listed_first():
    a = writable(1)
    b = derived(a, lambda v: v * 2)
    c = derived([a, b], lambda v: v[0] + v[1])  # a before b: c sees (2, 2) before (2, 4)
    seen = []
    c.subscribe(seen.append)
    a.set(2)
    assert seen == [3, 6]


def test_derived_subscribes_lazily_and_stops_with_its_last_subscriber():
    log = []
    source = writable(1, lambda s: (log.append("start"), lambda: log.append("stop"))[1])
    d = derived(source, lambda v: v + 1)
    assert log == []
    u1 = d.subscribe(lambda _: None)
    u2 = d.subscribe(lambda _: None)
    assert log == ["start"]
    u1()
    assert log == ["start"]
    u2()
    assert log == ["start", "stop"]


def test_derived_cleanup_runs_before_each_call_and_after_unsubscribing_on_stop():
    log = []
    source = writable(1, lambda s: lambda: log.append("source stop"))

    def fn(v, set_):
        log.append(f"call {v}")
        set_(v)
        return lambda: log.append(f"cleanup {v}")

    unsubscribe = derived(source, fn).subscribe(lambda _: None)
    source.set(2)
    unsubscribe()
    assert log == ["call 1", "cleanup 1", "call 2", "source stop", "cleanup 2"]


def test_derived_fn_with_a_default_parameter_is_auto_like_js_length():
    a = writable(3)
    assert get(derived(a, lambda v, factor=10: v * factor)) == 30


def test_derived_accepts_a_tuple_and_an_empty_list():
    a, b = writable(1), writable(2)
    assert get(derived((a, b), lambda v: v)) == [1, 2]
    assert get(derived([], lambda v: len(v))) == 0


def test_derived_rejects_non_stores():
    for bad in (None, 3, "store", [writable(1), 3], {"a": writable(1)}):
        with pytest.raises(TypeError, match="expects a store or a list of stores"):
            derived(bad, lambda v: v)


def test_derived_whose_first_computation_raises_unsubscribes_its_dependencies():
    log = []
    source = writable(0, lambda s: (log.append("start"), lambda: log.append("stop"))[1])
    d = derived(source, lambda v: 1 / v)
    with pytest.raises(ZeroDivisionError):
        d.subscribe(lambda _: None)
    assert log == ["start", "stop"]
    source.set(2)
    assert get(d) == 0.5


def test_derived_over_a_foreign_store_with_invalidate():
    class Foreign:
        """Like core.shared.SyncedStore: a store that forwards to one of ours."""

        def __init__(self):
            self.inner = writable(1)

        def subscribe(self, run, invalidate=None):
            return self.inner.subscribe(run, invalidate)

    f = Foreign()
    diamond = derived([derived(f, lambda v: v * 10), f], lambda v: f"{v[1]}/{v[0]}")
    seen = []
    diamond.subscribe(seen.append)
    f.inner.set(2)
    assert seen == ["1/10", "2/20"]


# ---- error isolation (unlike Svelte, svelte#11555) --------------------------------------


def _raise(_):
    raise RuntimeError("subscriber boom")


def test_raising_subscriber_is_logged_and_others_still_receive(caplog):
    store = writable(0)
    before, after = [], []
    store.subscribe(before.append)
    calls = []

    def raises_after_first(v):
        calls.append(v)
        if v:
            raise RuntimeError("subscriber boom")

    store.subscribe(raises_after_first)
    store.subscribe(after.append)
    with caplog.at_level(logging.ERROR, logger="core.stores"):
        store.set(1)
        store.set(2)
    assert before == [0, 1, 2] and after == [0, 1, 2] and calls == [0, 1, 2]
    errors = [r for r in caplog.records if r.name == "core.stores"]
    assert len(errors) == 2 and all("subscriber boom" in r.exc_text for r in errors)


def test_raising_subscriber_does_not_freeze_other_stores(caplog):
    a, b, c = writable(0), writable(0), writable(0)
    a.subscribe(lambda v: v and b.set(v))  # queues b behind the raising subscriber
    a.subscribe(lambda v: v and _raise(v))
    b_seen, c_seen = [], []
    b.subscribe(b_seen.append)
    c.subscribe(c_seen.append)
    d = derived([b, c], lambda v: tuple(v))
    d_seen = []
    d.subscribe(d_seen.append)
    with caplog.at_level(logging.ERROR, logger="core.stores"):
        a.set(1)
    assert b_seen == [0, 1] and d_seen == [(0, 0), (1, 0)]
    c.set(5)  # the queue is idle again: every store keeps notifying
    b.set(2)
    assert c_seen == [0, 5] and b_seen == [0, 1, 2] and d_seen == [(0, 0), (1, 0), (1, 5), (2, 5)]
    assert any("subscriber boom" in r.exc_text for r in caplog.records if r.name == "core.stores")


def test_raising_derived_fn_is_logged_and_the_graph_keeps_working(caplog):
    a = writable(1)
    d = derived(a, lambda v: 10 // v)
    other = derived(a, lambda v: v * 2)
    d_seen, other_seen = [], []
    d.subscribe(d_seen.append)
    other.subscribe(other_seen.append)
    with caplog.at_level(logging.ERROR, logger="core.stores"):
        a.set(0)
    a.set(5)
    assert d_seen == [10, 2] and other_seen == [2, 0, 10]
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


# ---- per-thread queue -------------------------------------------------------------------


def test_queue_is_per_thread():
    """Thread A is mid-delivery (its queue is running) while thread B sets a store: with one
    shared queue B's delivery would be appended to A's and run later, on thread A."""
    a, b = writable(0), writable(0)
    in_delivery, b_done = threading.Event(), threading.Event()
    seen_b = []

    def a_subscriber(v):
        if v:
            in_delivery.set()
            assert b_done.wait(5)

    a.subscribe(a_subscriber)
    b.subscribe(lambda v: seen_b.append((v, threading.current_thread().name)))

    def set_b():
        assert in_delivery.wait(5)
        b.set(1)
        b_done.set()

    tb = threading.Thread(target=set_b, name="B")
    tb.start()
    a.set(1)
    tb.join(5)
    assert seen_b == [(0, "MainThread"), (1, "B")]


def test_two_threads_setting_stores_keep_their_own_order():
    def chain(n: int) -> list[str]:
        first, second = writable(0), writable(0)
        log: list[str] = []
        first.subscribe(lambda v: (log.append(f"f1:{v}"), second.set(v)))
        first.subscribe(lambda v: log.append(f"f2:{v}"))
        second.subscribe(lambda v: log.append(f"s:{v}"))
        log.clear()
        for i in range(1, n + 1):
            first.set(i)
        return log

    n = 2000
    results: dict[str, list[str]] = {}
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, chain(n))) for k in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    expected = [s for i in range(1, n + 1) for s in (f"f1:{i}", f"f2:{i}", f"s:{i}")]
    assert results["x"] == expected and results["y"] == expected


def test_setting_a_readable_store_says_why_not():
    for store in (readable(1), readonly(writable(1))):
        with pytest.raises(AttributeError, match=r"a readable store has no set\(\)"):
            store.set(2)
        with pytest.raises(AttributeError, match=r"a readable store has no update\(\)"):
            store.update(lambda v: v)
        assert not hasattr(store, "nonsense")
