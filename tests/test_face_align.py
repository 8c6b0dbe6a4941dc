"""Similarity alignment of faces to the 5-point template."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face.align import (
    crop_centre,
    crop_transform,
    estimate_similarity,
    invert_transform,
    template_points,
    transform_points,
    warp_face_by_landmarks,
)


def similarity(angle_deg: float, scale: float, tx: float, ty: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    c, s = scale * np.cos(a), scale * np.sin(a)
    return np.array([[c, -s, tx], [s, c, ty]])


def test_estimate_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (5, 2))
    m = similarity(17.0, 1.7, 12.0, -30.0)
    np.testing.assert_allclose(estimate_similarity(src, transform_points(m, src)), m, atol=1e-9)
    # with noise: still close, and least-squares better than the noise itself
    noisy = transform_points(m, src) + rng.normal(0, 0.5, (5, 2))
    est = estimate_similarity(src, noisy)
    np.testing.assert_allclose(est[:, :2], m[:, :2], atol=0.03)
    assert np.abs(transform_points(est, src) - noisy).mean() < 0.5


def test_estimate_similarity_never_reflects():
    src = np.random.default_rng(1).uniform(0, 10, (5, 2))
    mirrored = src * (-1, 1)  # no rotation + scale maps these exactly; the fit must stay a rotation
    m = estimate_similarity(src, mirrored)
    assert np.linalg.det(m[:, :2]) > 0


def test_crop_transform_sends_landmarks_to_the_template():
    m = similarity(-8.0, 2.3, 140.0, 90.0)
    lm = transform_points(m, template_points(1))  # a face that is exactly a similarity of the template
    mat = crop_transform(lm, 128)
    np.testing.assert_allclose(transform_points(mat, lm), template_points(128), atol=1e-9)
    # margin > 1 zooms out: the same face is smaller in the crop, around the same centre
    zoomed = transform_points(crop_transform(lm, 128, margin=1.5), lm)
    np.testing.assert_allclose(zoomed - 64, (template_points(128) - 64) / 1.5, atol=1e-9)


def test_inverse_and_crop_centre():
    m = similarity(25.0, 0.8, -5.0, 33.0)
    pts = np.array([[3.0, 4.0], [100.0, -20.0]])
    np.testing.assert_allclose(transform_points(invert_transform(m), transform_points(m, pts)), pts, atol=1e-9)
    np.testing.assert_allclose(crop_centre(m, 128), transform_points(invert_transform(m), [[64.0, 64.0]])[0])


def test_warp_face_by_landmarks_cuts_the_face_where_the_template_says():
    # a frame with 5 coloured dots placed at a similarity of the template: they land on it in the crop
    frame = np.zeros((300, 400, 3), np.uint8)
    m = similarity(10.0, 150.0, 150.0, 80.0)
    lm = transform_points(m, template_points(1))
    for x, y in np.rint(lm).astype(int):
        frame[y - 2 : y + 3, x - 2 : x + 3] = 255
    crop, mat = warp_face_by_landmarks(frame, lm, 128)
    assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8
    for x, y in np.rint(transform_points(mat, lm)).astype(int):
        assert crop[y, x].min() > 100  # a dot is there
    assert crop[5, 5].max() == 0


@pytest.mark.parametrize("size", [64, 128, 256])
def test_template_scales_with_crop_size(size):
    np.testing.assert_allclose(template_points(size), template_points(1) * size)
