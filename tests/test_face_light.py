"""How hard a face is lit, read from its landmarks (ganimate/face/light.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face.light import LUMA, skin_highlight
from tests.edit_faces import skin_face, synthetic_landmarks


def test_an_even_face_reads_its_own_brightness_over_the_cheeks():
    img = np.full((160, 160, 3), 150, np.uint8)
    p = synthetic_landmarks()
    assert skin_highlight(img, p, 150.0) == pytest.approx(1.0, abs=1e-6)
    assert skin_highlight(img, p, 100.0) == pytest.approx(1.5, abs=1e-6)


def test_a_highlight_on_the_skin_raises_it_and_one_on_the_eyes_or_lips_does_not():
    img, p = skin_face()
    cheek = float(np.median(img[90:100, 50:60].reshape(-1, 3), axis=0) @ LUMA)
    even = skin_highlight(img, p, cheek)
    lit = img.copy()
    lit[30:60, 55:105] = 250  # a flash on the forehead
    assert skin_highlight(lit, p, cheek) > even + 0.2
    glint = img.copy()
    for part in (range(36, 42), range(42, 48), range(48, 60)):  # catchlights and wet lips are not the skin
        x0, y0 = np.floor(p[list(part)].min(0)).astype(int) + 1
        x1, y1 = np.ceil(p[list(part)].max(0)).astype(int) - 1
        glint[y0:y1, x0:x1] = 255
    assert skin_highlight(glint, p, cheek) == pytest.approx(even, abs=0.02)


def test_a_face_outside_the_image_reads_as_even():
    img, p = skin_face()
    assert skin_highlight(img, p + 1000.0, 150.0) == 1.0
    assert skin_highlight(img, p, 0.0) == 1.0


def test_a_large_face_read_on_every_few_px_reads_as_read_whole(monkeypatch):
    import cv2

    import ganimate.face.light as fl

    img, p = skin_face()
    img[30:60, 55:105] = 240  # a highlight, so the percentile lies in a small share of the skin
    big = cv2.resize(img, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    q = p * 4 + 1.5
    strided = skin_highlight(big, q, 150.0)
    monkeypatch.setattr(fl, "READ_IOD", 1e9)
    whole = skin_highlight(big, q, 150.0)
    assert whole > 1.3 and strided == pytest.approx(whole, rel=0.01)
