"""teacher_points: the geometry teacher's eyelid closing and mouth-opening gain."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.training.au_geometry import LOWER_LIDS, UPPER_LIDS, AuGeometry, teacher_points


def _face() -> np.ndarray:
    p = np.random.default_rng(0).uniform(20, 100, (68, 2)).astype(np.float32)
    p[list(LOWER_LIDS), 1] = p[list(UPPER_LIDS), 1] + 5.0  # a 5 px lid gap below each upper lid point
    return p


def _aus(**values: float) -> np.ndarray:
    a = np.zeros((1, 17), np.float32)
    for name, v in values.items():
        a[0, AU_NAMES.index(name)] = v
    return a


def test_closing_lids_travel_their_shares_of_the_faces_own_gap():
    p = _face()
    geo = AuGeometry(np.zeros((17, 68, 2), np.float32))
    old = teacher_points(p[None], _aus(), _aus(AU45=4), geo, 128)[0]
    np.testing.assert_allclose(old[list(UPPER_LIDS)], old[list(LOWER_LIDS)], atol=1e-4)  # default: they meet
    q = teacher_points(p[None], _aus(), _aus(AU45=4), geo, 128, lid_shares=(0.75, 0.0))[0]
    np.testing.assert_allclose(q[list(LOWER_LIDS)], p[list(LOWER_LIDS)], atol=1e-5)  # the lower lid stays
    np.testing.assert_allclose(q[list(UPPER_LIDS), 1] - p[list(UPPER_LIDS), 1], 3.75, atol=1e-4)
    half = teacher_points(p[None], _aus(), _aus(AU45=2), geo, 128, lid_shares=(0.75, 0.0))[0]
    np.testing.assert_allclose(half[list(UPPER_LIDS), 1] - p[list(UPPER_LIDS), 1], 1.875, atol=1e-4)
    others = [i for i in range(68) if i not in UPPER_LIDS]
    np.testing.assert_allclose(q[others], p[others], atol=1e-5)


def test_open_gain_scales_only_the_mouth_opening_aus_motion():
    w = np.zeros((17, 68, 2), np.float32)
    w[AU_NAMES.index("AU26"), 66] = [0.0, 0.01]  # jaw drop: the lower inner lip down 1% of the crop per unit
    w[AU_NAMES.index("AU25"), 66] = [0.0, 0.005]
    w[AU_NAMES.index("AU12"), 48] = [-0.01, 0.0]
    geo = AuGeometry(w)
    p = _face()
    a, b = _aus(AU25=1.0), _aus(AU25=3.0, AU26=3.0, AU12=2.0)
    plain = teacher_points(p[None], a, b, geo, 100)[0]
    assert plain[66, 1] - p[66, 1] == pytest.approx(100 * (0.005 * 2 + 0.01 * 3), abs=1e-4)
    more = teacher_points(p[None], a, b, geo, 100, open_gain=1.5)[0]
    assert more[66, 1] - p[66, 1] == pytest.approx(1.5 * (plain[66, 1] - p[66, 1]), abs=1e-4)
    np.testing.assert_allclose(more[48], plain[48], atol=1e-5)  # the smile's motion is not scaled
    closing_mouth = teacher_points(p[None], b, a, geo, 100, open_gain=1.5)[0]  # falling AUs scale alike
    assert closing_mouth[66, 1] - p[66, 1] == pytest.approx(-1.5 * (plain[66, 1] - p[66, 1]), abs=1e-4)


def test_brow_gain_scales_only_the_brow_aus_motion():
    w = np.zeros((17, 68, 2), np.float32)
    w[AU_NAMES.index("AU01"), 21] = [0.0, -0.01]  # inner brow up 1% of the crop per unit
    w[AU_NAMES.index("AU04"), 21] = [0.003, 0.004]
    w[AU_NAMES.index("AU26"), 66] = [0.0, 0.01]
    geo = AuGeometry(w)
    p = _face()
    a, b = _aus(), _aus(AU01=3.0, AU04=1.0, AU26=2.0)
    plain = teacher_points(p[None], a, b, geo, 100)[0]
    more = teacher_points(p[None], a, b, geo, 100, brow_gain=2.0)[0]
    np.testing.assert_allclose(more[21] - p[21], 2.0 * (plain[21] - p[21]), atol=1e-4)
    np.testing.assert_allclose(more[66], plain[66], atol=1e-5)  # the jaw's motion is not scaled


def test_frown_gain_scales_the_brow_lowerer_apart_from_the_raisers():
    w = np.zeros((17, 68, 2), np.float32)
    w[AU_NAMES.index("AU01"), 21] = [0.0, -0.01]  # inner brow up
    w[AU_NAMES.index("AU04"), 19] = [0.003, 0.004]  # mid brow down and in
    geo = AuGeometry(w)
    p = _face()
    a, b = _aus(), _aus(AU01=3.0, AU04=2.0)
    plain = teacher_points(p[None], a, b, geo, 100)[0]
    same = teacher_points(p[None], a, b, geo, 100, brow_gain=2.0)[0]
    split = teacher_points(p[None], a, b, geo, 100, brow_gain=2.0, frown_gain=3.0)[0]
    np.testing.assert_allclose(same[19] - p[19], 2.0 * (plain[19] - p[19]), atol=1e-4)  # None: the brow gain
    np.testing.assert_allclose(split[19] - p[19], 3.0 * (plain[19] - p[19]), atol=1e-4)
    np.testing.assert_allclose(split[21], same[21], atol=1e-5)  # the raisers keep the brow gain
