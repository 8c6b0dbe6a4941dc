"""A face's own shut eyes, read on a blink and laid where an edit shuts its eyes (ganimate/face/shown_lids.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ganimate.face import shown_lids as sl
from ganimate.face.lids import fit_lid_curves, lid_lines
from tests.test_face_lids import SKIN, synthetic_eyes


def _shut_eyes(points: np.ndarray, brightness: float = 1.0) -> np.ndarray:
    """The synthetic face's skin with each eye shut: a dark lash line from corner to corner, sagging 3 px; every
    pixel scaled by brightness (another light)."""
    img = np.full((200, 240, 3), SKIN, np.float32)
    img += np.random.default_rng(1).integers(-6, 7, img.shape)
    for left, right in ((36, 39), (42, 45)):
        u = np.linspace(0.0, 1.0, 60)
        line = points[left] + u[:, None] * (points[right] - points[left]) + np.stack([0 * u, 3 * np.sin(np.pi * u)], 1)
        cv2.polylines(img, [np.rint(line).astype(np.int32)], False, (50, 35, 30), 2)
    return np.clip(img * brightness, 0, 255).astype(np.uint8)


def _cover(points: np.ndarray, eye: int, shape) -> np.ndarray:
    """bool HxW: inside the lid cover's polygon (lid_lines at closure 1), shrunk by 2 px."""
    lines = lid_lines(fit_lid_curves(points, eye), 1.0)
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.rint(np.concatenate([lines["open"], lines["bottom"][::-1]])).astype(np.int32)], 1)
    return cv2.erode(mask, np.ones((5, 5), np.uint8)).astype(bool)


def test_shut_eyes_are_read_only_where_the_face_reads_them_shut():
    open_img, points = synthetic_eyes()
    shut = _shut_eyes(points)
    assert sl.read_shown_lids(shut, points, sl.SHUT_FROM - 0.1) is None
    shown = sl.read_shown_lids(shut, points, 3.2)
    assert shown is not None and shown.shut == pytest.approx(3.2)
    width = np.linalg.norm(points[39] - points[36])
    rows, cols = shown.looks[0].shape[:2]
    assert rows == pytest.approx((sl.SPAN_V[1] - sl.SPAN_V[0]) * width, abs=1)  # a px a cell
    assert cols == pytest.approx((sl.SPAN_U[1] - sl.SPAN_U[0]) * width, abs=1)
    np.testing.assert_allclose(np.exp(shown.tones[0]) - 1.0, [SKIN, SKIN], atol=6)  # the skin below, above


def test_a_track_remembers_its_most_shut_eyes():
    a, b = (sl.ShownLids((np.zeros((1, 1, 3)),) * 2, (np.zeros((2, 3)),) * 2, s) for s in (2.6, 3.1))
    assert sl.remember_lids(a, b) is b and sl.remember_lids(b, a) is b


@pytest.mark.parametrize("brightness", [1.0, 1.2])
def test_remembered_shut_eyes_are_laid_over_the_open_ones_in_this_frames_light(brightness):
    open_img, points = synthetic_eyes()
    shown = sl.read_shown_lids(_shut_eyes(points), points, 3.0)
    lit = np.clip(open_img.astype(np.float32) * brightness, 0, 255).astype(np.uint8)
    out = sl.lay_shut_eyes(lit, points, shown, closure=1.0)
    want = _shut_eyes(points, brightness)

    def smooth(img):  # the grain (+-6) apart: laying resamples it
        return cv2.GaussianBlur(img.astype(np.float32), (0, 0), 1.5)

    for eye in (0, 1):
        inside = _cover(points, eye, lit.shape)
        assert np.abs(smooth(out)[inside] - smooth(want)[inside]).mean() < 3.0  # the shut eye, relit
        assert np.abs(smooth(lit)[inside] - smooth(want)[inside]).mean() > 25.0  # where the open eye was
    far = np.ones(lit.shape[:2], bool)
    far[40:160, 20:220] = False
    np.testing.assert_array_equal(out[far], lit[far])  # nothing beyond the eyes
    assert sl.lay_shut_eyes(lit, points, shown, closure=sl.LAY[0]) is lit  # a lid not shut enough: the cover's
    half = sl.lay_shut_eyes(lit, points, shown, closure=1.0, share=0.5).astype(float)
    inside = _cover(points, 0, lit.shape)
    assert np.abs(half[inside] - (lit[inside] / 2.0 + out[inside] / 2.0)).mean() < 2.0  # fading in


def test_remembered_eyes_reach_over_long_lashes_above_the_cover_but_not_the_brow():
    open_img, points = synthetic_eyes()  # brow points 35 px above the corner line, the lid 12 px
    shown = sl.read_shown_lids(_shut_eyes(points), points, 3.0)
    lashes = open_img.copy()
    lashes[75:78, 55:85] = (40, 30, 25)  # long lashes standing above the cover's top (y ~79)
    lashes[58:61, 55:85] = (40, 30, 25)  # the brow
    cover_top = lid_lines(fit_lid_curves(points, 0), 1.0)["open"][:, 1].min()
    assert cover_top > 78.0  # the cover alone does not reach them
    out = sl.lay_shut_eyes(lashes, points, shown, closure=1.0).astype(float)
    assert out[75:78, 60:80].mean() > 0.8 * float(SKIN[0] + SKIN[1] + SKIN[2]) / 3.0  # laid over with the lid
    assert np.abs(out[58:61, 55:85] - lashes[58:61, 55:85].astype(float)).max() <= 4.0  # the brow stays
