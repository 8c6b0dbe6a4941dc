"""The mouth's own crop (ganimate/face/mouth_crop.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import mouth_crop as mc
from ganimate.face.landmarks import interocular
from tests.edit_faces import synthetic_landmarks


def _apply(m: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.asarray(p, np.float64) @ m[:, :2].T + m[:, 2]


def test_the_lips_sit_in_the_middle_level_and_span_inter_ocular_distances_across():
    p = synthetic_landmarks(centre=(120.0, 100.0), scale=1.5, angle_deg=20.0)
    m = mc.mouth_matrix(p, 64)
    q = _apply(m, p)
    np.testing.assert_allclose(q[list(mc.OUTER)].mean(0), (31.5, 31.5), atol=1e-9)
    assert abs(q[45, 1] - q[36, 1]) < 1e-9  # the eye line level in the crop, whatever the head's roll
    np.testing.assert_allclose(interocular(q), 64 / mc.SPAN, rtol=1e-9)
    back = mc.put_mouths(np.zeros((1, 68, 2)), q[None, list(mc.MOUTH)], [m])[0]
    np.testing.assert_allclose(back[list(mc.MOUTH)], p[list(mc.MOUTH)], atol=1e-9)  # the mouth read goes back


def test_the_jitter_moves_zooms_and_turns_the_cut():
    p = synthetic_landmarks(centre=(120.0, 100.0))
    iod = float(interocular(p))
    shifted = _apply(mc.mouth_matrix(p, 64, np.array([0.1, 0.0])), p[list(mc.OUTER)].mean(0)[None])[0]
    np.testing.assert_allclose(shifted, (31.5 - 0.1 * 64 / mc.SPAN, 31.5), atol=1e-6)  # the crop's middle moved right
    zoomed = mc.mouth_matrix(p, 64, scale=2.0)
    np.testing.assert_allclose(interocular(_apply(zoomed, p)), 2 * 64 / mc.SPAN, rtol=1e-9)
    turned = _apply(mc.mouth_matrix(p, 64, angle=0.2), p)
    assert abs(np.arctan2(*(turned[45] - turned[36])[::-1]) + 0.2) < 1e-9
    assert iod > 0


def test_a_dot_on_the_image_lands_where_the_matrix_puts_it():
    p = synthetic_landmarks(centre=(120.0, 100.0), scale=1.5, angle_deg=-10.0)
    image = np.zeros((240, 240, 3), np.uint8)
    x, y = np.round(p[62]).astype(int)
    image[y - 1:y + 2, x - 1:x + 2] = 255
    m = mc.mouth_matrix(p, 64)
    crop = mc.cut_mouth(image, m, 64)
    found = np.argwhere(crop[..., 0] == crop[..., 0].max()).mean(0)[::-1]
    np.testing.assert_allclose(found, _apply(m, np.array([[x, y]], float))[0], atol=0.8)


def test_the_flip_order_mirrors_the_mouth():
    from ganimate.face.landmarks import FLIP_PERMUTATION

    mirrored = [FLIP_PERMUTATION[i] - 48 for i in mc.MOUTH]
    assert list(mc.MOUTH_FLIP) == mirrored
    mouth = synthetic_landmarks(centre=(64.0, 60.0))[list(mc.MOUTH)]
    np.testing.assert_allclose(mc.flip_mouth(mc.flip_mouth(mouth, 128), 128), mouth)
    np.testing.assert_allclose(mc.flip_mouth(mouth, 128)[0], (127 - mouth[6, 0], mouth[6, 1]))  # corners swap
