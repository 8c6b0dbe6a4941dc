"""The pixel box points cover (ganimate/face/box.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face.box import points_box


def test_points_box_covers_the_points_grown_by_pad_and_clipped_to_the_image():
    pts = np.array([[10.2, 20.7], [30.0, 25.5]])
    assert points_box(pts, (100, 80, 3)) == (10, 20, 31, 27)  # end exclusive: ceil + 1
    assert points_box(pts, (100, 80, 3), pad=2) == (8, 18, 33, 29)
    assert points_box(pts, (24, 28), pad=5) == (5, 15, 28, 24)  # clipped to W 28, H 24
    x0, y0, x1, y1 = points_box(pts + 500.0, (100, 80, 3))
    assert x1 <= x0 and y1 <= y0  # outside: empty
