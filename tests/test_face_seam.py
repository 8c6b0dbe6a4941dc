"""A closed-lip smile's seam deepened where it is already dark (ganimate/face/seam.py)."""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face import seam as fs
from ganimate.face.light import LUMA
from tests.edit_faces import aus_of, skin_face


def _face_with_seam(offset: float = 0.0, colour=(120, 60, 60)) -> tuple[np.ndarray, np.ndarray]:
    """A skin face with pink lips and a darker seam line (RGB colour) drawn offset px below its points' seam."""
    img, p = skin_face()
    img = img.copy()
    cv2.fillPoly(img, [np.round(p[48:60]).astype(np.int32)], (190, 110, 110))
    line = fs.seam_line(p)[1:-1] + np.array([0.0, offset])
    cv2.polylines(img, [np.round(line).astype(np.int32)], False, colour, 1)
    return img, p


def _darkest_along(img: np.ndarray, p: np.ndarray, u: float) -> float:
    line, along = fs._along(fs.seam_line(p), 97)
    x, y = np.round(line[int(round(u * 96))]).astype(int)
    return float((img[y - 4:y + 5, x].astype(np.float64) @ LUMA).min())


def test_the_seam_darkens_more_at_its_ends_than_its_middle():
    img, p = _face_with_seam()
    out = fs.deepen_seam(img, p, 1.0)
    for u in (0.2, 0.5, 0.8):
        assert _darkest_along(out, p, u) < _darkest_along(img, p, u) - 3.0
    end = _darkest_along(img, p, 0.2) - _darkest_along(out, p, 0.2)
    middle = _darkest_along(img, p, 0.5) - _darkest_along(out, p, 0.5)
    assert end > 1.5 * middle


def test_only_what_is_dark_is_deepened_no_line_drawn_where_the_picture_has_none():
    img, p = _face_with_seam(offset=3.0)  # the picture's seam lies 3 px below the points'
    out = fs.deepen_seam(img, p, 1.0)
    changed = np.abs(out.astype(int) - img.astype(int)).max(-1) > 2
    lum = img.astype(np.float64) @ LUMA
    lips = float(np.array([190.0, 110.0, 110.0]) @ LUMA)
    assert changed.any() and np.all(lum[changed] < lips - 20.0)  # the drawn seam's pixels only, not the lips
    mid = np.round(fs.seam_line(p)[3]).astype(int)  # on the points' seam, which the picture leaves pink
    assert np.abs(out[mid[1], mid[0]].astype(int) - img[mid[1], mid[0]].astype(int)).max() <= 2


def test_share_zero_or_no_seam_leaves_the_image():
    img, p = _face_with_seam()
    assert fs.deepen_seam(img, p, 0.0) is img
    flat = p.copy()
    flat[48:68] = p[48:68].mean(0)  # every lip point at one place
    assert fs.deepen_seam(img, flat, 1.0) is img
    half = fs.deepen_seam(img, p, 0.5).astype(int) - img.astype(int)
    full = fs.deepen_seam(img, p, 1.0).astype(int) - img.astype(int)
    assert half.min() < 0 and full.min() < half.min()


def test_touch_for_deepens_a_closed_lip_smile_only():
    from ganimate.pipeline.render import touch_for

    assert touch_for(aus_of(AU12=3.0), aus_of(AU12=0.5)).closed_smile == 1.0
    assert touch_for(aus_of(AU12=3.0, AU25=2.0), aus_of(AU12=0.5)).closed_smile == 0.0
    assert touch_for(aus_of(AU12=0.5), aus_of(AU12=3.0)).closed_smile == 0.0


def test_a_dark_pixels_noise_grows_no_more_than_the_stretch():
    # a frame's noise on the seam is stretched with it, not multiplied by a threshold's steep ramp: video shimmers
    img, p = _face_with_seam(colour=(172, 98, 98))  # a faint seam, 14 levels under the lips
    line = fs.seam_line(p)[1:-1]
    noisy = img.copy()
    seam = np.zeros(img.shape[:2], np.uint8)
    cv2.polylines(seam, [np.round(line).astype(np.int32)], False, 1, 1)
    noisy[seam > 0] = np.clip(noisy[seam > 0].astype(int) + 4, 0, 255).astype(np.uint8)
    before = np.abs(noisy.astype(int) - img.astype(int))[seam > 0].max()
    after = np.abs(fs.deepen_seam(noisy, p, 1.0).astype(int) - fs.deepen_seam(img, p, 1.0).astype(int))[seam > 0]
    assert before == 4 and after.max() <= np.ceil(4 * (1.0 + fs.END)) + 1


def test_a_seam_outside_the_frame_leaves_it():
    img, p = _face_with_seam()
    off = p + np.array([0.0, 400.0])  # the face's points below the frame's edge
    assert fs.deepen_seam(img, off, 1.0) is img
    edge = p + np.array([0.0, 160.0 - p[62, 1] + 2.0])  # the seam just past the bottom edge: no nan, no change
    out = fs.deepen_seam(img, edge, 1.0)
    assert out.dtype == np.uint8 and out.shape == img.shape
