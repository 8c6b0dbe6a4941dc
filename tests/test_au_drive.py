"""ganimate/au/drive.py: how hard the generator is driven towards a target, per AU."""

import numpy as np
import pytest

from ganimate.au.drive import drive_targets, gain_vector
from ganimate.au.names import AU_NAMES
from ganimate.config import DRIVE_GAINS, InferConfig


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
    got = drive_targets(targets, sources, gains)
    np.testing.assert_allclose(got, np.clip(sources + gains * (targets - sources), 0, 5), atol=1e-6)
    assert got.min() >= 0.0 and got.max() <= 5.0
    k = AU_NAMES.index("AU12")
    s, t = np.zeros(17, np.float32), np.zeros(17, np.float32)
    s[k], t[k] = 0.5, 3.0
    assert drive_targets(t, s, gain_vector((("AU12", 1.5),)))[k] == pytest.approx(0.5 + 1.5 * 2.5)


def test_a_target_equal_to_the_source_stays_and_gain_one_asks_for_the_target():
    rng = np.random.default_rng(1)
    s = rng.uniform(0, 5, (4, 17)).astype(np.float32)
    t = rng.uniform(0, 5, (4, 17)).astype(np.float32)
    np.testing.assert_allclose(drive_targets(s, s, gain_vector(DRIVE_GAINS)), s, atol=1e-6)
    np.testing.assert_allclose(drive_targets(t, s, np.ones(17, np.float32)), t, atol=1e-6)


def test_the_default_drives_the_smile_and_the_frown_only():
    named = dict(InferConfig().drive)
    assert set(named) == {"AU04", "AU06", "AU12"} and all(g > 1.0 for g in named.values())


def test_the_cli_switch_reaches_the_run_config():
    from ganimate.cli import build_run_config

    assert build_run_config().infer.drive == DRIVE_GAINS
    assert build_run_config(drive=False).infer.drive == ()
