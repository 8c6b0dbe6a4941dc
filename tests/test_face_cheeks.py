"""A smile's cheek raise as a flow (ganimate/face/cheeks.py)."""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face import cheeks as fc
from tests.edit_faces import synthetic_landmarks

AU06 = AU_NAMES.index("AU06")


def _aus(au06: float) -> np.ndarray:
    a = np.zeros(17, np.float32)
    a[AU06] = au06
    return a


def test_cheek_lift_follows_a_rising_au06_only():
    assert fc.cheek_lift(_aus(0.5), _aus(2.5), 0.04) == np.float32(0.04) * 2.0
    assert fc.cheek_lift(_aus(3.0), _aus(1.0), 0.04) == 0.0  # a falling AU06 leaves the face's own cheeks
    other = _aus(0.0)
    other[AU_NAMES.index("AU12")] = 3.0
    assert fc.cheek_lift(_aus(0.0), other, 0.04) == 0.0


def test_the_apples_lie_on_each_cheek_between_the_lower_lid_and_the_mouth_corner():
    p = synthetic_landmarks()
    left, right = fc.apples(p)
    assert p[41, 1] < left[1] < p[48, 1] and p[46, 1] < right[1] < p[54, 1]
    assert left[0] < p[30, 0] < right[0]  # either side of the nose tip


def test_lift_flow_raises_each_apple_by_the_lift_and_fades_away_from_it():
    p = synthetic_landmarks()
    size = int(np.ceil(p.max())) + 40
    assert not np.any(fc.lift_flow(p, size, 0.0))
    flow = fc.lift_flow(p, size, 0.05)
    iod = np.linalg.norm(p[45] - p[36])
    assert not np.any(flow[..., 0])  # straight up
    for x, y in np.round(fc.apples(p)).astype(int):
        np.testing.assert_allclose(flow[y, x, 1], 0.05 * iod, rtol=0.03)  # backward +y: the skin below comes up
    assert flow[..., 1].max() <= 0.05 * iod + 1e-4
    nose_top = np.round(p[27]).astype(int)
    assert flow[nose_top[1], nose_top[0], 1] < 0.3 * 0.05 * iod  # the eyes' level between the brows barely moves
    assert flow[0, 0, 1] < 1e-3 and flow[-1, -1, 1] < 1e-3
