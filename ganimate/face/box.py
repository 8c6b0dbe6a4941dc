"""The pixel box a set of points covers in an image, the one place every finish cuts its region."""

from __future__ import annotations

import numpy as np


def points_box(points: np.ndarray, shape: tuple[int, ...], pad: int = 0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), end exclusive: the px of an image of shape (H, W, ...) that points (float (K, 2) px) cover,
    grown by pad px on every side and clipped to the image. Empty (x1 <= x0 or y1 <= y0) when they lie outside."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    x0, y0 = np.maximum(np.floor(p.min(0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(p.max(0)).astype(int) + pad + 1, (shape[1], shape[0]))
    return int(x0), int(y0), int(x1), int(y1)
