"""Paste an edited face crop back into its frame without a seam.

Only the change the model made (edited - original crop) is warped back and added to the frame,
so the frame keeps its full resolution wherever the model left the face alone, and pixels outside
the feathered mask are bit-exact copies of the source.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.align import invert_transform


def make_feather_mask(size: int, inner: float = 0.78, feather: float = 0.12) -> np.ndarray:
    """Soft elliptical face mask in crop space: float32 size x size in [0, 1].

    inner: radius (fraction of the half-size) inside which the mask is 1.
    feather: width of the cosine fall-off to 0, same unit; 0 outside inner + feather.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    c = (size - 1) / 2.0
    # a slightly taller-than-wide ellipse, shifted down a little: faces are longer than wide
    r = np.sqrt(((xx - c) / (0.92 * c)) ** 2 + ((yy - c * 1.04) / c) ** 2)
    t = np.clip((r - inner) / max(feather, 1e-6), 0.0, 1.0)
    return (0.5 * (1.0 + np.cos(np.pi * t))).astype(np.float32)


def paste_back(
    frame: np.ndarray,
    crop_before: np.ndarray,
    crop_after: np.ndarray,
    matrix: np.ndarray,
    mask: np.ndarray,
) -> np.ndarray:
    """Frame with the crop's edit applied.

    frame: uint8 HxWx3 RGB. crop_before / crop_after: uint8 or float32 SxSx3 RGB in 0..255, the crop
    as cut and as edited. matrix: float (2, 3) frame -> crop. mask: float32 SxS in [0, 1].
    Returns a new uint8 HxWx3 array; pixels where the warped mask is 0 equal the input exactly.
    """
    h, w = frame.shape[:2]
    delta = crop_after.astype(np.float32) - crop_before.astype(np.float32)
    inv = invert_transform(matrix)
    size = mask.shape[0]
    # bounding box of the crop in the frame, to warp only that region
    corners = np.array([[0, 0], [size, 0], [0, size], [size, size]], dtype=np.float64)
    pts = corners @ inv[:, :2].T + inv[:, 2]
    x0 = int(max(0, np.floor(pts[:, 0].min()) - 1))
    y0 = int(max(0, np.floor(pts[:, 1].min()) - 1))
    x1 = int(min(w, np.ceil(pts[:, 0].max()) + 2))
    y1 = int(min(h, np.ceil(pts[:, 1].max()) + 2))
    out = frame.copy()
    if x1 <= x0 or y1 <= y0:
        return out
    shifted = inv.copy()
    shifted[:, 2] -= (x0, y0)
    rw, rh = x1 - x0, y1 - y0
    warped_mask = cv2.warpAffine(mask, shifted, (rw, rh), flags=cv2.INTER_LINEAR, borderValue=0.0)
    warped_delta = cv2.warpAffine(delta, shifted, (rw, rh), flags=cv2.INTER_LINEAR, borderValue=0.0)
    region = out[y0:y1, x0:x1].astype(np.float32)
    region += warped_delta * warped_mask[..., None]
    out[y0:y1, x0:x1] = np.clip(np.rint(region), 0, 255).astype(np.uint8)
    return out
