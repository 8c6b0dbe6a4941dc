"""The held-out generator evaluation: rises, the blurred read-out that pixel patterns cannot pass, the table."""

import numpy as np
import pytest

pytest.importorskip("torch")
from ganimate.au.names import N_AUS, au_index  # noqa: E402
from ganimate.training import generator_eval as ge  # noqa: E402


class _FakeGenerator:
    """Adds a fixed change in the face centre whenever AU12 is asked for (AU12 target > 0)."""

    size = 64

    def __init__(self, change: np.ndarray):
        self.change = change.astype(np.float32)  # HxWx3, added in 0..255 units

    def edit(self, crops: np.ndarray, aus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        on = (aus[:, au_index("AU12")] > 0).astype(np.float32)[:, None, None, None]
        edited = np.clip(crops.astype(np.float32) + on * self.change, 0, 255)
        return edited, np.full(crops.shape[:3] + (1,), 0.9, np.float32)


class _FakeEstimator:
    """AU12 = brightness of the crop centre / 50 + its pixel-to-pixel contrast / 10: like a CNN, it can be
    raised by a smooth change or by a fine pattern."""

    size = 64

    def estimate(self, crops: np.ndarray) -> np.ndarray:
        centre = crops[:, 24:40, 24:40].astype(np.float32).mean(axis=3)
        out = np.zeros((len(crops), N_AUS), np.float32)
        contrast = np.abs(np.diff(centre, axis=2)).mean(axis=(1, 2))
        out[:, au_index("AU12")] = centre.mean(axis=(1, 2)) / 50.0 + contrast / 10.0
        return out


def _crops(n: int = 4) -> np.ndarray:
    rng = np.random.default_rng(0)
    base = np.full((n, 128, 128, 3), 100, np.uint8)
    return (base + rng.integers(0, 3, base.shape)).astype(np.uint8)


def _centre_change(kind: str) -> np.ndarray:
    change = np.zeros((64, 64, 3), np.float32)
    if kind == "smooth":
        change[20:44, 20:44] = 60.0
    else:  # alternating +-60 pixels: a checkerboard, mean zero
        yy, xx = np.mgrid[20:44, 20:44]
        change[20:44, 20:44] = np.where((yy + xx) % 2 == 0, 60.0, -60.0)[..., None]
    return change


def test_blur_crops_keeps_shape_and_wipes_out_a_checkerboard():
    crops = np.zeros((2, 32, 32, 3), np.uint8)
    crops[:, ::2, ::2] = 200
    crops[:, 1::2, 1::2] = 200
    blurred = ge.blur_crops(crops)
    assert blurred.shape == crops.shape and blurred.dtype == np.uint8
    assert crops[0, 8:24, 8:24].std() > 90 and blurred[0, 8:24, 8:24].std() < 3


def test_smooth_change_rises_with_and_without_blur():
    results, grids = ge.evaluate_generator(_FakeGenerator(_centre_change("smooth")), _FakeEstimator(), _crops())
    smile = next(r for r in results if r.name == "smile")
    assert smile.rise["AU12"] > 0.8 and smile.rise_blurred["AU12"] > 0.8
    frown = next(r for r in results if r.name == "frown")  # no AU12 in its target: nothing changes
    assert abs(frown.rise["AU04"]) < 1e-6 and abs(frown.rise_blurred["AU04"]) < 1e-6
    assert grids["smile"].shape == (4, 128, 128, 3) and grids["smile"].dtype == np.uint8
    assert smile.outside_change == pytest.approx(0.0, abs=1e-6)
    assert smile.attention_mean == pytest.approx(0.9)


def test_checkerboard_fools_the_plain_readout_but_not_the_blurred_one():
    results, _ = ge.evaluate_generator(_FakeGenerator(_centre_change("dots")), _FakeEstimator(), _crops())
    smile = next(r for r in results if r.name == "smile")
    assert smile.rise["AU12"] > 1.0
    assert abs(smile.rise_blurred["AU12"]) < 0.2 * smile.rise["AU12"]


def test_table_has_both_readouts_and_goal_verdicts():
    results, _ = ge.evaluate_generator(_FakeGenerator(_centre_change("smooth")), _FakeEstimator(), _crops())
    table = ge.results_markdown(results, 4)
    assert "rise, both blurred" in table
    smile_row = next(line for line in table.splitlines() if line.startswith("| smile (AU12=3, AU06=2)"))
    assert "1.3 not met" in smile_row or "1.3 met" in smile_row
    rise = next(r for r in results if r.name == "smile").rise["AU12"]
    assert ("1.3 met" in smile_row) == (rise >= 1.3)
