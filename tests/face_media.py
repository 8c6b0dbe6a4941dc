"""In-memory test frames of a moving face with known motion, for the detection and tracking tests."""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 320  # px; the astronaut's face is then ~60 px wide, well above min_face_size


def astronaut_frame() -> np.ndarray:
    """scikit-image's astronaut, uint8 SIZE x SIZE x 3 RGB."""
    from skimage.data import astronaut

    return cv2.resize(astronaut(), (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def motion(i: int, n: int) -> np.ndarray:
    """Known affine motion of frame i of n: float64 (2, 3), identity at i = 0."""
    phase = 2.0 * np.pi * i / n
    m = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), 6.0 * np.sin(phase), 1.0 + 0.08 * np.sin(phase))
    m[:, 2] += (20.0 * np.sin(phase), 10.0 * np.sin(2 * phase))
    return m


def moving_clip(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """n frames of the astronaut under motion(i, n), and the motion matrices."""
    base = astronaut_frame()
    mats = [motion(i, n) for i in range(n)]
    return [cv2.warpAffine(base, m, (SIZE, SIZE), borderMode=cv2.BORDER_REFLECT) for m in mats], mats
