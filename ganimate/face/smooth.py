"""Temporal smoothing of landmarks: the One-Euro filter (Casiez, Roussel & Vogel, CHI 2012).

A first-order low-pass whose cutoff rises with the signal's speed: at rest a low cutoff removes
detector jitter, when the head moves a higher cutoff keeps lag small. Here it runs on a whole vector
at once (the 10 landmark coordinates, and the box) and measures speed in face sizes per second, so a
small face and a large one are smoothed alike.
"""

from __future__ import annotations

import math

import numpy as np


def smoothing_factor(dt: float, cutoff: np.ndarray | float) -> np.ndarray | float:
    """Exponential smoothing weight of a first-order low-pass with `cutoff` Hz sampled every dt s."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff, dtype=np.float64))
    return 1.0 / (1.0 + tau / dt)


def face_size(landmarks: np.ndarray) -> float:
    """Scale of a face in px: RMS distance of its landmarks (float (N, 2)) from their centroid.

    About a quarter of the face width for MTCNN's 5 points; unlike the box it does not depend on
    which detector stage produced the face.
    """
    pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    return float(np.sqrt(((pts - pts.mean(axis=0)) ** 2).sum(axis=1).mean()))


class OneEuroFilter:
    """One-Euro filter over a float vector; one instance per tracked face.

    min_cutoff: Hz, cutoff at rest (lower = steadier, more lag).
    beta: cutoff increase in Hz per unit of speed, speed in `scale` units per second (see __call__).
    d_cutoff: Hz, cutoff of the low-pass on the speed estimate itself (the paper's 1 Hz).
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0):
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError("One-Euro filter: min_cutoff and d_cutoff must be > 0 and beta >= 0")
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.reset()

    def reset(self) -> None:
        """Forget the past: the next sample passes through unchanged."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """Filtered value of sample x (float array, any shape) taken at time t (seconds).

        scale: the size, in x's units, that speed is measured in (e.g. face_size(landmarks) px);
        each element's cutoff is min_cutoff + beta * |dx/dt| / scale. Times must increase; a sample
        whose time is not after the previous one is ignored (the previous estimate is returned).
        Returns float64, same shape as x.
        """
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), float(t)
            return x.copy()
        if x.shape != self._x.shape:
            raise ValueError(f"One-Euro filter: sample shape {x.shape} != {self._x.shape}; reset() first")
        dt = float(t) - self._t
        if dt <= 0.0:
            return self._x.copy()
        a_d = smoothing_factor(dt, self.d_cutoff)
        self._dx = a_d * (x - self._x) / dt + (1.0 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx) / max(float(scale), 1e-6)
        a = smoothing_factor(dt, cutoff)
        self._x = a * x + (1.0 - a) * self._x
        self._t = float(t)
        return self._x.copy()
