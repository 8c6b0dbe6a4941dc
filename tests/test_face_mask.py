"""The face-outline paste mask from 68 landmarks."""

import cv2
import numpy as np
import pytest

from ganimate.face.landmarks import interocular
from ganimate.face.mask import mask_from_landmarks, outline_points


@pytest.fixture(scope="module")
def points(astronaut):
    """The shipped landmark model's 68 points on the astronaut's aligned 128 px crop, and that crop."""
    from ganimate.config import DetectConfig
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.detect import FaceDetector
    from ganimate.infer.landmarks import LandmarkEstimator

    five = FaceDetector(DetectConfig()).detect(astronaut)[0].landmarks
    crop = warp_face_by_landmarks(astronaut, five, 128)[0]
    return LandmarkEstimator.load(None, backend="onnxruntime", threads=1).locate(crop[None])[0], crop


def test_one_inside_zero_outside_the_outline(points):
    p, _ = points
    mask = mask_from_landmarks(p, 128)
    assert mask.shape == (128, 128) and mask.dtype == np.float32
    assert mask.min() == 0.0 and mask.max() == 1.0
    nose = np.rint(p[30]).astype(int)
    assert mask[nose[1], nose[0]] == 1.0
    # every pixel with weight lies inside the outline's hull, and the crop corners (background) have none
    hull = cv2.convexHull(outline_points(p).astype(np.float32))
    ys, xs = np.nonzero(mask > 0)
    inside = [cv2.pointPolygonTest(hull, (float(x), float(y)), True) for x, y in zip(xs, ys, strict=True)]
    assert min(inside) > -1.0
    assert mask[:8, :8].max() == 0.0 and mask[:8, -8:].max() == 0.0
    # the outline runs below the chin and above the brows (room for a dropped jaw and raised brows)
    iod = interocular(p)
    chin = np.rint(p[8] + [0, 0.08 * iod]).astype(int)
    brow = np.rint(p[19] - [0, 0.2 * iod]).astype(int)
    assert mask[chin[1], chin[0]] > 0 and mask[brow[1], brow[0]] > 0.5


def test_the_mask_moves_with_the_face(points):
    p, _ = points
    mask = mask_from_landmarks(p, 128)
    moved = mask_from_landmarks(p + [5.0, -3.0], 128)
    np.testing.assert_allclose(moved[20:108, 20:108], np.roll(mask, (-3, 5), axis=(0, 1))[20:108, 20:108],
                               atol=0.02)


def test_the_fall_off_is_smooth_and_scales_with_the_face(points):
    p, _ = points
    mask = mask_from_landmarks(p, 128)
    # a cosine ramp: no jump between neighbouring pixels larger than a few percent
    assert np.abs(np.diff(mask, axis=1)).max() < 0.2
    small = mask_from_landmarks((p - 64.0) * 0.5 + 64.0, 128)
    assert 0.2 < small.sum() / mask.sum() < 0.3  # area ~ scale squared
