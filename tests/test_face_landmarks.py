"""The 68-point scheme: flip permutation and shape measures."""

from __future__ import annotations

import numpy as np

from ganimate.face.landmarks import FLIP_PERMUTATION, flip_landmarks, normalised_error, shape_measures


def face(width: float = 100.0) -> np.ndarray:
    """A crude frontal 68-point face: eyes on y=40, mouth corners at y=80, lips closed."""
    p = np.zeros((68, 2))
    p[0:17] = np.stack([np.linspace(0, width, 17), 60 + 30 * np.sin(np.linspace(0, np.pi, 17))], 1)
    p[17:22] = np.stack([np.linspace(15, 40, 5), np.full(5, 25.0)], 1)
    p[22:27] = np.stack([np.linspace(60, 85, 5), np.full(5, 25.0)], 1)
    p[27:31] = np.stack([np.full(4, 50.0), np.linspace(40, 60, 4)], 1)
    p[31:36] = np.stack([np.linspace(42, 58, 5), np.full(5, 62.0)], 1)
    for base, x0 in ((36, 20.0), (42, 60.0)):
        p[base:base + 6] = [[x0, 40], [x0 + 6, 37], [x0 + 14, 37], [x0 + 20, 40], [x0 + 14, 43], [x0 + 6, 43]]
    p[48:60] = np.stack([np.linspace(35, 65, 12), np.full(12, 80.0)], 1)
    p[48], p[54], p[51], p[57] = [35, 80], [65, 80], [50, 78], [50, 82]
    p[60:68] = np.stack([np.linspace(38, 62, 8), np.full(8, 80.0)], 1)
    p[62], p[66] = [50, 80], [50, 80]
    return p


def test_flip_permutation_is_an_involution_over_all_points():
    perm = np.array(FLIP_PERMUTATION)
    assert sorted(perm.tolist()) == list(range(68))
    np.testing.assert_array_equal(perm[perm], np.arange(68))


def test_flipping_twice_returns_the_points_and_once_mirrors_the_eyes():
    p = face()
    once = flip_landmarks(p, 100)
    np.testing.assert_allclose(flip_landmarks(once, 100), p)
    # the image-left outer eye corner of the mirror is the mirrored image-right outer corner
    np.testing.assert_allclose(once[36], [99 - p[45, 0], p[45, 1]])


def test_shape_measures_follow_a_wider_mouth_an_open_mouth_and_raised_brows():
    p = face()
    base = shape_measures(p)
    wide = p.copy()
    wide[48, 0] -= 5
    wide[54, 0] += 5
    assert shape_measures(wide)["mouth_width"] - base["mouth_width"] > 0.1
    opened = p.copy()
    opened[66, 1] += 12
    assert abs(shape_measures(opened)["lip_gap"] - 12 / 60) < 1e-6  # interocular 36-45 = 60 px
    up = p.copy()
    up[17:27, 1] -= 6
    assert abs(shape_measures(up)["brow_eye"] - base["brow_eye"] - 0.1) < 1e-6
    closed = p.copy()
    closed[[37, 38, 43, 44], 1] = 43
    assert shape_measures(closed)["lid_gap"] < 1e-9 < base["lid_gap"]


def test_normalised_error_is_mean_distance_over_interocular():
    p = face()
    assert normalised_error(p + [3.0, 4.0], p) == 5.0 / 60.0
