"""One-Euro landmark smoothing: steadiness at rest, small lag in motion, scale awareness."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.config import TrackConfig
from ganimate.face.align import crop_centre, crop_transform, template_points
from ganimate.face.smooth import OneEuroFilter, face_size, smoothing_factor

FPS = 25.0
CROP = 128


def default_filter() -> OneEuroFilter:
    cfg = TrackConfig()
    return OneEuroFilter(cfg.smooth_min_cutoff, cfg.smooth_beta)


def face_landmarks(width: float = 100.0, x: float = 200.0, y: float = 150.0) -> np.ndarray:
    """5 MTCNN-order landmarks of a frontal face about `width` px wide, float64 (5, 2)."""
    return template_points(1) * width + (x, y)


def run(filt: OneEuroFilter, seq: np.ndarray, fps: float = FPS) -> np.ndarray:
    return np.array([filt(lm, i / fps, face_size(lm)).reshape(lm.shape) for i, lm in enumerate(seq)])


def crop_centres(seq: np.ndarray) -> tuple[np.ndarray, float]:
    """Crop centres in frame px (N, 2) and the crop's px per frame px."""
    mats = [crop_transform(lm, CROP) for lm in seq]
    scale = float(np.sqrt(abs(np.linalg.det(mats[0][:, :2]))))
    return np.array([crop_centre(m, CROP) for m in mats]), scale


def test_still_face_with_noisy_landmarks_becomes_steady():
    rng = np.random.default_rng(0)
    truth = face_landmarks()
    noisy = truth + rng.normal(0.0, 1.0, (100, 5, 2))  # ~1 px detector jitter per coordinate
    smooth = run(default_filter(), noisy)
    raw_c, scale = crop_centres(noisy)
    smooth_c, _ = crop_centres(smooth)
    raw_step = np.linalg.norm(np.diff(raw_c, axis=0), axis=1)
    smooth_step = np.linalg.norm(np.diff(smooth_c[25:], axis=0), axis=1)
    assert np.median(smooth_step) < 0.25 * np.median(raw_step), (np.median(smooth_step), np.median(raw_step))
    # sub-pixel crop-centre jitter frame to frame, in frame and in crop pixels
    assert np.percentile(smooth_step, 95) < 1.0
    assert np.percentile(smooth_step, 95) * scale < 1.0


@pytest.mark.parametrize("speed", [25.0, 50.0, 100.0])  # frame px / s: a 100 px face moving 0.25-1 width/s
def test_moving_face_lags_little(speed):
    n = 75
    t = np.arange(n) / FPS
    truth = np.array([face_landmarks() + (speed * ti, 0.3 * speed * ti) for ti in t])
    smooth = run(default_filter(), truth)
    smooth_c, scale = crop_centres(smooth)
    truth_c, _ = crop_centres(truth)
    lag = np.linalg.norm(smooth_c - truth_c, axis=1)[25:]  # after the first second
    assert lag.max() * scale < 2.0, lag.max() * scale  # crop px
    assert lag.max() < 2.0, lag.max()  # frame px
    # beta matters: a plain low-pass at the resting cutoff would lag far more
    plain = run(OneEuroFilter(TrackConfig().smooth_min_cutoff, 0.0), truth)
    plain_lag = np.linalg.norm(crop_centres(plain)[0] - truth_c, axis=1)[25:]
    assert lag.max() < 0.5 * plain_lag.max()


def test_scale_aware_small_and_large_faces_are_smoothed_alike():
    rng = np.random.default_rng(1)
    n = 60
    base = face_landmarks(width=1.0, x=0.0, y=0.0)
    motion = np.cumsum(rng.normal(0, 0.01, (n, 1, 2)), axis=0) + np.linspace(0, 0.5, n)[:, None, None]
    unit = base[None] + motion + rng.normal(0, 0.005, (n, 5, 2))
    small, large = run(default_filter(), unit * 40.0), run(default_filter(), unit * 400.0)
    np.testing.assert_allclose(large / 400.0, small / 40.0, atol=1e-9)


def test_first_sample_passes_and_reset_forgets():
    f = OneEuroFilter(1.0, 0.0)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0]), 0.0), [1.0, 2.0])
    out = f(np.array([11.0, 12.0]), 0.04)
    assert 1.0 < out[0] < 11.0
    f.reset()
    np.testing.assert_array_equal(f(np.array([5.0, 6.0]), 1.0), [5.0, 6.0])


def test_time_stamps_drive_the_filter():
    # the same jump is followed more after a long pause than after a short one
    a, b = OneEuroFilter(1.0, 0.0), OneEuroFilter(1.0, 0.0)
    a(np.zeros(1), 0.0)
    b(np.zeros(1), 0.0)
    assert b(np.ones(1), 0.5)[0] > a(np.ones(1), 0.04)[0] > 0.0
    # a sample that is not later than the previous one is ignored
    assert a(np.full(1, 100.0), 0.04)[0] == a(np.full(1, 100.0), 0.01)[0] < 1.0


def test_smoothing_factor_and_face_size():
    assert smoothing_factor(1.0, 1e9) == pytest.approx(1.0)
    assert 0.0 < smoothing_factor(0.04, 1.0) < smoothing_factor(0.04, 5.0) < 1.0
    square = np.array([[0, 0], [2, 0], [0, 2], [2, 2], [1, 1]], dtype=np.float64)
    assert face_size(square) == pytest.approx(np.sqrt(4 * 2 / 5))
    assert face_size(square * 3) == pytest.approx(3 * face_size(square))


def test_bad_parameters_and_shapes_raise():
    with pytest.raises(ValueError):
        OneEuroFilter(0.0, 1.0)
    f = OneEuroFilter()
    f(np.zeros(10), 0.0)
    with pytest.raises(ValueError):
        f(np.zeros(4), 0.04)
