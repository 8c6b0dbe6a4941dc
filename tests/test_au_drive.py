"""ganimate/au/drive.py: how hard the generator is driven towards a target, per AU."""

import numpy as np
import pytest

from ganimate.au.drive import LIFT_FADE, Drive, drive_of, drive_targets, gain_vector, lift_vector
from ganimate.au.names import AU_NAMES
from ganimate.config import DRIVE_GAINS, DRIVE_LIFTS, InferConfig


def test_gain_vector_sets_the_named_aus_and_leaves_the_rest_at_one():
    g = gain_vector((("AU12", 1.5), ("AU04", 2.0)))
    assert g.dtype == np.float32 and g.shape == (17,)
    assert g[AU_NAMES.index("AU12")] == 1.5 and g[AU_NAMES.index("AU04")] == 2.0
    assert np.all(np.delete(g, [AU_NAMES.index("AU12"), AU_NAMES.index("AU04")]) == 1.0)
    np.testing.assert_array_equal(gain_vector(()), np.ones(17, np.float32))


def test_the_change_from_the_source_is_scaled_and_clipped_to_the_scale():
    rng = np.random.default_rng(0)
    sources = rng.uniform(0, 5, (6, 17)).astype(np.float32)
    targets = rng.uniform(0, 5, (6, 17)).astype(np.float32)
    gains = rng.uniform(0.5, 2.0, 17).astype(np.float32)
    got = drive_targets(targets, sources, Drive(gains, np.zeros(17, np.float32)))
    np.testing.assert_allclose(got, np.clip(sources + gains * (targets - sources), 0, 5), atol=1e-6)
    assert got.min() >= 0.0 and got.max() <= 5.0
    k = AU_NAMES.index("AU12")
    s, t = np.zeros(17, np.float32), np.zeros(17, np.float32)
    s[k], t[k] = 0.5, 3.0
    assert drive_targets(t, s, drive_of((("AU12", 1.5),)))[k] == pytest.approx(0.5 + 1.5 * 2.5)


def test_a_target_equal_to_the_source_stays_and_gain_one_asks_for_the_target():
    rng = np.random.default_rng(1)
    s = rng.uniform(0, 5, (4, 17)).astype(np.float32)
    t = rng.uniform(0, 5, (4, 17)).astype(np.float32)
    np.testing.assert_allclose(drive_targets(s, s, drive_of(DRIVE_GAINS, DRIVE_LIFTS)), s, atol=1e-6)
    np.testing.assert_allclose(drive_targets(t, s, drive_of(())), t, atol=1e-6)


def test_the_default_drives_the_smile_and_the_frown_only():
    named = dict(InferConfig().drive)
    assert set(named) == {"AU04", "AU06", "AU12"} and all(g > 1.0 for g in named.values())


def test_the_cli_switch_reaches_the_run_config():
    from ganimate.cli import build_run_config

    assert build_run_config().infer.drive == DRIVE_GAINS
    assert build_run_config().infer.drive_lift == DRIVE_LIFTS
    assert build_run_config(drive=False).infer.drive == ()
    assert build_run_config(drive=False).infer.drive_lift == ()


def test_a_small_rise_is_lifted_a_fall_is_not_and_more_change_never_asks_for_less():
    k = AU_NAMES.index("AU12")
    drive = drive_of((("AU12", 1.5),), (("AU12", 1.25),))
    assert lift_vector((("AU12", 1.25),))[k] == 1.25 and lift_vector(()).sum() == 0.0
    change = np.linspace(-2.0, 3.4, 541, dtype=np.float32)
    s = np.full((len(change), 17), 0.5, np.float32)
    t = s.copy()
    t[:, k] += change
    asked = drive_targets(t, s, drive)[:, k] - 0.5
    plain = drive_targets(t, s, drive_of((("AU12", 1.5),)))[:, k] - 0.5
    at = lambda c: int(np.argmin(np.abs(change - c)))  # noqa: E731
    assert asked[at(1.0)] == pytest.approx(1.5 + 1.25, abs=1e-4)  # the whole lift
    assert asked[at(0.0)] == pytest.approx(0.0, abs=1e-6)  # a still face stays still
    assert abs(asked[at(0.05)] - plain[at(0.05)]) < 0.01  # a reading's noise is not amplified further
    np.testing.assert_allclose(asked[change <= 0], plain[change <= 0], atol=1e-6)  # a fall: the gain alone
    np.testing.assert_allclose(asked[change >= LIFT_FADE[1]], plain[change >= LIFT_FADE[1]], atol=1e-6)
    assert np.all(np.diff(asked) >= -1e-6)  # monotonic
    other = AU_NAMES.index("AU04")
    t2 = s.copy()
    t2[:, other] += 1.0
    assert drive_targets(t2, s, drive)[0, other] == pytest.approx(1.5)  # an AU with no lift: gain 1


def test_the_default_lifts_the_smile_only():
    assert set(dict(InferConfig().drive_lift)) == {"AU06", "AU12"}


def test_the_default_lifts_stay_under_four_thirds_of_their_gains_so_the_drive_is_monotonic():
    gains = dict(DRIVE_GAINS)
    assert all(lift < 4.0 / 3.0 * gains.get(name, 1.0) for name, lift in DRIVE_LIFTS)
