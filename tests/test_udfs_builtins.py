"""Built-in UDFs against hand-computed values, NaN propagation, clipping, params validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.dataforge.udfs import (
    REGISTRY,
    UdfInputError,
    UdfParamsError,
    execute,
)

NAN = np.nan


def run(udf_id, params=None, **inputs):
    return execute(udf_id, {k: np.asarray(v, dtype=float) for k, v in inputs.items()}, params or {})


def close(actual, expected, tol=1e-9):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float),
                               rtol=0, atol=tol, equal_nan=True)


# ---------------------------------------------------------------- Vsh ----------------------

GR = [20.0, 50.0, 80.0, 110.0, 140.0]   # with clean 20 / shale 140: IGR = 0, .25, .5, .75, 1
FIXED = {"gr_clean": 20.0, "gr_shale": 140.0}


def test_vsh_linear_is_igr():
    # IGR = (GR - 20) / (140 - 20): 0/120, 30/120, 60/120, 90/120, 120/120
    close(run("vsh_gr", FIXED, GR=GR), [0.0, 0.25, 0.5, 0.75, 1.0])


def test_vsh_larionov_tertiary():
    # 0.083 * (2^(3.7*IGR) - 1): IGR .25 -> 0.083*(2^0.925 - 1) = 0.074591; .5 -> 0.083*(2^1.85 - 1)
    # = 0.083*(3.60500 - 1) = 0.216215; 1 -> 0.083*(2^3.7 - 1) = 0.083*11.99604 = 0.995671
    v = run("vsh_gr", {**FIXED, "method": "larionov_tertiary"}, GR=GR)
    close(v, [0.0, 0.0745908, 0.2162152, 0.083 * (2 ** (3.7 * 0.75) - 1), 0.9956712], 1e-6)


def test_vsh_larionov_older():
    # 0.33 * (2^(2*IGR) - 1): .25 -> 0.33*(sqrt 2 - 1) = 0.136690; .5 -> 0.33*(2-1) = 0.33;
    # .75 -> 0.33*(2^1.5 - 1) = 0.603381; 1 -> 0.33*3 = 0.99
    v = run("vsh_gr", {**FIXED, "method": "larionov_older"}, GR=GR)
    close(v, [0.0, 0.1366905, 0.33, 0.6033810, 0.99], 1e-6)


def test_vsh_clavier():
    # 1.7 - sqrt(3.38 - (IGR + 0.7)^2): 0 -> 1.7 - sqrt(2.89) = 0; .5 -> 1.7 - sqrt(3.38 - 1.44)
    # = 1.7 - 1.392839 = 0.307161; 1 -> 1.7 - sqrt(0.49) = 1.0
    v = run("vsh_gr", {**FIXED, "method": "clavier"}, GR=GR)
    close(v, [0.0, 0.1259924, 0.3071612, 1.7 - math.sqrt(3.38 - 1.45 ** 2), 1.0], 1e-6)


def test_vsh_steiber():
    # IGR / (3 - 2*IGR): .25/2.5 = 0.1; .5/2 = 0.25; .75/1.5 = 0.5; 1/1 = 1
    close(run("vsh_gr", {**FIXED, "method": "steiber"}, GR=GR), [0.0, 0.1, 0.25, 0.5, 1.0])


def test_vsh_defaults_to_p5_p95_of_the_curve():
    gr = np.arange(0.0, 101.0)   # 0..100: P5 = 5, P95 = 95 (linear interpolation)
    v = run("vsh_gr", GR=gr)
    assert v[50] == pytest.approx((50 - 5) / (95 - 5))   # 0.5
    assert v[0] == 0.0 and v[100] == 1.0                 # clipped
    # only one end given: the other is still a percentile -> (50 - 10)/(95 - 10)
    assert run("vsh_gr", {"gr_clean": 10}, GR=gr)[50] == pytest.approx(40 / 85)
    # custom percentiles P10/P90 -> (50 - 10)/(90 - 10)
    assert run("vsh_gr", {"p_clean": 10, "p_shale": 90}, GR=gr)[50] == pytest.approx(0.5)


def test_vsh_clips_igr_and_keeps_nan():
    v = run("vsh_gr", {**FIXED, "method": "larionov_tertiary"}, GR=[0.0, NAN, 500.0, 80.0])
    assert v[0] == 0.0                      # below clean -> IGR clipped to 0
    assert math.isnan(v[1])                 # null stays null
    assert v[2] == pytest.approx(0.9956712, abs=1e-6)   # above shale -> IGR 1
    assert 0 < v[3] < 1


def test_vsh_percentiles_ignore_nulls():
    gr = np.concatenate([np.arange(0.0, 101.0), np.full(50, NAN)])
    v = run("vsh_gr", GR=gr)
    assert v[50] == pytest.approx(0.5) and np.isnan(v[101:]).all()


def test_vsh_constant_or_empty_curve_is_a_clear_error():
    with pytest.raises(UdfParamsError, match="gr_clean|GR clean"):
        run("vsh_gr", GR=[60.0] * 10)
    with pytest.raises(UdfInputError, match="no valid"):
        run("vsh_gr", GR=[NAN] * 10)


# ---------------------------------------------------------------- porosity ------------------

def test_phid_matrices():
    rhob = [2.40, 2.65, 2.70, NAN]
    # (2.65 - 2.40)/(2.65 - 1.0) = 0.25/1.65 = 0.151515; 2.65 -> 0; 2.70 -> -0.05/1.65 = -0.030303
    close(run("phid", RHOB=rhob), [0.1515152, 0.0, -0.0303030, NAN], 1e-6)
    # limestone (2.71 - 2.40)/1.71 = 0.181287; dolomite (2.87 - 2.40)/1.87 = 0.251337
    assert run("phid", {"matrix": "limestone"}, RHOB=rhob)[0] == pytest.approx(0.1812865, abs=1e-6)
    assert run("phid", {"matrix": "dolomite"}, RHOB=rhob)[0] == pytest.approx(0.2513369, abs=1e-6)
    # custom matrix value and salty fluid: (2.68 - 2.40)/(2.68 - 1.1) = 0.28/1.58 = 0.177215
    assert run("phid", {"rho_ma": 2.68, "rho_fluid": 1.1}, RHOB=rhob)[0] == pytest.approx(
        0.28 / 1.58)
    assert run("phid", {"matrix": "custom", "rho_ma": 2.68}, RHOB=rhob)[0] == pytest.approx(
        0.28 / 1.68)


def test_phid_clip_and_kg_m3():
    v = run("phid", {"clip": True}, RHOB=[2.70, 1.0, 2.40])
    close(v, [0.0, 1.0, 0.25 / 1.65])   # -0.0303 -> 0; (2.65-1)/1.65 = 1
    # RHOB in kg/m3 (as in the CWLS sample files): 2400 kg/m3 = 2.40 g/cc
    assert run("phid", {"density_unit": "kg/m3"}, RHOB=[2400.0])[0] == pytest.approx(0.25 / 1.65)


def test_phind_average_and_gas():
    # PHID = 0.151515; average (0.30 + 0.151515)/2 = 0.225758
    # gas sqrt((0.30^2 + 0.151515^2)/2) = sqrt((0.09 + 0.022957)/2) = 0.237652
    nphi, rhob = [0.30, NAN, 0.30], [2.40, 2.40, NAN]
    close(run("phind", NPHI=nphi, RHOB=rhob), [0.2257576, NAN, NAN], 1e-6)
    close(run("phind", {"mode": "gas"}, NPHI=nphi, RHOB=rhob), [0.2376519, NAN, NAN], 1e-6)
    # NPHI in percent
    assert run("phind", {"nphi_unit": "%"}, NPHI=[30.0], RHOB=[2.40])[0] == pytest.approx(
        0.2257576, abs=1e-6)


def test_phis_wyllie():
    # sandstone (100 - 55.5)/(189 - 55.5) = 44.5/133.5 = 0.333333
    # limestone (100 - 47.6)/(189 - 47.6) = 52.4/141.4 = 0.370580
    # dolomite  (100 - 43.5)/(189 - 43.5) = 56.5/145.5 = 0.388316
    dt = [100.0, NAN, 50.0]
    close(run("phis", DT=dt), [1 / 3, NAN, (50 - 55.5) / 133.5])
    assert run("phis", {"matrix": "limestone"}, DT=dt)[0] == pytest.approx(0.3705799, abs=1e-6)
    assert run("phis", {"matrix": "dolomite"}, DT=dt)[0] == pytest.approx(0.3883162, abs=1e-6)
    assert run("phis", {"clip": True}, DT=dt)[2] == 0.0
    # DT in us/m: 100 us/ft = 328.084 us/m
    assert run("phis", {"dt_unit": "us/m"}, DT=[100 / 0.3048])[0] == pytest.approx(1 / 3)


def test_phie():
    # 0.25 * (1 - 0.2) = 0.2; Vsh 1.2 clipped to 1 -> 0; Vsh -0.1 clipped to 0 -> 0.25
    close(run("phie", PHIT=[0.25, 0.25, 0.25, NAN, 0.2], VSH=[0.2, 1.2, -0.1, 0.1, NAN]),
          [0.2, 0.0, 0.25, NAN, NAN])
    # negative PHIT: clipped to 0 by default, kept when clip=False
    assert run("phie", PHIT=[-0.02], VSH=[0.5])[0] == 0.0
    assert run("phie", {"clip": False}, PHIT=[-0.02], VSH=[0.5])[0] == pytest.approx(-0.01)


# ---------------------------------------------------------------- saturation ----------------

def test_archie_defaults():
    # Sw = (1 * 0.05 / (20 * 0.2^2))^(1/2) = (0.05/0.8)^0.5 = 0.0625^0.5 = 0.25
    # RT 2, phi 0.1: (0.05/(2*0.01))^0.5 = 2.5^0.5 = 1.58 -> clipped to 1
    sw = run("sw_archie", RT=[20.0, 2.0, NAN, 20.0, 0.0, 20.0], PHI=[0.2, 0.1, 0.2, NAN, 0.2, 0.0])
    close(sw, [0.25, 1.0, NAN, NAN, NAN, NAN])   # Rt <= 0 or phi <= 0: NaN, not a made-up Sw


def test_archie_custom_exponents():
    # Humble-like a 0.62, m 2.15, n 2: (0.62*0.05 / (10 * 0.2^2.15))^(1/2) = 0.314104
    sw = run("sw_archie", {"a": 0.62, "m": 2.15, "rw": 0.05}, RT=[10.0], PHI=[0.2])
    assert sw[0] == pytest.approx(0.3141041, abs=1e-6)
    # n = 3: (0.05/(20*0.04))^(1/3) = 0.0625^(1/3) = 0.396850
    assert run("sw_archie", {"n": 3}, RT=[20.0], PHI=[0.2])[0] == pytest.approx(0.0625 ** (1 / 3))
    # unclipped
    assert run("sw_archie", {"clip": False}, RT=[2.0], PHI=[0.1])[0] == pytest.approx(2.5 ** 0.5)


def test_bvw():
    close(run("bvw", PHI=[0.2, NAN], SW=[0.25, 0.5]), [0.05, NAN])


# ---------------------------------------------------------------- filters -------------------

def test_moving_average_hand_values():
    # window 3, edges truncated: [ (1+2)/2, (1+2+3)/3, ..., (4+5)/2 ]
    close(run("moving_average", {"window": 3}, curve=[1, 2, 3, 4, 5]), [1.5, 2, 3, 4, 4.5])
    # NaN ignored inside windows, never filled: [1, nan, 3, 4, 10]
    #   0: mean(1) = 1; 1: stays NaN; 2: mean(3, 4) = 3.5; 3: (3+4+10)/3; 4: (4+10)/2 = 7
    close(run("moving_average", {"window": 3}, curve=[1, NAN, 3, 4, 10]),
          [1, NAN, 3.5, 17 / 3, 7])
    # window 1 = identity
    close(run("moving_average", {"window": 1}, curve=[1, NAN, 3]), [1, NAN, 3])


def test_moving_average_depth_window():
    x = np.arange(20.0)
    # 0.45 m / 0.1524 m = 2.95 -> 3 samples (odd already)
    a = execute("moving_average", {"curve": x}, {"depth_window": 0.45}, step=0.1524)
    b = execute("moving_average", {"curve": x}, {"window": 3})
    close(a, b)
    # 1.0 / 0.25 = 4 samples -> made odd: 5; the sign of the step is ignored
    a = execute("moving_average", {"curve": x}, {"depth_window": 1.0}, step=-0.25)
    close(a, execute("moving_average", {"curve": x}, {"window": 5}))
    with pytest.raises(UdfParamsError, match="depth_window"):
        execute("moving_average", {"curve": x}, {"depth_window": 1.0})  # no step given


def test_median_filter_hand_values():
    # window 3: [med(1,100)=50.5, med(1,100,3)=3, med(100,3,4)=4, med(3,4,5)=4, med(4,5)=4.5]
    close(run("median_filter", {"window": 3}, curve=[1, 100, 3, 4, 5]), [50.5, 3, 4, 4, 4.5])
    # NaN ignored in windows, NaN centre stays NaN: [5, nan, 1, 2, 9]
    #   0: med(5) = 5; 2: med(1, 2) = 1.5; 3: med(1, 2, 9) = 2; 4: med(2, 9) = 5.5
    close(run("median_filter", {"window": 3}, curve=[5, NAN, 1, 2, 9]), [5, NAN, 1.5, 2, 5.5])


def test_despike_replaces_spike_with_rolling_median():
    x = np.full(41, 10.0)
    x[20] = 100.0
    x[5] = NAN
    # window 33 around sample 20: median 10; std of {32 x 10 (one is NaN -> 31), 100} ~ 16 so
    # |100 - 10| = 90 > 2 * std -> replaced by the median 10. Other samples: |10 - 10| = 0 -> kept.
    y = run("despike", curve=x)
    expected = np.full(41, 10.0)
    expected[5] = NAN
    close(y, expected)
    # Hampel (MAD): MAD = 0 around the spike, so the spike is replaced as well
    close(run("despike", {"method": "mad"}, curve=x), expected)


def test_despike_leaves_smooth_curve_alone():
    x = np.sin(np.linspace(0, 6, 200)) * 50 + 60
    close(run("despike", {"window": 11, "z": 3}, curve=x), x)


def test_despike_threshold_against_hand_computed_stats():
    # window 5 at the centre of [0, 0, 9, 0, 0]: median 0, std = sqrt(mean(x^2) - mean^2)
    # = sqrt(81/5 - 1.8^2) = sqrt(16.2 - 3.24) = 3.6; |9 - 0| = 9 > 2 * 3.6 = 7.2 -> spike
    assert run("despike", {"window": 5}, curve=[0, 0, 9, 0, 0])[2] == 0.0
    # with z = 2.5: 9 > 9.0 is false -> kept
    assert run("despike", {"window": 5, "z": 2.5}, curve=[0, 0, 9, 0, 0])[2] == 9.0


def test_normalize_methods():
    x = np.arange(0.0, 101.0)     # P5 = 5, P95 = 95, min 0, max 100, mean 50, std sqrt(850)
    # percentile: (50 - 5)/(95 - 5) = 0.5; to refs 20/120: 20 + 45 * 100/90 = 70
    assert run("normalize", curve=x)[50] == pytest.approx(0.5)
    assert run("normalize", {"ref_low": 20, "ref_high": 120}, curve=x)[50] == pytest.approx(70.0)
    assert run("normalize", {"method": "minmax"}, curve=x)[25] == pytest.approx(0.25)
    # z-score: (100 - 50)/29.154759 = 1.714986 (population std)
    assert run("normalize", {"method": "zscore"}, curve=x)[100] == pytest.approx(1.7149859,
                                                                                 abs=1e-6)
    xn = x.copy()
    xn[[3, 7]] = NAN
    y = run("normalize", {"method": "minmax"}, curve=xn)
    assert np.isnan(y[[3, 7]]).all() and y[100] == 1.0 and y[0] == 0.0


def test_normalize_constant_curve_is_an_error():
    with pytest.raises(UdfInputError, match="normalise|constant"):
        run("normalize", curve=[3.0] * 8)


# ---------------------------------------------------------------- units ---------------------

@pytest.mark.parametrize("conversion, value, expected", [
    ("ft_to_m", 1000.0, 304.8),               # x 0.3048
    ("m_to_ft", 304.8, 1000.0),
    ("gcc_to_kgm3", 2.5, 2500.0),             # x 1000
    ("kgm3_to_gcc", 2500.0, 2.5),
    ("usft_to_usm", 100.0, 328.084),          # x 3.28084
    ("usm_to_usft", 328.084, 100.0),
    ("percent_to_fraction", 25.0, 0.25),      # / 100
    ("fraction_to_percent", 0.25, 25.0),
])
def test_unit_conversions(conversion, value, expected):
    y = run("unit_convert", {"conversion": conversion}, curve=[value, NAN])
    assert y[0] == pytest.approx(expected, rel=1e-6) and math.isnan(y[1])


def test_unit_convert_custom_and_output_spec():
    assert run("unit_convert", {"conversion": "custom", "factor": 2, "offset": 1},
               curve=[3.0])[0] == 7.0
    d = REGISTRY.get("unit_convert")
    out = d.output_for({"conversion": "gcc_to_kgm3"}, {"curve": "RHOB"}, {"curve": "G/CC"})
    assert (out.mnemonic, out.unit) == ("RHOB_KGM3", "KG/M3")
    out = d.output_for({"conversion": "custom", "factor": 3, "unit": "X"}, {"curve": "GR"})
    assert (out.mnemonic, out.unit) == ("GR_CONV", "X")


# ---------------------------------------------------------------- generic -------------------

TWO_INPUT = {"phind": ("NPHI", "RHOB"), "phie": ("PHIT", "VSH"), "sw_archie": ("RT", "PHI"),
             "bvw": ("PHI", "SW")}
VALUES = {"GR": 60.0, "RHOB": 2.4, "NPHI": 0.25, "DT": 90.0, "PHIT": 0.2, "VSH": 0.3,
          "RT": 15.0, "PHI": 0.2, "SW": 0.5, "curve": 7.0}


@pytest.mark.parametrize("udf_id", sorted(REGISTRY.ids()))
def test_every_builtin_propagates_nan_from_every_input(udf_id):
    d = REGISTRY.get(udf_id)
    n = 40
    rng = np.random.default_rng(1)
    base = {name: VALUES[name] * (1 + 0.1 * rng.random(n)) for name in d.input_names}
    params = {"gr_clean": 40, "gr_shale": 120} if udf_id == "vsh_gr" else {}
    for k, name in enumerate(d.input_names):
        ins = {nm: a.copy() for nm, a in base.items()}
        ins[name][[3 + k, 17, 30]] = NAN
        y = execute(udf_id, ins, params)
        assert y.shape == (n,) and y.dtype == np.float64
        assert np.isnan(y[[3 + k, 17, 30]]).all(), (udf_id, name)
        others = np.setdiff1d(np.arange(n), [3, 4, 17, 30])
        assert np.isfinite(y[others]).all(), (udf_id, name)


@pytest.mark.parametrize("udf_id", sorted(REGISTRY.ids()))
def test_every_builtin_handles_empty_curves(udf_id):
    d = REGISTRY.get(udf_id)
    params = {"gr_clean": 40, "gr_shale": 120} if udf_id == "vsh_gr" else {}
    if udf_id == "normalize":
        with pytest.raises(UdfInputError):
            execute(udf_id, {n: np.array([]) for n in d.input_names}, params)
        return
    assert execute(udf_id, {n: np.array([]) for n in d.input_names}, params).shape == (0,)


# ---------------------------------------------------------------- params validation ---------

@pytest.mark.parametrize("udf_id, params, field", [
    ("phid", {"rho_fluid": 3.0}, "rho_fluid"),
    ("phid", {"matrix": "granite"}, "matrix"),
    ("phid", {"matrix": "custom"}, "rho_ma"),
    ("phid", {"rho_ma": 0.9}, "rho_ma"),
    ("phid", {"rho_ma": 1.6, "rho_fluid": 1.4, "matrix": "custom"}, None),  # fine
    ("moving_average", {"window": 4}, "window"),
    ("moving_average", {"window": 0}, "window"),
    ("moving_average", {"windw": 5}, "windw"),
    ("despike", {"z": -1}, "z"),
    ("vsh_gr", {"gr_clean": 100, "gr_shale": 50}, "gr_shale"),
    ("vsh_gr", {"method": "magic"}, "method"),
    ("sw_archie", {"rw": 0}, "rw"),
    ("sw_archie", {"m": "two"}, "m"),
    ("normalize", {"p_low": 40, "p_high": 60, "ref_low": 1, "ref_high": 1}, "ref_high"),
    ("phis", {"dt_fluid": 100}, "dt_fluid"),
])
def test_params_validation_names_the_field(udf_id, params, field):
    d = REGISTRY.get(udf_id)
    ins = {n: np.array([VALUES[n], VALUES[n] * 1.1, VALUES[n] * 0.9]) for n in d.input_names}
    if field is None:
        execute(udf_id, ins, params)
        return
    with pytest.raises(UdfParamsError) as ei:
        execute(udf_id, ins, params)
    err = ei.value
    assert isinstance(err, ValueError)
    assert field in str(err) and udf_id in str(err)
    assert err.errors and err.udf_id == udf_id


def test_params_accept_model_instances_and_reject_junk():
    from core.dataforge.udfs import PhidParams
    y = execute("phid", {"RHOB": [2.4]}, PhidParams(matrix="limestone"))
    assert y[0] == pytest.approx(0.31 / 1.71)
    with pytest.raises(UdfParamsError):
        execute("phid", {"RHOB": [2.4]}, [("matrix", "limestone")])


def test_window_limit():
    from core.dataforge.udfs.filters import MAX_WINDOW
    with pytest.raises(UdfParamsError, match="window"):
        run("median_filter", {"window": MAX_WINDOW + 2}, curve=[1.0, 2.0])
    with pytest.raises(UdfParamsError, match="depth_window"):
        execute("moving_average", {"curve": [1.0]}, {"depth_window": 1000.0}, step=0.1)
