"""The demo data (core.dataforge.demo): deterministic, realistic synthetic wells, plus the
shipped LAS samples; seeded once on an empty database."""

from __future__ import annotations

import logging
import shutil
import time

import numpy as np
import pytest

from core.dataforge import demo
from core.dataforge.db import Database
from core.dataforge.paths import ensure_data_dir, shipped_las_dir

CURVES = {"GR": "gAPI", "SP": "mV", "CALI": "in", "RHOB": "g/cm3", "NPHI": "v/v", "PEF": "b/e",
          "DT": "us/ft", "RT": "ohm.m", "RXO": "ohm.m"}


@pytest.fixture
def db(tmp_path):
    database = Database(ensure_data_dir(tmp_path / "a"))
    yield database
    database.close()


@pytest.fixture
def made(db):
    """The demo workspace and, per well, its depths and {mnemonic: samples}."""
    ws = demo.create_demo(db)
    wells = {}
    for well in db.list_wells(ws.id):
        wells[well.name] = (well, db.get_depths(well.id),
                            {c.mnemonic: db.get_samples(c.id) for c in db.list_curves(well.id)})
    return ws, wells


def test_structure_names_units_and_the_samples_workspace(db, made):
    ws, wells = made
    assert ws.name == "Demo" and ws.well_count == 3
    assert list(wells) == ["Alder-1", "Birch-2", "Cedar-3"]
    for well, depths, curves in wells.values():
        assert list(curves) == list(CURVES)
        assert {c.mnemonic: c.unit for c in db.list_curves(well.id)} == CURVES
        assert all(c.description for c in db.list_curves(well.id))
        assert well.depth_unit == "m" and well.step == pytest.approx(0.1524) and well.uwi
        assert np.allclose(np.diff(depths), 0.1524, atol=1e-4)
        assert depths[0] == 1500.0 and 2499.0 < depths[-1] < 2501.0
    samples = next(w for w in db.list_workspaces() if w.name == "Samples")
    names = {w.name for w in db.list_wells(samples.id)}
    assert names == {"Scorpio E1", "ANY ET AL OIL WELL #12", "AAAAA_2", "ANY ET AL XX-XX-XX-XX"}
    assert len(db.list_wells(samples.id)) == len(list(shipped_las_dir().glob("*.las")))


def test_deterministic_across_databases(tmp_path, made):
    _, wells = made
    other = Database(ensure_data_dir(tmp_path / "b"))
    try:
        ws = demo.create_demo(other)
        for well in other.list_wells(ws.id):
            _, depths, curves = wells[well.name]
            np.testing.assert_array_equal(other.get_depths(well.id), depths)
            for c in other.list_curves(well.id):
                assert other.get_samples(c.id).tobytes() == curves[c.mnemonic].tobytes()
    finally:
        other.close()


def test_wells_differ_from_each_other(made):
    _, wells = made
    grs = [w[2]["GR"] for w in wells.values()]
    assert not np.array_equal(grs[0], grs[1]) and not np.array_equal(grs[1], grs[2])


@pytest.mark.parametrize("mnemonic, lo, hi, bulk_lo, bulk_hi", [
    # hard bounds for every sample; 98 % of samples within the typical range
    ("GR", 0.0, 260.0, 10.0, 160.0),
    ("RHOB", 1.7, 3.0, 1.95, 2.75),
    ("NPHI", -0.05, 0.60, 0.0, 0.45),
    ("DT", 40.0, 140.0, 45.0, 110.0),
    ("CALI", 8.0, 16.0, 8.3, 12.0),
    ("SP", -100.0, 50.0, -60.0, 20.0),
    ("PEF", 1.0, 6.5, 1.5, 5.5),
    ("RT", 0.2, 2000.0, 0.3, 500.0),
])
def test_realistic_ranges(made, mnemonic, lo, hi, bulk_lo, bulk_hi):
    _, wells = made
    for _, _, curves in wells.values():
        v = curves[mnemonic]
        v = v[~np.isnan(v)]
        assert v.size > 5000
        assert lo <= v.min() and v.max() <= hi, (mnemonic, v.min(), v.max())
        assert np.mean((v >= bulk_lo) & (v <= bulk_hi)) > 0.98


def test_sands_and_shales_alternate_smoothly(made):
    _, wells = made
    for _, _, curves in wells.values():
        gr = curves["GR"][~np.isnan(curves["GR"])]
        assert np.mean(gr < 50) > 0.08 and np.mean(gr > 90) > 0.3  # both sand and shale beds
        lag1 = np.corrcoef(gr[:-1], gr[1:])[0, 1]
        assert lag1 > 0.9  # layered, not white noise
        boundaries = np.count_nonzero(np.diff((gr > 70).astype(int)))
        assert 20 < boundaries < 600  # tens of beds, not a flicker
        rt = curves["RT"][~np.isnan(curves["RT"])]
        assert np.log10(rt.max()) - np.log10(rt.min()) > 2.5  # resistivity spans decades (log-normal)
        # The porosity logs tell one story: in clean sands density porosity (sandstone matrix)
        # and neutron porosity agree, except for a gas crossover; in shales the neutron reads
        # far above the density porosity (bound water).
        phid = (2.65 - curves["RHOB"]) / (2.65 - 1.0)
        nphi = curves["NPHI"]
        logged = ~np.isnan(phid) & ~np.isnan(nphi)
        clean, shale = logged & (curves["GR"] < 45), logged & (curves["GR"] > 100)
        assert clean.sum() > 500 and shale.sum() > 500
        assert np.median(np.abs(phid[clean] - nphi[clean])) < 0.06
        assert 0.05 < np.mean(phid[clean] - nphi[clean] > 0.05) < 0.3  # gas crossover in some sands
        assert np.median(nphi[shale] - phid[shale]) > 0.15


