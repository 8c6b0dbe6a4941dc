"""Similarity alignment of a face to a canonical 5-point template, and the square crop it defines.

The same functions crop faces for training (`ganimate prepare`) and at run time, so the model
always sees faces framed the same way.
"""

from __future__ import annotations

import cv2
import numpy as np

# Canonical landmark positions in a unit square (x, y): eyes, nose tip, mouth corners (MTCNN order).
# Eyes sit at 40% height and mouth corners at 72%, leaving brows, forehead and chin inside the crop.
FACE_TEMPLATE = np.array(
    [[0.345, 0.40], [0.655, 0.40], [0.50, 0.56], [0.37, 0.72], [0.63, 0.72]], dtype=np.float64
)
DEFAULT_MARGIN = 1.0  # 1.0 = the template as is; >1 zooms out (more context around the face)


def estimate_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (rotation, uniform scale, translation) mapping src to dst.

    src, dst: float (N, 2) point sets, N >= 2. Returns float64 (2, 3) matrix M with dst ~ M @ [x, y, 1].
    Closed form (Umeyama 1991) so the result is deterministic and smooth in its inputs.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - mu_s, dst - mu_d
    var_s = (s**2).sum() / len(src)
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1.0
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(sig) @ sign) / max(var_s, 1e-12))
    m = np.zeros((2, 3), dtype=np.float64)
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - m[:, :2] @ mu_s
    return m


def template_points(size: int, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Template landmarks in crop pixels: float64 (5, 2) for a size x size crop, zoomed out by margin."""
    centre = np.array([0.5, 0.5])
    return ((FACE_TEMPLATE - centre) / margin + centre) * size


def crop_transform(landmarks: np.ndarray, size: int, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Frame -> crop matrix: float64 (2, 3) sending the 5 landmarks (float (5, 2), frame px) to the template."""
    return estimate_similarity(landmarks, template_points(size, margin))


def invert_transform(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a (2, 3) affine matrix, float64 (2, 3)."""
    return cv2.invertAffineTransform(np.asarray(matrix, dtype=np.float64))


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine matrix to float (N, 2) points; returns float64 (N, 2)."""
    pts = np.asarray(points, dtype=np.float64)
    return pts @ np.asarray(matrix, dtype=np.float64)[:, :2].T + np.asarray(matrix)[:, 2]


def crop_centre(matrix: np.ndarray, size: int) -> np.ndarray:
    """Where the crop's centre lies in the frame: float64 (2,) x, y."""
    return transform_points(invert_transform(matrix), np.array([[size / 2.0, size / 2.0]]))[0]


def warp_face_by_landmarks(
    frame: np.ndarray, landmarks: np.ndarray, size: int, margin: float = DEFAULT_MARGIN
) -> tuple[np.ndarray, np.ndarray]:
    """Aligned square face crop.

    frame: uint8 HxWx3 RGB. landmarks: float (5, 2) frame px.
    Returns (crop uint8 size x size x 3 RGB, matrix float64 (2, 3) frame -> crop).
    Pixels that fall outside the frame replicate its border, so crops near the edge stay natural.
    """
    matrix = crop_transform(landmarks, size, margin)
    crop = cv2.warpAffine(
        frame, matrix, (size, size), flags=cv2.INTER_AREA if _scale(matrix) < 1 else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return crop, matrix


def _scale(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(np.asarray(matrix)[:, :2]))))
