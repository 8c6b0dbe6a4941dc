"""A brow's lower edge read along it (ganimate/face/brows.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import brows as fb

SKIN, BROW = (205, 160, 140), (60, 40, 30)


def _face_with_brows(points: np.ndarray, below: float, above: float = 0.0, shape=(300, 300)) -> np.ndarray:
    """uint8 skin with each brow drawn dark from `above` px over its points' line to `below` px under it."""
    img = np.zeros(shape + (3,), np.uint8)
    img[:] = SKIN
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    for brow, _ in fb.BROWS:
        b = points[list(brow)]
        line = np.interp(xx, b[:, 0], b[:, 1], left=np.nan, right=np.nan)
        img[(yy >= line - above) & (yy <= line + below)] = BROW
    return img


def _thickness(img: np.ndarray, x: int, y_from: int) -> int:
    """Dark px in column x from y_from down (the first dark run)."""
    col = img[y_from:, x].astype(int) @ np.array([0.299, 0.587, 0.114])
    dark = col < 120
    first = int(np.argmax(dark))
    run = np.argmin(dark[first:]) if not dark[first:].all() else len(dark) - first
    return int(run)


def test_brow_edge_finds_where_the_skin_comes_back_and_nothing_on_bare_skin():
    ts = np.linspace(0, 20, 61)
    lum = np.where(ts < 6.0, 50.0, 180.0)
    assert abs(fb.brow_edge(lum, ts) - 6.0) < 1.0
    assert np.isnan(fb.brow_edge(np.full_like(ts, 170.0), ts))  # no brow stands out


def test_the_fit_along_a_brow_holds_its_ends_beyond_the_places_read():
    us = np.linspace(0.0, 1.0, 24)
    values = 2.0 + 8.0 * us * us  # read on the inner 17 places only, rising towards the outer end
    ok = np.arange(24) < 17
    fit = fb.fit_along(us, values, ok)
    assert np.allclose(fit[ok], values[ok], atol=1e-6)  # a quadratic through them where they were read
    assert np.allclose(fit[~ok], values[16], atol=1e-6)  # held, not run on to 2 + 8 = 10 at the end
    assert fit.max() <= values[ok].max() + 1e-9
    noisy = np.where(np.arange(24) % 2 == 0, 5.0, 7.0)
    fit = fb.fit_along(us, noisy, np.ones(24, bool))
    assert fit.min() >= 5.0 - 1e-9 and fit.max() <= 7.0 + 1e-9  # within the range read
