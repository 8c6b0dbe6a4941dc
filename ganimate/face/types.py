"""Named types shared by the face helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Face:
    """One detected face in frame pixel coordinates.

    box: float32 (4,) x1, y1, x2, y2.
    landmarks: float32 (5, 2) x, y of left eye, right eye, nose tip, left and right mouth corner
        (left/right as seen in the image, MTCNN order).
    score: detector confidence in [0, 1].
    """

    box: np.ndarray
    landmarks: np.ndarray
    score: float

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = (float(v) for v in self.box)
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)
