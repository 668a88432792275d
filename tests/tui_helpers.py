"""Shared helpers for the pilot tests of the terminal app."""

from __future__ import annotations

import asyncio
from typing import Any

from tui import layout as L
from tui.app import DataForgeApp
from tui.screenshots import settle

__all__ = ["make_app", "ready", "settle", "select_demo", "wait_until", "L"]


def make_app(data_dir, layout: Any = None, **kw: Any) -> DataForgeApp:
    return DataForgeApp(data_dir=data_dir, layout=layout, save_layout=kw.pop("save_layout", False), **kw)


async def ready(pilot) -> None:
    await wait_until(lambda: pilot.app.ready, pilot=pilot)
    await settle(pilot)


async def wait_until(predicate, *, pilot=None, timeout: float = 10.0) -> None:
    """Poll a condition the app reaches asynchronously (threads, workers); fail after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not reached in {timeout}s: {predicate}")
        if pilot is not None:
            await pilot.pause(0.01)
        else:
            await asyncio.sleep(0.01)


async def select_demo(pilot, well_index: int = 0) -> dict[str, Any]:
    core = pilot.app.core
    ws = next(w for w in await core.invoke("list_workspaces") if w.name == "Demo")
    await core.invoke("select_workspace", {"workspaceId": ws.id})
    wells = await core.invoke("list_wells", {"workspaceId": ws.id})
    await core.invoke("select_well", {"wellId": wells[well_index].id})
    await settle(pilot)
    return {"workspace": ws, "wells": wells, "well": wells[well_index]}
