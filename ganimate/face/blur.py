"""How soft a photo's face is, and drawn finishes made as soft.

The finishes that draw into the face (the mouth's inside, its teeth and the lines between them) are drawn as
sharp as the frame's grid allows. A face in a soft photo (a web photo scaled up, out of focus, or a video frame
in motion) then shows a crisp cut-out where its mouth opened (Des_Brown, looked at). The blur is read on the
face's own strong edges, by how much of their gradient a known extra blur takes away. For a blurred step edge the
gradient's peak falls as 1 / sqrt(s^2 + e^2), where s is the edge's own blur and e the extra. So
the ratio r of peaks after and before gives s^2 = e^2 r^2 / (1 - r^2). The edge's own blur includes the gradient
operator's, which DERIVATIVE takes off. A drawn change is then softened by the rest, beyond the blur it was
drawn with.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.box import points_box

EXTRA = 1.5  # px: the known blur added to read the face's own
DERIVATIVE = 0.8  # px: what the central-difference gradient reads on hard-edged blocks (sharp to the px)
STRONG = 0.97  # the share of the face's px weaker than the edges read: the strongest 3%
MOST = 4.0  # px: at most this blur is read (a face too soft to hold an edge)
DRAWN = 0.5  # px: the blur a finish is drawn with already (its edges fade over a px or so)


_CENTRAL = np.array([[-0.5, 0.0, 0.5]], np.float32)  # np.gradient's central difference, as an OpenCV kernel


def _gradient(grey: np.ndarray) -> np.ndarray:
    """float32 HxW gradient magnitude of a float32 HxW image, by central differences."""
    gx = cv2.filter2D(grey, cv2.CV_32F, _CENTRAL, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.filter2D(grey, cv2.CV_32F, _CENTRAL.T, borderType=cv2.BORDER_REPLICATE)
    return cv2.magnitude(gx, gy)


def read_blur(image: np.ndarray, points: np.ndarray) -> float:
    """The Gaussian blur, sigma in px, of a face's strong edges (eyes, brows, nostrils, lips) in a frame (uint8
    HxWx3 RGB), the face's landmarks float (68, 2) frame px: 0 for a face as sharp as its px; at most MOST."""
    x0, y0, x1, y1 = points_box(np.asarray(points, np.float64), image.shape, pad=2)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    m = int(np.ceil(2 * EXTRA))  # read clear of the box's edge, where the extra blur reads the border
    before = _gradient(grey)[m:-m, m:-m]
    after = _gradient(cv2.GaussianBlur(grey, (0, 0), EXTRA))[m:-m, m:-m]
    flat = before.ravel()
    k = min(int(STRONG * flat.size), flat.size - 1)
    strong = (before >= np.partition(flat, k)[k]) & (before > 4.0)
    if strong.sum() < 8:
        return 0.0
    r = float(np.clip(np.median(after[strong] / before[strong]), 0.0, 0.99))
    own = EXTRA * EXTRA * r * r / (1.0 - r * r)
    return float(np.clip(np.sqrt(max(own - DERIVATIVE * DERIVATIVE, 0.0)), 0.0, MOST))


def soften_change(before: np.ndarray, after: np.ndarray, sigma: float, box: tuple[int, int, int, int]) -> np.ndarray:
    """after (uint8 HxWx3), where it differs from before (same shape), taken as a layer drawn over before and
    blurred, colour and cover alike, by the Gaussian that takes a drawn edge (DRAWN) to sigma px: a new frame, the
    same array when there is nothing to soften. Only px within box (x0, y0, x1, y1) grown by three sigmas change.
    The layer is blurred, not its difference from before: before's own detail under it (a stretched mouth's
    streaks) would show through a blurred difference."""
    extra = np.sqrt(max(sigma * sigma - DRAWN * DRAWN, 0.0))
    if extra < 0.3:
        return after
    pad = int(np.ceil(3 * extra)) + 1
    x0, y0 = max(box[0] - pad, 0), max(box[1] - pad, 0)
    x1, y1 = min(box[2] + pad, after.shape[1]), min(box[3] + pad, after.shape[0])
    if x1 <= x0 or y1 <= y0:
        return after
    a, b = after[y0:y1, x0:x1], before[y0:y1, x0:x1]
    drawn = np.any(a != b, axis=2).astype(np.float32)
    if not drawn.any():
        return after
    cover = cv2.GaussianBlur(drawn, (0, 0), extra)[..., None]
    layer = cv2.GaussianBlur(drawn[..., None] * a.astype(np.float32), (0, 0), extra)
    out = after.copy()
    laid = b.astype(np.float32) * (1.0 - cover) + layer
    out[y0:y1, x0:x1] = np.clip(np.round(laid), 0, 255).astype(np.uint8)
    return out
