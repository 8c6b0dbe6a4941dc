"""The smooth ramp the face finishes fade and blend by, and the Gaussian bump their flows move by."""

from __future__ import annotations

import numpy as np


def smoothstep(x, lo=0.0, hi=1.0):
    """3t² − 2t³ of t = (x − lo) / (hi − lo) clipped to [0, 1]: 0 up to lo, 1 from hi (x, lo and hi floats or
    arrays that broadcast; hi may equal lo: a step)."""
    t = np.clip((x - lo) / np.maximum(hi - lo, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def bump(xx: np.ndarray, yy: np.ndarray, centre, sigma: float) -> np.ndarray:
    """float64, xx's shape: a Gaussian of the px (xx, yy) about centre (x, y), 1 there, sigma px wide."""
    cx, cy = centre
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2.0 * sigma * sigma))
