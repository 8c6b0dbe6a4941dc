"""An image read at fractional pixel positions (bilinear): the one place the finishes sample a plane at points."""

from __future__ import annotations

import cv2
import numpy as np

MAP_COLUMNS = 4096  # remap's maps must stay under 32767 px a side: points are laid out in rows this long


def read_at(plane: np.ndarray, xy: np.ndarray, outside: float | None = None) -> np.ndarray:
    """plane (uint8 or float32, HxW or HxWxC) read at float (..., 2) px xy, bilinear: xy.shape[:-1] (+ (C,)) of the
    plane's dtype. outside: the value beyond the plane; None: its edge's values (replicated)."""
    shape = np.shape(xy)[:-1]
    flat = np.asarray(xy, np.float32).reshape(-1, 2)
    channels = np.shape(plane)[2:]
    n = len(flat)
    if n == 0:
        return np.zeros((*shape, *channels), np.asarray(plane).dtype)
    cols = min(n, MAP_COLUMNS)
    grid = np.zeros((-(-n // cols) * cols, 2), np.float32)
    grid[:n] = flat
    grid = grid.reshape(-1, cols, 2)
    border = cv2.BORDER_REPLICATE if outside is None else cv2.BORDER_CONSTANT
    values = cv2.remap(np.ascontiguousarray(plane), grid[..., 0], grid[..., 1], cv2.INTER_LINEAR,
                       borderMode=border, borderValue=0.0 if outside is None else float(outside))
    return values.reshape(-1, *channels)[:n].reshape(*shape, *channels)