def test_each_tool_starts_and_stops_at_its_own_depth(made):
    _, wells = made
    for _, depths, curves in wells.values():
        tops, bases = [], []
        for mnemonic, v in curves.items():
            ok = np.flatnonzero(~np.isnan(v))
            assert ok.size == ok[-1] - ok[0] + 1, mnemonic  # nulls only above and below the logged interval
            tops.append(depths[ok[0]])
            bases.append(depths[ok[-1]])
        assert len(set(tops)) >= 7 and len(set(bases)) >= 7
        assert max(tops) - min(tops) > 50 and max(bases) - min(bases) > 50
        assert sum(np.isnan(v).any() for v in curves.values()) >= 8
    # and the wells differ in that too
    first_tops = [tuple(d[np.flatnonzero(~np.isnan(c[m]))[0]] for m in CURVES) for _, d, c in wells.values()]
    assert len(set(first_tops)) == 3


def _running_median(v: np.ndarray, half: int) -> np.ndarray:
    padded = np.pad(v, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.median(windows, axis=1)  # NaN where the window touches a null: no spike there


def test_spikes_and_pinned_tool_limits(made):
    _, wells = made
    for _, depths, curves in wells.values():
        for mnemonic, jump in (("GR", 20.0), ("DT", 10.0), ("RHOB", -0.15)):
            v = curves[mnemonic]
            with np.errstate(invalid="ignore"):
                resid = v - _running_median(v, 4)
                spikes = np.count_nonzero(resid > jump) if jump > 0 else np.count_nonzero(resid < jump)
            assert 3 <= spikes <= 20, (mnemonic, spikes)
        rt, cali = curves["RT"], curves["CALI"]
        pinned_rt = rt == demo.RT_MAX
        pinned_cali = cali == demo.CALIPER_MAX
        assert pinned_rt.sum() >= 10 and pinned_cali.sum() >= 20
        assert np.nanmax(rt) == demo.RT_MAX and np.nanmax(cali) == demo.CALIPER_MAX
        # pinned values form runs (a formation beyond the tool's range), not scattered samples
        assert np.ptp(depths[pinned_rt]) < 10 and np.ptp(depths[pinned_cali]) < 20
        # in the washout the pad tools read too light: density drops where the caliper is pinned
        assert np.nanmedian(curves["RHOB"][pinned_cali]) < np.nanmedian(curves["RHOB"]) - 0.15


def test_create_demo_is_fast(tmp_path):
    database = Database(ensure_data_dir(tmp_path / "fast"))
    try:
        start = time.perf_counter()
        demo.create_demo(database)
        assert time.perf_counter() - start < 2.0  # about 0.1 s; the budget is 1 s
    finally:
        database.close()


def test_ensure_demo_only_seeds_an_empty_database(db):
    ws = demo.ensure_demo(db)
    assert ws is not None and ws.name == "Demo"
    counts = db.counts()
    assert counts == {"workspaces": 2, "wells": 3 + 4, "curves": db.counts()["curves"]}
    assert demo.ensure_demo(db) is None
    assert db.counts() == counts


def test_ensure_demo_leaves_a_users_database_alone(db):
    db.create_workspace("Mine")
    assert demo.ensure_demo(db) is None
    assert [w.name for w in db.list_workspaces()] == ["Mine"]


def test_create_demo_again_makes_demo_2_without_duplicating_samples(db):
    demo.create_demo(db)
    again = demo.create_demo(db)
    assert again.name == "Demo 2" and again.well_count == 3
    assert [w.name for w in db.list_workspaces()] == ["Demo", "Samples", "Demo 2"]


def test_a_sample_that_fails_is_skipped_with_a_warning(db, tmp_path, monkeypatch, caplog):
    las_dir = tmp_path / "las"
    las_dir.mkdir()
    shutil.copy(shipped_las_dir() / "sample.las", las_dir / "good.las")
    (las_dir / "broken.las").write_text("not a LAS file at all\n")
    monkeypatch.setattr(demo, "shipped_las_dir", lambda: las_dir)
    with caplog.at_level(logging.WARNING, logger="core.dataforge"):
        demo.create_demo(db)
    samples = next(w for w in db.list_workspaces() if w.name == "Samples")
    assert [w.source_file for w in db.list_wells(samples.id)] == [str(las_dir / "good.las")]
    assert "sample not imported: broken.las: not a LAS file (no ~ sections)" in caplog.text
