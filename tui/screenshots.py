"""The main screens as scenarios: `dataforge screenshots` writes them as SVG, and the
snapshot tests compare the same scenarios, so the README pictures are what is tested.

Each scenario gets a fresh data dir at a fixed path (the status bar shows it, so
the path must not vary) and runs the app headless with `run_test`.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from . import layout as L

__all__ = ["SCENARIOS", "Scenario", "make_app", "settle", "write_screenshots", "scenario_data_dir"]

SIZE = (160, 48)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    layout: Any
    setup: Callable[[Any, Any], Awaitable[None]]


def scenario_data_dir(name: str) -> Path:
    """A fresh data dir at a fixed path per scenario."""
    root = Path(tempfile.gettempdir()) / "dataforge-screens" / name
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    return root


def make_app(scenario: Scenario, data_dir: Path | None = None):
    from .app import DataForgeApp

    app = DataForgeApp(data_dir=data_dir or scenario_data_dir(scenario.name), layout=scenario.layout,
                       save_layout=False)
    app.deterministic = True  # no clocks or durations on screen
    return app


async def settle(pilot, rounds: int = 4) -> None:
    """Let events, workers and refreshes finish (a few rounds: one step can start the next)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        if app.core is not None:
            await app.core.drain(timeout=10)
        # Loaders only: `@work` actions (group "default") may be waiting on an open dialog.
        loaders = [w for w in app.workers if w.group != "default"]
        await asyncio.gather(*(w.wait() for w in loaders), return_exceptions=True)
        await pilot.pause()


async def _wait_ready(pilot) -> None:
    for _ in range(400):
        if pilot.app.ready:
            break
        await asyncio.sleep(0.025)
    await settle(pilot)


async def _select_demo(pilot, well_index: int = 0, curve: str | None = "GR") -> dict[str, Any]:
    core = pilot.app.core
    workspaces = await core.invoke("list_workspaces")
    ws = next(w for w in workspaces if w.name == "Demo")
    await core.invoke("select_workspace", {"workspaceId": ws.id})
    wells = await core.invoke("list_wells", {"workspaceId": ws.id})
    well = wells[well_index]
    await core.invoke("select_well", {"wellId": well.id})
    if curve:
        curves = await core.invoke("list_curves", {"wellId": well.id})
        match = next((c for c in curves if c.mnemonic == curve), None)
        if match is not None:
            await core.invoke("select_curve", {"curveId": match.id})
    await settle(pilot)
    return {"workspace": ws, "well": well, "wells": wells}


# ---- scenarios ----------------------------------------------------------------------------
async def _default(app, pilot) -> None:
    await _select_demo(pilot)
    found = app.query("#log-tracks-1")
    if found:
        await app.core.invoke("set_depth_window", {"top": 1800.0, "bottom": 1950.0, "cursor": 1862.0})
    await settle(pilot)


async def _two_tracks(app, pilot) -> None:
    picked = await _select_demo(pilot, 0)
    await app.core.invoke("set_depth_window", {"top": 1700.0, "bottom": 2100.0, "cursor": 1900.0})
    await settle(pilot)
    # Pin the right-hand pane to the second well: two wells side by side, same depths.
    right = app.query_one("#log-tracks-2")
    right.action_toggle_pinned()
    await right.choose(well_id=picked["wells"][1].id)
    await settle(pilot)


_gate = threading.Event()


def _install_hold_udf(app) -> None:
    """A UDF that stops after its first progress report until released — a run frozen in
    progress, so the screenshot shows the same bar every time."""
    from core.dataforge.context import DataForge
    from core.dataforge.udfs import udf

    registry = app.core.state(DataForge).registry
    if "hold_demo" in {u.id for u in registry.list()}:
        return

    @udf("hold_demo", name="Slow copy (demo)", description="Copies GR slowly; for the screenshots.",
         inputs=["GR"], output="GR_SLOW", registry=registry,
         category="Demo")
    def hold(inputs, params, ctx):
        _gate.wait(30)
        return inputs["GR"]


