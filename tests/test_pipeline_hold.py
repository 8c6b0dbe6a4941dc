"""A face that has not moved keeps the edit it was last given (pipeline/hold.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face.align import crop_transform
from ganimate.pipeline.hold import Residuals, StillFaces, crop_region, region_change


def _frame(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (120, 160, 3), dtype=np.uint8)


def _matrix() -> np.ndarray:
    # a crop of side 64 about a face whose 5 points span x 60-100, y 40-80
    five = np.array([[68, 50], [92, 50], [80, 62], [70, 74], [90, 74]], np.float64)
    return crop_transform(five, 64)


def test_crop_region_is_the_frame_box_the_crop_covers_clipped_to_the_frame():
    m = np.array([[0.5, 0.0, -10.0], [0.0, 0.5, -5.0]])  # crop = frame / 2 - (10, 5): frame x 20..148, y 10..138
    x0, y0, x1, y1 = crop_region(m, 64, (120, 160, 3))
    assert (x0, y0) == (19, 9)
    assert (x1, y1) == (150, 120)  # 148 + 2, and the frame's 120 rows
    assert crop_region(m, 64, (120, 400, 3))[2] == 150


def test_a_face_is_held_only_unmoved_and_asked_for_the_same_target():
    image, m, target = _frame(), _matrix(), np.full(17, 1.0, np.float32)
    faces = StillFaces(0.35)
    assert not faces.still(0, image, m, 64, target)  # no edit yet: this frame becomes the key
    assert faces.still(0, image.copy(), m, 64, target)
    noisy = image.copy()
    noisy[60, 80] ^= 1  # a codec's noise
    assert faces.still(0, noisy, m, 64, target)
    assert not faces.still(1, image, m, 64, target)  # another track has its own key
    other = target.copy()
    other[3] += 0.01
    assert not faces.still(0, image, m, 64, other)  # a new target: edited afresh and the new key
    assert faces.still(0, image, m, 64, other)
    moved = np.roll(image, 1, axis=1)
    assert region_change(moved[40:90], image[40:90]) > 10
    assert not faces.still(0, moved, m, 64, other)
    assert not StillFaces(0.0).still(0, image, m, 64, target)
    never = StillFaces(0.0)
    never.still(0, image, m, 64, target)
    assert not never.still(0, image, m, 64, target)


def test_a_held_face_keeps_drifting_against_the_key_not_the_frame_before():
    image, m, target = _frame(), _matrix(), np.zeros(17, np.float32)
    faces = StillFaces(0.35)
    faces.still(0, image, m, 64, target)
    x0, y0, x1, y1 = crop_region(m, 64, image.shape)
    n = (y1 - y0) * (x1 - x0) * 3
    drift = image.astype(np.int16)
    held = []
    for _ in range(6):  # each step changes 0.2 of the region's mean: under the tolerance, but adding up
        flat = drift[y0:y1, x0:x1].reshape(-1)
        flat[: int(0.2 * n)] = np.where(flat[: int(0.2 * n)] < 255, flat[: int(0.2 * n)] + 1,
                                        flat[: int(0.2 * n)] - 1)
        drift[y0:y1, x0:x1] = flat.reshape(y1 - y0, x1 - x0, 3)
        held.append(faces.still(0, drift.astype(np.uint8), m, 64, target))
    assert held[0] and not all(held)


def test_residuals_carry_a_paste_onto_a_new_frame_and_nothing_outside_its_region():
    before = _frame(1)
    after = before.copy()
    after[30:60, 40:90] = np.clip(after[30:60, 40:90].astype(int) + 40, 0, 255).astype(np.uint8)
    res = Residuals()
    res.keep(7, (30, 20, 100, 70), before, after)
    np.testing.assert_array_equal(res.apply(7, before), after)
    later = before.copy()
    later[0:10] = 0  # outside the region: the frame's own, as it is
    later[35, 45] = 250
    out = res.apply(7, later)
    np.testing.assert_array_equal(out[0:10], later[0:10])
    assert out[35, 45, 0] == 255  # 250 + 40 clipped
    np.testing.assert_array_equal(out[:, :30], later[:, :30])
    assert res.apply(8, later) is later  # a track never rendered: untouched


def test_tracks_not_in_a_frame_are_forgotten():
    image, m, target = _frame(), _matrix(), np.zeros(17, np.float32)
    faces, res = StillFaces(0.35), Residuals()
    faces.still(0, image, m, 64, target)
    faces.still(1, image, m, 64, target)
    res.keep(0, (0, 0, 10, 10), image, image)
    res.keep(1, (0, 0, 10, 10), image, image)
    faces.keep_only([1])
    res.keep_only([1])
    assert set(faces.keys) == {1} and set(res.kept) == {1}
    assert not faces.still(0, image, m, 64, target)  # back after a frame without it: edited afresh
    assert faces.still(1, image, m, 64, target)
