"""Keyframed AU curves: schema validation and interpolation properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ganimate.au.curves import interpolate, load_curves, loads_curves, parse_curves
from ganimate.au.names import AU_NAMES, N_AUS
from ganimate.errors import GanimateError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KT = np.array([0.0, 1.0, 2.5, 3.0, 4.5])
KV = np.array([0.0, 3.0, 3.5, 1.0, 1.0])  # rise, slight rise, fall, plateau


def _deriv(f, t: float, eps: float = 1e-5) -> tuple[float, float]:
    """One-sided finite-difference derivatives just left and right of t."""
    left = (f(t) - f(t - eps)) / eps
    right = (f(t + eps) - f(t)) / eps
    return left, right


# --- interpolation properties -----------------------------------------------------------------------

def test_linear_exact_at_keys_and_midpoints() -> None:
    mids = (KT[:-1] + KT[1:]) / 2
    np.testing.assert_allclose(interpolate(KT, KT, KV, "linear"), KV)
    np.testing.assert_allclose(interpolate(mids, KT, KV, "linear"), (KV[:-1] + KV[1:]) / 2, atol=1e-12)


@pytest.mark.parametrize("method", ["linear", "smooth", "step", "ease-in-out"])
def test_holds_outside_keys_and_hits_keys(method: str) -> None:
    out = interpolate(np.array([-3.0, -0.1, 5.0, 100.0]), KT, KV, method)
    np.testing.assert_allclose(out, [KV[0], KV[0], KV[-1], KV[-1]])
    np.testing.assert_allclose(interpolate(KT, KT, KV, method), KV, atol=1e-12)


def test_smooth_is_c1_at_keys() -> None:
    def f(x: float) -> float:
        return float(interpolate(np.array([x]), KT, KV, "smooth")[0])

    for t in KT:
        left, right = _deriv(f, t)
        assert abs(left - right) < 1e-3, (t, left, right)
    # the data is not trivially flat: at t=2.5 the curve peaks (flat) but at t=1 it still climbs
    left, right = _deriv(f, 1.0)
    assert left > 0.1 and right > 0.1


def test_smooth_no_overshoot_on_monotone_data() -> None:
    kt = np.array([0.0, 0.3, 1.0, 1.2, 3.0, 3.1])
    kv = np.array([0.0, 0.1, 4.0, 4.2, 4.3, 5.0])  # monotone with very uneven secants
    t = np.linspace(-0.5, 3.5, 4001)
    v = interpolate(t, kt, kv, "smooth")
    assert np.all(np.diff(v) >= -1e-12), "smooth must stay monotone on monotone keys"
    assert v.min() >= 0.0 and v.max() <= 5.0
    # per interval, values stay between the two keys
    for a, b, va, vb in zip(kt[:-1], kt[1:], kv[:-1], kv[1:], strict=True):
        seg = interpolate(np.linspace(a, b, 200), kt, kv, "smooth")
        assert seg.min() >= min(va, vb) - 1e-12 and seg.max() <= max(va, vb) + 1e-12
    # a plain Catmull-Rom-like cubic would overshoot here; linear is a lower bar it must differ from
    assert np.abs(v - interpolate(t, kt, kv, "linear")).max() > 0.05


def test_smooth_flat_at_local_extrema() -> None:
    def f(x: float) -> float:
        return float(interpolate(np.array([x]), KT, KV, "smooth")[0])

    left, right = _deriv(f, 2.5)  # KV peaks at index 2
    assert abs(left) < 1e-3 and abs(right) < 1e-3
    seg = interpolate(np.linspace(1.0, 3.0, 500), KT, KV, "smooth")
    assert seg.max() <= 3.5 + 1e-12  # the peak is not exceeded


def test_step_holds_previous_key() -> None:
    t = np.array([0.0, 0.999, 1.0, 2.0, 2.5, 2.9, 3.0, 4.0])
    np.testing.assert_array_equal(interpolate(t, KT, KV, "step"), [0, 0, 3, 3, 3.5, 3.5, 1, 1])


def test_ease_in_out_zero_slope_at_keys_and_symmetric() -> None:
    def f(x: float) -> float:
        return float(interpolate(np.array([x]), KT, KV, "ease-in-out")[0])

    for t in KT[1:-1]:
        left, right = _deriv(f, t)
        assert abs(left) < 1e-3 and abs(right) < 1e-3
    # midpoint of each segment is the mean of its keys (smoothstep is point-symmetric)
    mids = (KT[:-1] + KT[1:]) / 2
    np.testing.assert_allclose(interpolate(mids, KT, KV, "ease-in-out"), (KV[:-1] + KV[1:]) / 2, atol=1e-12)
    # and steeper than linear in the middle
    f_lin = (KV[1] - KV[0]) / (KT[1] - KT[0])
    left, _ = _deriv(f, 0.5)
    assert left > 1.4 * f_lin


# --- CurveSet ---------------------------------------------------------------------------------------

def test_parse_and_evaluate_with_names_and_shorthand() -> None:
    cs = parse_curves({
        "fps": 10, "duration": 2.0, "interpolation": "linear",
        "curves": {"au12": {"interpolation": "step", "keys": [[0, 1], [1, 2]]},
                   "6": [[0, 0], [2, 4]], "AU45_r": [[0.5, 1.5]]},
    })
    assert cs.au_names == ("AU06", "AU12", "AU45")
    assert cs.n_frames == 20 and cs.fps == 10 and cs.duration == 2.0
    t = cs.frame_times()
    np.testing.assert_allclose(t, np.arange(20) / 10)
    out = cs.evaluate(t)
    assert out.dtype == np.float32 and out.shape == (20, N_AUS)
    np.testing.assert_allclose(out[:, AU_NAMES.index("AU06")], 2 * t, atol=1e-6)
    np.testing.assert_allclose(out[:, AU_NAMES.index("AU12")], np.where(t < 1, 1, 2))
    np.testing.assert_allclose(out[:, AU_NAMES.index("AU45")], 1.5)
    others = [i for i, n in enumerate(AU_NAMES) if n not in cs.au_names]
    assert not out[:, others].any()


def test_frames_unit_and_with_timing() -> None:
    cs = parse_curves({"time_unit": "frames", "curves": {"AU12": [[0, 0], [50, 5]]}}, "f.json")
    assert cs.fps is None and cs.duration is None
    with pytest.raises(GanimateError, match="no fps and duration"):
        _ = cs.n_frames
    with pytest.raises(GanimateError, match="f.json: time_unit is 'frames' but no fps"):
        cs.evaluate(np.array([0.0]))
    timed = cs.with_timing(fps=25, duration=3.0)
    assert timed.n_frames == 75 and timed.duration == pytest.approx(3.0)
    out = timed.evaluate(np.array([1.0, 2.0, 3.0]))[:, AU_NAMES.index("AU12")]
    # 1 s = frame 25, halfway between the two keys; a two-key smooth curve is a smoothstep: 0.5 there
    np.testing.assert_allclose(out, [2.5, 5, 5], atol=1e-6)
    # file values win over the video's
    fixed = parse_curves({"fps": 30, "duration": 1.0, "curves": {"AU12": [[0, 1]]}}).with_timing(25, 9.0)
    assert fixed.fps == 30 and fixed.n_frames == 30


def test_base_source_adds_to_estimates() -> None:
    cs = parse_curves({"base": "source", "curves": {"AU12": [[0, -2.0], [1, 2.0]]}})
    src = np.full((3, N_AUS), 1.0, dtype=np.float32)
    src[2, 0] = np.nan
    out = cs.targets(np.array([0.0, 0.5, 1.0]), src)
    i12 = AU_NAMES.index("AU12")
    np.testing.assert_allclose(out[:, i12], [0.0, 1.0, 3.0], atol=1e-6)  # 1-2 clipped to 0
    assert out[0, 0] == 1.0 and np.isnan(out[2, 0])
    neutral = parse_curves({"curves": {"AU12": [[0, 3.0]]}})
    out = neutral.targets(np.array([0.0]))
    assert out[0, i12] == 3.0 and out.sum() == 3.0


@pytest.mark.parametrize(
    ("obj", "expect"),
    [
        ([], "top level must be a JSON object"),
        ({"fps": 25}, "missing field 'curves'"),
        ({"curves": {}, "fsp": 25}, "fsp: unknown field"),
        ({"curves": {"AU13": [[0, 1]]}}, "curves.AU13: unknown AU; valid names: AU01, AU02"),
        ({"curves": {"AU12": [[0, -1]]}}, "curves.AU12[0]: value -1 is outside 0..5"),
        ({"curves": {"AU12": [[0, 5.5]]}}, "value 5.5 is outside 0..5"),
        ({"base": "source", "curves": {"AU12": [[0, -6]]}}, "outside -5..5"),
        ({"curves": {"AU12": [[0, float("nan")]]}}, "curves.AU12[0] value: must be a finite number"),
        ({"curves": {"AU12": [[0, float("inf")]]}}, "must be a finite number"),
        ({"curves": {"AU12": [[0, 1], [2, 1], [2, 3]]}}, "curves.AU12[2]: time 2 is not after"),
        ({"curves": {"AU12": [[1, 1], [0.5, 1]]}}, "not after the previous key time 1"),
        ({"curves": {"AU12": [[-1, 1]]}}, "time must be >= 0"),
        ({"curves": {"AU12": []}}, "at least one"),
        ({"curves": {"AU12": [[0, 1, 2]]}}, "curves.AU12[0]: expected [time, value]"),
        ({"curves": {"AU12": [[0, "1"]]}}, "expected a number, got \"1\""),
        ({"curves": {"AU12": [[0, True]]}}, "expected a number, got true"),
        ({"curves": {"AU12": {"interpolation": "linear"}}}, "curves.AU12: missing field 'keys'"),
        ({"curves": {"AU12": {"keys": [[0, 1]], "interp": "x"}}}, "curves.AU12.interp: unknown field"),
        ({"curves": {"AU12": {"keys": [[0, 1]], "interpolation": "cubic"}}},
         "curves.AU12.interpolation: \"cubic\" is not one of linear, smooth, step, ease-in-out"),
        ({"curves": {"AU12": 3}}, "curves.AU12: expected a list"),
        ({"curves": [1]}, "curves: expected an object"),
        ({"curves": {"AU12": [[0, 1]], "12": [[0, 1]]}}, "AU12 is given twice"),
        ({"fps": 0, "curves": {}}, "fps: must be > 0"),
        ({"fps": "25", "curves": {}}, "fps: expected a number"),
        ({"duration": -1, "curves": {}}, "duration: must be > 0"),
        ({"time_unit": "ms", "curves": {}}, "time_unit: \"ms\" is not one of seconds, frames"),
        ({"base": "mean", "curves": {}}, "base: \"mean\" is not one of neutral, source"),
    ],
)
def test_validation_errors(obj: object, expect: str) -> None:
    with pytest.raises(GanimateError) as info:
        parse_curves(obj, "my.json")
    msg = str(info.value)
    assert msg.startswith("my.json: ") and expect in msg and "\n" not in msg, msg


def test_json_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{\n  "fps": 25,\n  "curves": {"AU12": [[0, 1],]}\n}\n')
    with pytest.raises(GanimateError) as info:
        load_curves(path)
    assert str(info.value).startswith(f"{path}:3:") and "invalid JSON" in str(info.value)
    with pytest.raises(GanimateError, match="duplicate key \"AU12\""):
        loads_curves('{"curves": {"AU12": [[0, 1]], "AU12": [[0, 2]]}}')
    with pytest.raises(GanimateError, match="cannot read"):
        load_curves(tmp_path / "missing.json")


@pytest.mark.parametrize("name", ["curves_smile.json", "curves_full.json"])
def test_examples_load(name: str) -> None:
    cs = load_curves(EXAMPLES / name)
    assert cs.fps and cs.duration and cs.n_frames >= 50
    out = cs.evaluate(cs.frame_times())
    assert out.shape == (cs.n_frames, N_AUS)
    assert out.min() >= 0 and out.max() <= 5
    np.testing.assert_allclose(out[0], 0, atol=1e-6)  # starts neutral
    np.testing.assert_allclose(out[-1], 0, atol=1e-6)  # ends neutral
    for au in cs.au_names:
        assert out[:, AU_NAMES.index(au)].max() >= 1.0, au  # every listed AU is visibly used


def test_example_smile_uses_cheek_and_lips() -> None:
    cs = load_curves(EXAMPLES / "curves_smile.json")
    assert set(cs.au_names) == {"AU06", "AU12", "AU25"} and cs.duration == pytest.approx(4.0)
    data = json.loads((EXAMPLES / "curves_smile.json").read_text())
    assert data["base"] == "neutral"
