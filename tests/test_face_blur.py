"""How soft a photo's face is, and drawn finishes made as soft (ganimate/face/blur.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ganimate.face import blur as fb

BOX = np.array([[10.0, 10.0], [190.0, 190.0]])  # "landmarks" spanning the picture


def _blocks(seed: int = 0, contrast: float = 1.0) -> np.ndarray:
    """uint8 200x200x3: hard-edged blocks of many greys, as sharp as the px grid."""
    rng = np.random.default_rng(seed)
    img = np.full((200, 200), 120.0)
    for _ in range(40):
        x, y = rng.integers(0, 180, 2)
        w, h = rng.integers(5, 40, 2)
        img[y:y + h, x:x + w] = rng.integers(0, 255)
    img = 120.0 + contrast * (img - 120.0)
    return np.repeat(np.clip(np.rint(img), 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def test_read_blur_reads_a_known_blur_and_nothing_on_a_sharp_picture():
    sharp = _blocks()
    assert fb.read_blur(sharp, BOX) < 0.3
    read = [fb.read_blur(cv2.GaussianBlur(sharp, (0, 0), s), BOX) for s in (0.7, 1.0, 1.5, 2.5)]
    assert read == sorted(read)
    for s, r in zip((1.0, 1.5, 2.5), read[1:], strict=True):
        assert r == pytest.approx(s, abs=0.25 * s)


def test_read_blur_does_not_depend_on_contrast_and_is_bounded():
    soft = cv2.GaussianBlur(_blocks(1), (0, 0), 1.5)
    faint = cv2.GaussianBlur(_blocks(1, contrast=0.4), (0, 0), 1.5)
    assert fb.read_blur(faint, BOX) == pytest.approx(fb.read_blur(soft, BOX), abs=0.15)
    assert fb.read_blur(cv2.GaussianBlur(_blocks(), (0, 0), 12.0), BOX) <= fb.MOST
    assert fb.read_blur(np.full((200, 200, 3), 90, np.uint8), BOX) == 0.0  # no edges at all


def _drawn_disc(background: np.ndarray) -> np.ndarray:
    out = background.copy()
    cv2.circle(out, (100, 100), 30, (30, 20, 20), -1)
    return out


def test_soften_change_blurs_a_drawn_layer_to_the_photos_blur_without_showing_what_it_covers():
    rng = np.random.default_rng(2)
    before = np.clip(rng.normal(150, 25, (200, 200, 3)), 0, 255).astype(np.uint8)  # busy texture under the disc
    after = _drawn_disc(before)
    box = (70, 70, 131, 131)
    assert fb.soften_change(before, after, 0.4, box) is after  # as sharp as it was drawn: left alone
    soft = fb.soften_change(before, after, 2.0, box)
    # inside, the drawn colour, flat: the texture under it does not show through
    assert np.abs(soft[90:111, 90:111].astype(int) - (30, 20, 20)).max() <= 1
    # beyond the box grown by three sigmas nothing changes; inside it, only near the disc
    extra = np.sqrt(2.0 ** 2 - fb.DRAWN ** 2)
    pad = int(np.ceil(3 * extra)) + 1
    keep = np.ones((200, 200), bool)
    keep[70 - pad:131 + pad, 70 - pad:131 + pad] = False
    np.testing.assert_array_equal(soft[keep], after[keep])
    # the disc's edge now reads about as soft as asked, where the drawn one read sharp
    flat = np.full((200, 200, 3), 150, np.uint8)
    disc_box = np.array([[60.0, 60.0], [140.0, 140.0]])
    assert fb.read_blur(_drawn_disc(flat), disc_box) < 0.6
    softened = fb.soften_change(flat, _drawn_disc(flat), 2.0, box)
    assert fb.read_blur(softened, disc_box) == pytest.approx(2.0, abs=0.5)
