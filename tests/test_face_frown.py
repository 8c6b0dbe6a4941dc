"""A frown's brows slid down over the lids (ganimate/face/frown.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.face import frown as ff
from tests.edit_faces import aus_of, synthetic_landmarks
from tests.test_face_brows import _face_with_brows

AU04 = AU_NAMES.index("AU04")


def _brow_top(img: np.ndarray, x: int) -> int:
    """The first dark row of column x from the top."""
    lum = img[:, x].astype(int) @ np.array([0.299, 0.587, 0.114])
    return int(np.argmax(lum < 120))


def test_brow_drop_follows_a_rising_au04_only():
    assert ff.brow_drop(aus_of(AU04=0.5), aus_of(AU04=3.0), 0.02) == pytest.approx(0.05)
    assert ff.brow_drop(aus_of(AU04=3.0), aus_of(AU04=1.0), 0.02) == 0.0


def test_the_brows_slide_down_the_inner_ends_most_and_the_eyes_stay():
    p = synthetic_landmarks(centre=(150.0, 150.0), scale=2.0)
    img = _face_with_brows(p, below=6.0)
    iod = np.linalg.norm(p[45] - p[36])
    assert ff.lower_brows(img, p, 0.0) is img
    out = ff.lower_brows(img, p, 0.05)
    inner = [int(round(p[i, 0])) for i in (20, 23)]
    outer = [int(round(p[i, 0])) for i in (18, 25)]
    moved_inner = [_brow_top(out, x) - _brow_top(img, x) for x in inner]
    moved_outer = [_brow_top(out, x) - _brow_top(img, x) for x in outer]
    assert all(0.5 * 0.05 * iod <= m <= 0.05 * iod + 1 for m in moved_inner)
    assert all(m <= mi for m in moved_outer for mi in moved_inner)
    # the eyes and everything below them stay as they were; the brows stop short of the lids
    lids = int(np.floor(p[[37, 38, 43, 44], 1].min() - ff.ABOVE_LID * iod))
    np.testing.assert_array_equal(out[lids:], img[lids:])
    assert np.any(out[:lids] != img[:lids])
