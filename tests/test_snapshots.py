"""Snapshot tests of the main screens: the same scenarios `dataforge screenshots` writes."""

from __future__ import annotations

import pytest

from tui import screenshots as S


@pytest.fixture(autouse=True)
def release_held_runs():
    yield
    S._gate.set()  # let the "run in progress" scenario's UDF finish


@pytest.mark.parametrize("name", list(S.SCENARIOS))
def test_screen(name, snap_compare):
    scenario = S.SCENARIOS[name]
    app = S.make_app(scenario)

    async def run_before(pilot):
        await S._wait_ready(pilot)
        await scenario.setup(app, pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=S.SIZE)
