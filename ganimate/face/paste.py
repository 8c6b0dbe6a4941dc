"""Paste an edited face crop back into its frame without a seam.

Only the change the model made (edited - original crop) is warped back and added to the frame,
so the frame keeps its full resolution wherever the model left the face alone, and pixels outside
the feathered mask are bit-exact copies of the source.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.align import invert_transform
from ganimate.face.composite import composite
from ganimate.face.sample import read_at

# a crop to itself: the matrix for advect_points on points already in the crop's own px
CROP_TO_CROP = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


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
    delta = crop_after.astype(np.float32) - crop_before.astype(np.float32)
    out = frame.copy()
    region = crop_region(matrix, mask.shape[0], frame.shape)
    if region is None:
        return out
    (x0, y0, x1, y1), shifted = region
    size = (x1 - x0, y1 - y0)
    warped_mask = cv2.warpAffine(mask, shifted, size, flags=cv2.INTER_LINEAR, borderValue=0.0)
    warped_delta = cv2.warpAffine(delta, shifted, size, flags=cv2.INTER_LINEAR, borderValue=0.0)
    area = out[y0:y1, x0:x1].astype(np.float32)
    area += warped_delta * warped_mask[..., None]
    out[y0:y1, x0:x1] = np.clip(np.rint(area), 0, 255).astype(np.uint8)
    return out


def crop_region(matrix: np.ndarray, size: int, shape: tuple[int, ...]):
    """The frame rectangle a size x size crop covers, and the crop -> rectangle matrix.

    matrix: float (2, 3) frame -> crop. Returns ((x0, y0, x1, y1) ints, float64 (2, 3) crop -> rectangle px),
    or None when the crop lies outside the frame.
    """
    h, w = shape[:2]
    inv = invert_transform(matrix)
    corners = np.array([[0, 0], [size, 0], [0, size], [size, size]], dtype=np.float64)
    pts = corners @ inv[:, :2].T + inv[:, 2]
    x0 = int(max(0, np.floor(pts[:, 0].min()) - 1))
    y0 = int(max(0, np.floor(pts[:, 1].min()) - 1))
    x1 = int(min(w, np.ceil(pts[:, 0].max()) + 2))
    y1 = int(min(h, np.ceil(pts[:, 1].max()) + 2))
    if x1 <= x0 or y1 <= y0:
        return None
    shifted = inv.copy()
    shifted[:, 2] -= (x0, y0)
    return (x0, y0, x1, y1), shifted


def lay_crop_map(values: np.ndarray, matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """float32 HxW: a crop-space map (float32 SxS) read at every pixel of a frame of this shape (bilinear), 0 beyond
    the crop; matrix: float (2, 3) frame -> crop."""
    out = np.zeros(shape[:2], np.float32)
    region = crop_region(matrix, values.shape[0], shape)
    if region is None:
        return out
    (x0, y0, x1, y1), shifted = region
    out[y0:y1, x0:x1] = cv2.warpAffine(values.astype(np.float32), shifted, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                       borderValue=0.0)
    return out


def paste_warped(frame: np.ndarray, matrix: np.ndarray, mask: np.ndarray, flow: np.ndarray, attention: np.ndarray,
                 colour: np.ndarray) -> np.ndarray:
    """Frame with a warping generator's edit applied at the frame's own resolution.

    frame: uint8 HxWx3 RGB. matrix: float (2, 3) frame -> crop. mask: float32 SxS in [0, 1]. flow: float32
    SxSx2 backward displacement in crop px (output pixel p takes the input at p + flow(p)). attention: float32
    SxS in [0, 1]; colour: float32 SxSx3 RGB 0..255. The maps are upsampled to the face's size in the frame,
    the flow moves the frame's own pixels (so a face stays as sharp as the input), and the colour map is
    blended under (1 - attention): the formula of face/composite.py. Pixels where the warped mask is 0 equal
    the input exactly; so do pixels where the flow is 0, attention 1 and the mask anything.
    """
    out = frame.copy()
    region = crop_region(matrix, mask.shape[0], frame.shape)
    if region is None:
        return out
    (x0, y0, x1, y1), shifted = region
    size = (x1 - x0, y1 - y0)
    maps = np.dstack([flow.astype(np.float32), attention.astype(np.float32)[..., None],
                      colour.astype(np.float32), mask.astype(np.float32)[..., None]])
    # crop-space maps read at every frame pixel of the rectangle (bilinear), in two calls: OpenCV warps <= 4 channels
    read = np.dstack([cv2.warpAffine(np.ascontiguousarray(maps[..., i:i + 4]), shifted, size, flags=cv2.INTER_LINEAR,
                                     borderValue=(0.0, 0.0, 0.0, 0.0)) for i in (0, 4)])
    m = read[..., 6]
    if not (m > 0).any():
        return out
    # crop-px displacement -> frame-px displacement: the linear part of crop -> frame
    lin = shifted[:, :2]
    dx = lin[0, 0] * read[..., 0] + lin[0, 1] * read[..., 1]
    dy = lin[1, 0] * read[..., 0] + lin[1, 1] * read[..., 1]
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    source = cv2.remap(frame, gx + dx.astype(np.float32), gy + dy.astype(np.float32), cv2.INTER_CUBIC,
                       borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    edited = composite(source, read[..., 2:3], read[..., 3:6])
    area = out[y0:y1, x0:x1].astype(np.float32)
    area += (edited - area) * m[..., None]
    out[y0:y1, x0:x1] = np.clip(np.rint(area), 0, 255).astype(np.uint8)
    return out


def advect_points(points: np.ndarray, flow: np.ndarray, matrix: np.ndarray, iterations: int = 3) -> np.ndarray:
    """Where points of the input frame lie after paste_warped's warp: float (K, 2) frame px -> float64 (K, 2).

    flow: float32 SxSx2 backward displacement in crop px (output p shows the input at p + flow(p)); matrix:
    float (2, 3) frame -> crop. Solves q + flow(q) = p by fixed-point steps (the flow is smooth and a few px)."""
    from ganimate.face.align import transform_points

    p = np.asarray(points, np.float64)
    lin = invert_transform(matrix)[:, :2]
    q = p.copy()
    for _ in range(iterations):
        c = transform_points(matrix, q).astype(np.float32)
        f = read_at(np.asarray(flow, np.float32), c, outside=0.0)
        q = p - f.astype(np.float64) @ lin.T
    return q
