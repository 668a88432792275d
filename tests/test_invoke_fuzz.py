"""Random invoke payloads always end in a result or an InvokeError — never anything else."""

from __future__ import annotations

import asyncio
import faulthandler
from dataclasses import dataclass

import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import AppHandle, Builder, InvokeError, State, command


@dataclass
class Store:
    items: dict


class Item(pydantic.BaseModel):
    name: str
    depth: float
    tags: list[str] = []


@command
def put(item_id: int, item: Item, store: State[Store], replace: bool = False) -> int:
    if item_id in store.items and not replace:
        raise KeyError(f"item {item_id} exists")
    store.items[item_id] = item
    return len(store.items)


@command
def ratio(a: float, b: float) -> float:
    return a / b


@command
async def pick(choice: int | None, names: list[str]) -> str:
    return names[choice or 0]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(
    ["itemId", "item_id", "item", "replace", "a", "b", "choice", "names", "x", "itemID", ""]
)
payloads = st.one_of(
    st.dictionaries(keys, json_values, max_size=5),
    st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    json_values,
)


def make_app() -> AppHandle:
    return Builder().manage(Store({})).invoke_handler(put, ratio, pick).build()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=st.sampled_from(["put", "ratio", "pick", "missing"]), args=payloads)
def test_random_payloads_end_in_result_or_invoke_error(name, args):
    app = make_app()

    async def call():
        try:
            await asyncio.wait_for(app.invoke(name, args), timeout=5)
        except InvokeError as exc:
            assert str(exc)
            assert exc.to_dict()["message"]

    # wait_for cannot end a call stuck on the loop itself: the watchdog makes that a failure.
    faulthandler.dump_traceback_later(60, exit=True)
    try:
        asyncio.run(call())
    finally:
        faulthandler.cancel_dump_traceback_later()
