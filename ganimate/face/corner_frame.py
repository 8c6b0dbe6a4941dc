"""A frame spanned by two corners (an eye's, the inner lips'), and the curves a lid or a lip draws in it.

u runs from the first corner (0) to the second (1), v is the distance in px perpendicular to that line,
positive down the face. A lid or lip is v(u) = u (1 - u) (a + b u): it meets both corners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CornerFrame:
    """origin float64 (2,) (the first corner, px), along / down unit vectors (2,), width px (corner to corner)."""

    origin: np.ndarray
    along: np.ndarray
    down: np.ndarray
    width: float

    def to_local(self, points: np.ndarray) -> np.ndarray:
        """float (..., 2) px -> float64 (..., 2) (u, v)."""
        d = np.asarray(points, np.float64) - self.origin
        return np.stack([d @ self.along / self.width, d @ self.down], axis=-1)

    def to_image(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """(u, v) arrays of one shape -> float64 (..., 2) px."""
        return self.origin + (np.asarray(u) * self.width)[..., None] * self.along + np.asarray(v)[..., None] * self.down


def corner_frame(first: np.ndarray, second: np.ndarray) -> CornerFrame:
    """The frame from the first corner to the second (float (2,) px each)."""
    origin = np.asarray(first, np.float64)
    axis = np.asarray(second, np.float64) - origin
    width = max(float(np.linalg.norm(axis)), 1e-6)
    along = axis / width
    return CornerFrame(origin, along, np.array([-along[1], along[0]]), width)


def corner_curve(u: np.ndarray, coeffs: tuple[float, float]) -> np.ndarray:
    """v of the curve u (1 - u) (a + b u) at u (clipped to the corners: 0 beyond them)."""
    inside = np.clip(u, 0.0, 1.0)
    return inside * (1.0 - inside) * (coeffs[0] + coeffs[1] * inside)
