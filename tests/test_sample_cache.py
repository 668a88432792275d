"""The app's cache of curve samples: a split remounts every log-track pane, which must not
read every curve again (a 1 000 000-sample, nine-curve well took ~7 s per split; ~2.5 s now)."""

from __future__ import annotations

import numpy as np
import pytest

from core.dataforge.models import CurveData, CurveInfo
from tui.samples import SampleCache
from tui_helpers import L, make_app, ready, select_demo, settle, wait_until


def info(curve_id: int, n: int, *, well: int = 1, mean: float = 1.0) -> CurveInfo:
    return CurveInfo(id=curve_id, well_id=well, mnemonic=f"C{curve_id}", sample_count=n, mean=mean)


def reader(n: int, calls: list[int], curve_id: int, *, start: float = 0.0):
    async def read() -> CurveData:
        calls.append(curve_id)
        return CurveData(curve_id=curve_id, mnemonic="X", depths=list(start + np.arange(n) * 0.5),
                         values=list(np.arange(n) * float(curve_id)))
    return read


async def test_a_curve_is_read_once_and_a_wells_depths_are_kept_once():
    cache, calls = SampleCache(), []
    d1, v1 = await cache.get(info(1, 100), reader(100, calls, 1))
    d2, v2 = await cache.get(info(2, 100), reader(100, calls, 2))
    again = await cache.get(info(1, 100), reader(100, calls, 1))
    assert calls == [1, 2] and (cache.hits, cache.misses) == (1, 2)
    assert again[0] is d1 and again[1] is v1
    assert d2 is d1  # one depths array for the well's curves
    assert v2[3] == 6.0 and not v1.flags.writeable and not d1.flags.writeable
    with pytest.raises(ValueError):
        v1[0] = 5.0  # shared by every pane: nobody may write into it


async def test_a_changed_fingerprint_or_a_failed_read_is_not_served_from_the_cache():
    cache, calls = SampleCache(), []
    await cache.get(info(1, 100), reader(100, calls, 1))
    await cache.get(info(1, 100, mean=2.0), reader(100, calls, 1))  # a reused id, other data
    assert calls == [1, 1]

    async def failed():
        return None

    assert await cache.get(info(3, 10), failed) is None
    assert await cache.get(info(3, 10), reader(10, calls, 3)) is not None and calls[-1] == 3


async def test_the_cache_keeps_to_its_byte_budget_least_recently_used_first_out():
    n = 1000  # 8 000 bytes a curve, 8 000 for the well's depths
    cache, calls = SampleCache(max_bytes=8000 * 3), []
    for cid in (1, 2):
        await cache.get(info(cid, n), reader(n, calls, cid))
    await cache.get(info(1, n), reader(n, calls, 1))  # 1 is now the most recent
    await cache.get(info(3, n), reader(n, calls, 3))  # over budget: 2 goes
    assert cache.nbytes <= 8000 * 3
    await cache.get(info(1, n), reader(n, calls, 1))
    assert calls == [1, 2, 3]
    await cache.get(info(2, n), reader(n, calls, 2))
    assert calls == [1, 2, 3, 2]


async def test_a_profile_is_made_once_per_curve():
    cache, made = SampleCache(), []

    async def make():
        made.append(1)
        return "▁▂▃"

    assert await cache.profile(info(1, 10), make) == "▁▂▃"
    assert await cache.profile(info(1, 10), make) == "▁▂▃" and made == [1]


async def test_a_split_reuses_the_samples_the_log_tracks_already_read(tmp_path):
    app = make_app(tmp_path, L.Leaf("log-tracks-1", "log-tracks"))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        demo = await select_demo(pilot, 0)
        pane = app.query_one("#log-tracks-1")
        await wait_until(lambda: pane._shown_well == demo["well"].id, pilot=pilot)
        reads = app.samples.misses
        assert reads == demo["well"].curve_count
        await app.action_split("horizontal")
        await wait_until(lambda: len(app.panes()) == 2 and all(p._shown_well == demo["well"].id
                                                               for p in app.panes()), pilot=pilot)
        await settle(pilot)
        assert app.samples.misses == reads  # both panes drew from what was read
        assert app.samples.hits >= 2 * reads
        shown = [p._curves[0].values for p in app.panes()]
        assert shown[0] is shown[1]
