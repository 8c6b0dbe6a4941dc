import numpy as np
import pytest

from ganimate.errors import GanimateError
from ganimate.pipeline.neutral import with_neutral_targets
from ganimate.pipeline.targets import AuSeries, fill_gaps, neutral_of, relative_target, smooth_series


def test_relative_target_moves_source_neutral_by_the_reference_change_and_clips():
    src_neutral = np.full(17, 1.0, np.float32)
    ref_neutral = np.full(17, 0.5, np.float32)
    ref = ref_neutral.copy()
    ref[8] = 3.5  # AU12 rises by 3
    ref[0] = 0.0  # AU01 falls by 0.5
    t = relative_target(src_neutral, ref, ref_neutral)
    assert t[8] == pytest.approx(4.0)
    assert t[0] == pytest.approx(0.5)
    assert t[1] == pytest.approx(1.0)
    big = relative_target(np.full(17, 4.0, np.float32), ref, ref_neutral)
    assert big.max() == pytest.approx(5.0)


def test_neutral_is_a_low_quantile_not_the_mean():
    aus = np.zeros((100, 17), np.float32)
    aus[30:, 8] = 4.0  # smiling 70% of the time
    n = neutral_of(aus)
    assert n[8] == pytest.approx(0.0)
    assert neutral_of(np.zeros((0, 17))).shape == (17,)


def test_fill_gaps_holds_previous_and_backfills_start():
    aus = np.arange(5, dtype=np.float32)[:, None].repeat(17, 1)
    valid = np.array([False, True, False, False, True])
    filled = fill_gaps(aus, valid)
    assert filled[:, 0].tolist() == [1, 1, 1, 1, 4]
    with pytest.raises(GanimateError):
        fill_gaps(aus, np.zeros(5, bool))


def test_series_at_holds_or_loops_past_the_end():
    s = AuSeries(np.arange(4) / 10.0, np.arange(4, dtype=np.float32)[:, None].repeat(17, 1))
    assert s.at(0.0)[0] == 0
    assert s.at(0.25)[0] == 2
    assert s.at(5.0, "hold")[0] == 3
    assert s.at(0.45, "loop")[0] == 0  # period 0.4 s
    assert s.at(0.55, "loop")[0] == 1


def test_smoothing_reduces_noise_and_keeps_constant_signals():
    rng = np.random.default_rng(1)
    noisy = 2.0 + rng.normal(0, 0.5, size=(200, 17)).astype(np.float32)
    sm = smooth_series(noisy, 1.5)
    assert sm.shape == noisy.shape
    assert sm.std() < 0.6 * noisy.std()
    const = np.full((10, 17), 3.0, np.float32)
    np.testing.assert_allclose(smooth_series(const, 2.0), const, atol=1e-5)


class _Crop:
    def __init__(self, track_id):
        self.track_id = track_id


def test_neutral_window_uses_each_tracks_first_frames_before_editing_any():
    # track 0 smiles from frame 3 on; its neutral must come from its first 5 frames (quantile 0.2)
    frames = []
    for i in range(12):
        a = np.zeros(17, np.float32)
        a[8] = 0.0 if i < 3 else 4.0
        frames.append((i, [_Crop(0)], [a]))
    got = []
    out = with_neutral_targets(iter(frames), 5, lambda f, c, n, own: n + f)
    for frame, _crops, targets, own in out:
        assert own.shape == (1, 17)
        got.append((frame, targets[0, 8]))
    assert [f for f, _ in got] == list(range(12))
    # neutral AU12 over frames 0..4 = 20th percentile of [0,0,0,4,4] = 0
    assert all(v == pytest.approx(f) for f, v in got)
