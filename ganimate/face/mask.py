"""The face's own outline as a paste-back mask, from its 68 landmarks.

The fixed ellipse of face/paste.py fits a frontal face of average build; on a turned head or a narrow face it
reaches over the cheek into hair and background, and on a wide face it cuts the jaw. The outline here is the
jaw line closed over the forehead (the brows lifted by FOREHEAD interocular distances), so an edit ends at
the face's edge whatever its pose.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.landmarks import BROW_LEFT, BROW_RIGHT, JAW, eye_axes, interocular

FOREHEAD = 0.45  # interocular distances the outline runs above the brows: lifted brows take the skin above along
GROW = 0.2  # interocular distances the outline lies outside the jaw: room for a dropped jaw and a widened cheek
FEATHER = 0.2  # width of the fall-off inside the outline, interocular distances


def outline_points(points: np.ndarray, forehead: float = FOREHEAD, grow: float = GROW) -> np.ndarray:
    """Closed face outline, float64 (27, 2) in the points' pixels: the jaw (17 points) moved `grow` interocular
    distances away from the nose tip, then the brows, right to left, lifted along the face's up direction
    (perpendicular to the eye line) by `forehead` interocular distances.

    points: float (68, 2) landmarks."""
    p = np.asarray(points, dtype=np.float64)
    iod = float(interocular(p))
    up = -eye_axes(p)[1]
    jaw = p[list(JAW)]
    out = jaw - p[30]
    jaw = jaw + grow * iod * out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    brows = p[list(BROW_RIGHT[::-1] + BROW_LEFT[::-1])] + forehead * iod * up
    return np.concatenate([jaw, brows])


def mask_from_landmarks(points: np.ndarray, size: int, forehead: float = FOREHEAD, grow: float = GROW,
                        feather: float = FEATHER) -> np.ndarray:
    """Soft face mask in the crop the points are in: float32 size x size in [0, 1].

    points: float (68, 2) landmarks in crop px (pixel centres at integers). The mask is 1 deep inside the
    outline, falls off with a cosine over the last `feather` interocular distances inside it and is exactly 0
    on and outside the outline (so pixels beyond the face's edge are never touched)."""
    outline = outline_points(points, forehead, grow)
    hull = cv2.convexHull(np.rint(outline * 16).astype(np.int32))  # 4 fractional bits: sub-pixel outline
    inside = np.zeros((size, size), dtype=np.uint8)
    cv2.fillConvexPoly(inside, hull, 1, lineType=cv2.LINE_8, shift=4)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 3)  # px to the nearest pixel outside
    width = max(feather * float(interocular(points)), 1.0)
    t = np.clip(depth / width, 0.0, 1.0)
    return (0.5 * (1.0 - np.cos(np.pi * t))).astype(np.float32)
