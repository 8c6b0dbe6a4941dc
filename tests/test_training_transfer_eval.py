"""training/transfer_eval.py: how closely a transfer's readings follow its reference's labels."""

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.training.transfer_eval import at_times, follow


def test_each_time_takes_the_reference_row_shown_then():
    ref = np.array([0.0, 0.04, 0.08, 0.12])
    np.testing.assert_array_equal(at_times(np.array([0.0, 0.039, 0.04, 0.1, 5.0, -1.0]), ref), [0, 0, 1, 2, 3, 0])


def test_follow_reads_r_and_error_per_au():
    rng = np.random.default_rng(0)
    labels = rng.uniform(0, 3, (50, 17)).astype(np.float32)
    k = AU_NAMES.index("AU12")
    readings = np.zeros_like(labels)
    readings[:, k] = 0.5 * labels[:, k] + 0.2  # follows AU12 exactly, at half the scale
    r, err = follow(readings, labels, ("AU12", "AU04"))
    assert r["AU12"] == pytest.approx(1.0)
    assert np.isnan(r["AU04"])  # a reading that never moves has no correlation
    want = np.abs(readings[:, [k, AU_NAMES.index("AU04")]] - labels[:, [k, AU_NAMES.index("AU04")]]).mean()
    assert err == pytest.approx(float(want))
    r2, err2 = follow(labels, labels, ("AU12",))
    assert r2["AU12"] == pytest.approx(1.0) and err2 == 0.0


def test_missing_clips_are_one_line(tmp_path):
    from ganimate.errors import GanimateError
    from ganimate.training.transfer_eval import main

    with pytest.raises(GanimateError, match="not found"):
        main([str(tmp_path), "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()
