"""Hair or background beside the brows stays (ganimate/face/temples.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face import temples as ft
from ganimate.face.align import crop_transform, invert_transform, transform_points
from ganimate.face.landmarks import five_points
from tests.edit_faces import synthetic_landmarks
from tests.test_face_brows import _face_with_brows

HAIR = (35, 25, 20)


def _face(points: np.ndarray, hair_out: float | None) -> np.ndarray:
    """Skin with dark brows; with hair_out, dark hair from that many px beyond each brow's outer end outwards."""
    img = _face_with_brows(points, below=6.0)
    if hair_out is not None:
        img[:, : int(round(points[17, 0] - hair_out))] = HAIR
        img[:, int(round(points[26, 0] + hair_out)) + 1:] = HAIR
    return img


def test_skin_beside_the_brows_has_no_reach_and_hair_is_found_where_it_starts():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(p[45] - p[36])
    assert ft.read_temples(_face(p, None), p) is None  # skin out to the search's end: nothing held
    for out in (0.15 * iod, 0.3 * iod):
        temples = ft.read_temples(_face(p, out), p)
        assert temples is not None
        for _, _, reach in temples.sides:  # px out from the search's start, GAP past the brow's end
            assert np.all(np.abs(reach - (out - ft.GAP * iod)) <= 2.0)


def test_hold_keeps_the_face_and_holds_the_hair_beside_the_brows_only():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(p[45] - p[36])
    temples = ft.read_temples(_face(p, 0.2 * iod), p)
    brow_y, eye_y = p[17, 1], p[36, 1]
    hair_x = p[17, 0] - 0.2 * iod - 2.0
    # the brows, the eyes and the face between are whole; the hair beside the brow and the eye is held
    np.testing.assert_array_equal(ft.hold_temples(temples, p[17:48, 0], p[17:48, 1]), 1.0)
    assert ft.hold_temples(temples, np.array([hair_x, hair_x]), np.array([brow_y, eye_y])) == pytest.approx(0.0)
    assert ft.hold_temples(temples, np.array([2 * p[26, 0] - hair_x]), np.array([brow_y]))[0] == pytest.approx(0.0)
    # well above the brows (the forehead's hold is for there) and below the eyes (the jaw line's) it is whole
    far = np.array([brow_y - (ft.ABOVE + ft.TAPER) * iod - 1.0, eye_y + (ft.BELOW + ft.TAPER) * iod + 1.0])
    np.testing.assert_array_equal(ft.hold_temples(temples, np.full(2, hair_x), far), 1.0)


def test_hold_in_crop_is_the_frame_hold_read_through_the_crop():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    temples = ft.read_temples(_face(p, 0.2 * np.linalg.norm(p[45] - p[36])), p)
    matrix = crop_transform(five_points(p), 128)
    crop_hold = ft.hold_temples_in_crop(temples, matrix, 128)
    assert crop_hold.shape == (128, 128) and crop_hold.dtype == np.float32
    assert crop_hold.min() == 0.0 and crop_hold.max() == 1.0  # the hair beside the brows lies in the crop
    # every crop px holds what its frame px holds
    ys, xs = np.mgrid[0:128:8, 0:128:8].reshape(2, -1)
    at = transform_points(invert_transform(matrix), np.stack([xs, ys], 1).astype(np.float64))
    np.testing.assert_allclose(crop_hold[ys, xs], ft.hold_temples(temples, at[:, 0], at[:, 1]), atol=1e-5)
