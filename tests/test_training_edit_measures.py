"""What a person sees, as numbers: foreign hue, the fraction of the way to a real expression, sharpness."""

import cv2
import numpy as np
import pytest

from ganimate.face import landmarks as lmk
from ganimate.training import edit_measures as em
from tests.edit_faces import skin_face, synthetic_landmarks


def _face():
    img, pts = skin_face()
    return img, pts, em.hull_mask(pts, img.shape)


def test_unedited_face_has_no_foreign_hue():
    img, _, mask = _face()
    assert em.foreign_hue(img, mask, img, mask) == 0.0


def test_purple_patch_counts_as_foreign_hue():
    img, pts, mask = _face()
    out = img.copy()
    cheek = np.zeros(mask.shape, bool)
    cheek[95:105, 50:70] = True  # 200 px on the left cheek, inside the landmark hull
    assert mask[cheek].all()
    out[cheek] = (150, 60, 170)
    frac = em.foreign_hue(img, mask, out, mask)
    coloured = mask.sum()  # every skin pixel has chroma > 8
    assert frac == pytest.approx(cheek.sum() / coloured, rel=0.05)


def test_new_only_counts_what_the_edit_made_foreign_not_what_was_there():
    # a purple patch on the cheek is new; background that was foreign there already (a hull grown over the
    # face's edge) is not, while every coloured pixel of the face still makes the whole
    img, pts, mask = _face()
    before = img.copy()
    edge = np.zeros(mask.shape, bool)
    edge[95:100, 50:55] = True  # 25 px: under 1 % of the face, so outside its hue range
    before[edge] = (60, 150, 60)  # green already in the input, inside the face's hull
    out = before.copy()
    patch = np.zeros(mask.shape, bool)
    patch[95:105, 60:70] = True
    out[patch] = (150, 60, 170)
    whole = em.foreign_hue(before, mask, out, mask)
    new = em.foreign_hue(before, mask, out, mask, new_only=True)
    assert new == pytest.approx(whole * 100 / 125, rel=0.02) and new > 0
    assert em.foreign_hue(before, mask, before, mask, new_only=True) == 0.0
    assert em.foreign_pixels(before, mask, before)[edge].all()


def test_brightness_change_is_not_foreign_hue():
    img, _, mask = _face()
    darker = np.clip(np.rint(img * 0.75), 0, 255).astype(np.uint8)
    brighter = np.clip(img.astype(int) + 25, 0, 255).astype(np.uint8)
    assert em.foreign_hue(img, mask, darker, mask) == 0.0
    assert em.foreign_hue(img, mask, brighter, mask) < 0.001


def test_hue_range_wraps_around_180_degrees():
    # a face whose hues straddle +-180 degrees (a blue-green cast): its own pixels are not foreign, a
    # skin-coloured patch is (a plain min..max range would span -176..173 and let everything through)
    img = np.zeros((40, 40, 3), np.uint8)
    img[:, :20] = (60, 140, 120)
    img[:, 20:] = (60, 140, 130)
    h, c = em.lab_hue_chroma(img)
    assert (np.abs(h) > 170).all() and (c > 8).all() and h.min() < 0 < h.max()
    mask = np.ones((40, 40), bool)
    assert em.foreign_hue(img, mask, img, mask) == 0.0
    out = img.copy()
    out[:4] = (205, 150, 120)
    assert em.foreign_hue(img, mask, out, mask) == pytest.approx(0.1)


def test_outside_change_ignores_the_face():
    img, _, mask = _face()
    out = img.copy()
    out[mask] = 0
    assert em.outside_change(img, out, mask) == 0.0
    out[0:10, 0:10] = np.clip(out[0:10, 0:10].astype(int) + 40, 0, 255)
    assert em.outside_change(img, out, mask) == pytest.approx(40 * 100 / (~mask).sum(), rel=0.05)


def _smile(points: np.ndarray) -> np.ndarray:
    real = points.copy()
    real[48] += (-4, -3)
    real[54] += (4, -3)
    real[60:68] += (0, 1.5)
    return real


def test_way_fraction_is_zero_for_the_input_and_one_for_the_target():
    neutral = synthetic_landmarks()
    real = _smile(neutral)
    assert em.way_fraction(neutral, neutral, real) == pytest.approx(0.0, abs=1e-9)
    assert em.way_fraction(neutral, real, real) == pytest.approx(1.0)
    assert em.way_fraction(neutral, (neutral + real) / 2, real) == pytest.approx(0.5)


def test_way_fraction_ignores_head_pose():
    neutral = synthetic_landmarks()
    real = _smile(neutral)
    moved = synthetic_landmarks(centre=(90, 70), scale=1.2, angle_deg=8)  # the same face, scaled and turned
    m = cv2.estimateAffinePartial2D(neutral.astype(np.float32), moved.astype(np.float32))[0]
    edited = real @ m[:, :2].T + m[:, 2]
    assert em.way_fraction(neutral, edited, real) == pytest.approx(1.0, abs=1e-3)
    wrong = neutral.copy()
    wrong[48] += (4, 3)  # corners in, down: the opposite way
    wrong[54] += (-4, 3)
    assert em.way_fraction(neutral, wrong, real) < 0


def test_laplacian_variance_drops_when_blurred():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    region = np.ones((64, 64), bool)
    sharp = em.laplacian_variance(img, region)
    soft = em.laplacian_variance(cv2.GaussianBlur(img, (0, 0), 1.5), region)
    assert soft < 0.2 * sharp


def test_frame_change_inside_region():
    a = np.zeros((10, 10, 3), np.uint8)
    b = a.copy()
    b[:5] = 30
    top = np.zeros((10, 10), bool)
    top[:5] = True
    assert em.frame_change(a, b, top) == 30.0
    assert em.frame_change(a, b, ~top) == 0.0


def test_shape_measures_on_synthetic_face_are_sane():
    s = lmk.shape_measures(synthetic_landmarks())
    assert 0.5 < s["mouth_width"] < 1.0 and s["lid_gap"] > 0 and s["brow_eye"] > 0
