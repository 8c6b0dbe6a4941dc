"""A dropped jaw carries the chin down with the lower lip (face/chin.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face.chin import FOLLOW, chin_share, drop_chin
from tests.edit_faces import aus_of, synthetic_landmarks


def _striped(size: int = 200) -> np.ndarray:
    """uint8 size x size x 3: a horizontal stripe every 8 rows, so a row's vertical move can be read off."""
    img = np.full((size, size, 3), 120, np.uint8)
    img[::8] = 230
    return img


def _stripe_rows(column: np.ndarray) -> np.ndarray:
    return np.flatnonzero(column[:, 0] > 175)


def test_the_chin_follows_a_rising_au26_only():
    assert chin_share(aus_of(AU26=1.0), aus_of(AU26=1.0)) == 0.0
    assert chin_share(aus_of(AU26=3.0), aus_of(AU26=1.0)) == 0.0  # a jaw that closes: the face's own chin
    assert chin_share(aus_of(), aus_of(AU26=3.0)) == 1.0
    assert 0.0 < chin_share(aus_of(), aus_of(AU26=0.5)) < 1.0
    assert chin_share(aus_of(), aus_of(AU25=3.0)) == 0.0  # lips that only part move no chin


def test_a_chin_left_behind_comes_down_with_the_lower_lip_and_the_face_above_stays():
    img = _striped()
    p = synthetic_landmarks(centre=(100.0, 80.0), scale=1.4)
    chin = int(round(p[8, 1]))
    img[chin] = 255  # a line through the chin
    moved = p.copy()
    moved[[56, 57, 58]] += (0.0, 10.0)  # the edit took the lower lip 10 px down and left the chin
    out = drop_chin(img, p, moved, held=1.0, share=1.0)
    x = int(round(p[8, 0]))
    brightest = np.flatnonzero(out[:, x, 0] >= out[:, x, 0].max() - 20)
    assert abs(brightest.mean() - (chin + FOLLOW * 10.0)) <= 1.0  # the chin lies FOLLOW x 10 px lower
    lip_y = int(np.floor(moved[[56, 57, 58], 1].mean()))
    np.testing.assert_array_equal(out[:lip_y], img[:lip_y])  # at and above the lower lip: untouched
    np.testing.assert_array_equal(out[:, :60], img[:, :60])  # beyond the jaw's sides: untouched
    np.testing.assert_array_equal(out[:, 141:], img[:, 141:])
    below = _stripe_rows(out[chin + 40:, x:x + 1])
    np.testing.assert_array_equal(below, _stripe_rows(img[chin + 40:, x:x + 1]))  # the neck further down stays


def test_nothing_moves_where_the_chin_already_followed_or_nothing_is_asked():
    img = _striped()
    p = synthetic_landmarks(centre=(100.0, 80.0), scale=1.4)
    moved = p.copy()
    moved[[56, 57, 58]] += (0.0, 10.0)
    moved[[7, 8, 9]] += (0.0, 9.5)
    assert drop_chin(img, p, moved, held=1.0, share=1.0) is img  # carried by the paste already
    assert drop_chin(img, p, moved, held=0.0, share=0.0) is img
    # the paste kept none of the chin's carried move (its mask is 0 there): the whole drop is still owed
    assert np.any(drop_chin(img, p, moved, held=0.0, share=1.0) != img)