async def _udf_run(app, pilot) -> None:
    _gate.clear()
    _install_hold_udf(app)
    await _select_demo(pilot)
    runner = app.query_one("#udf-runner-1")
    await runner.reload_udfs()
    from textual.widgets import Select

    runner.query_one("#udf-select", Select).value = "vsh_gr"
    await settle(pilot)
    await runner.action_run()
    await settle(pilot)
    from core.tasks import TaskManager

    if runner.execution_id is not None:  # the first run finishes (and the runner hears of it)
        await app.core.state(TaskManager).wait(runner.execution_id, timeout=30)
    for _ in range(1000):
        if runner.execution_id is None:
            break
        await pilot.pause(0.02)
    runner.query_one("#udf-select", Select).value = "hold_demo"
    await settle(pilot)
    await runner.action_run()
    app._held_execution = runner.execution_id
    for _ in range(200):  # until the held run has reported its first progress
        infos = await app.core.invoke("list_executions")
        if any(i.id == app._held_execution and i.fraction > 0 for i in infos):
            break
        await asyncio.sleep(0.02)
    await settle(pilot)


async def _event_log(app, pilot) -> None:
    picked = await _select_demo(pilot, 0, curve=None)
    log = app.query_one("#event-log-1")
    await asyncio.sleep(0.15)  # the log draws on a 0.1 s timer
    log.action_clear()
    # Only selection traffic: pane reloads run concurrently, so their order varies run to run.
    from textual.widgets import Input

    log.query_one("#log-filter", Input).value = "select"
    await settle(pilot)
    for well in picked["wells"][1:]:
        await app.core.invoke("select_well", {"wellId": well.id})
        await settle(pilot)
    curves = await app.core.invoke("list_curves", {"wellId": picked["wells"][-1].id})
    await app.core.invoke("select_curve", {"curveId": curves[3].id})
    await settle(pilot)
    await asyncio.sleep(0.15)
    await settle(pilot)


async def _bad_input(app, pilot) -> None:
    await _select_demo(pilot)
    runner = app.query_one("#udf-runner-1")
    from textual.widgets import Input, Select

    runner.query_one("#udf-select", Select).value = "moving_average"
    await settle(pilot)
    field = runner.query_one("#field-window", Input)
    field.value = "0"
    await settle(pilot)
    await runner.action_run()  # refused: the form says why
    await settle(pilot)


async def _settings(app, pilot) -> None:
    from .settings import SettingsScreen

    await _select_demo(pilot)
    app.action_settings()
    for _ in range(500):  # the screen is pushed, mounted, and its window exists
        if isinstance(app.screen, SettingsScreen) and app.screen.window is not None:
            break
        await pilot.pause(0.01)
    await settle(pilot)


def _browse_and(kind: str, other: str | None = None) -> Any:
    right = L.Leaf(f"{kind}-1", kind) if other is None else L.Split(
        "vertical", (L.Leaf(f"{kind}-1", kind), L.Leaf(f"{other}-1", other)), (0.55, 0.45))
    browse = L.Split("vertical", (L.Leaf("wells-1", "wells"), L.Leaf("curves-1", "curves")), (0.4, 0.6))
    return L.Split("horizontal", (browse, right), (0.4, 0.6))


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("default", "The default layout: workspaces, wells, curves and log tracks",
             L.default_layout(), _default),
    Scenario("two-log-tracks", "Two log-track panes: linked on the left, pinned to another well on the right",
             L.Split("horizontal", (L.Leaf("log-tracks-1", "log-tracks"), L.Leaf("log-tracks-2", "log-tracks"))),
             _two_tracks),
    Scenario("udf-run", "A UDF run in progress, seen by the runner and the Executions pane",
             _browse_and("udf-runner", "executions"), _udf_run),
    Scenario("event-log", "The event log (IPC inspector) after a few selections",
             _browse_and("event-log"), _event_log),
    Scenario("bad-input", "Bad input: the UDF form refuses a zero window, inline",
             _browse_and("udf-runner"), _bad_input),
    Scenario("settings", "The settings screen (its own window)", L.default_layout(), _settings),
)}


async def run_scenario(scenario: Scenario, data_dir: Path | None = None) -> str:
    """Run one scenario headless and return its SVG."""
    app = make_app(scenario, data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _wait_ready(pilot)
        await scenario.setup(app, pilot)
        svg = app.export_screenshot(title=f"DataForge Compute — {scenario.title}")
        _gate.set()
        held = getattr(app, "_held_execution", None)
        if held:
            from core.tasks import TaskManager

            await app.core.state(TaskManager).wait(held, timeout=10)
    return svg


def write_screenshots(out: Path, names: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or list(SCENARIOS):
        svg = asyncio.run(run_scenario(SCENARIOS[name]))
        path = out / f"{name}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    return written
