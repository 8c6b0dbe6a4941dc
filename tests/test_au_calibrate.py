"""Per-track AU calibration (running low percentile as the person's neutral)."""

from __future__ import annotations

import numpy as np

from ganimate.au.calibrate import CALIBRATED_AUS, CalibrationConfig, TrackCalibration, calibrate_offline
from ganimate.au.names import AU_NAMES

ALL = tuple(AU_NAMES)


def test_a_constant_resting_offset_is_removed_once_warm():
    rng = np.random.default_rng(0)
    rest = np.zeros(17)
    rest[2] = 1.5  # a heavy-browed person reads AU04 1.5 at rest
    readings = np.tile(rest, (200, 1))
    readings[120:140, 8] += 3.0  # a smile in the middle
    readings += rng.uniform(0, 0.05, readings.shape)
    out = calibrate_offline(readings, CalibrationConfig(percentile=10, warmup=50, aus=ALL))
    assert out[100:, 2].max() < 0.15  # the resting frown is gone
    assert out[125:135, 8].min() > 2.8  # the smile stays
    assert out.dtype == np.float32 and out.min() >= 0


def test_tracks_are_calibrated_separately_and_early_frames_are_trusted_less():
    cal = TrackCalibration(CalibrationConfig(percentile=10, warmup=10, aus=ALL))
    a, b = np.full(17, 2.0), np.zeros(17)
    first = cal.update(0, a)
    assert np.all(first > 1.7)  # one frame: the neutral estimate is shrunk to a tenth
    for _ in range(20):
        cal.update(0, a)
        out_b = cal.update(1, b)
    assert np.all(cal.update(0, a) < 0.06)
    assert np.all(out_b == 0)


def test_the_default_leaves_smiles_raw_and_calibrates_the_brows():
    readings = np.full((100, 17), 2.0)
    out = calibrate_offline(readings, CalibrationConfig())
    assert "AU12" not in CALIBRATED_AUS and "AU01" in CALIBRATED_AUS
    assert np.all(out[-1, AU_NAMES.index("AU12")] == 2.0)
    assert out[-1, AU_NAMES.index("AU01")] < 0.05
