"""A closed-lip smile's lips kept to real lips' area, as motion of the face's own pixels, after the generator's.

Real lips thin as a smile stretches them: same-person pairs with the lips closed in both (OpenFace's points,
fitted on eyes and nose; AU12 rising 1.5 or more) keep each lip's area, the upper lip's 1.00 of its calm area and
the lower lip's 1.12 (median of 228 LFW training people's neutral -> happy photos; the training clips' 111 frames
against each clip's calm median: 0.90 and 1.06), while the mouth widens 1.16-1.17 times. The warping generator
widens the mouth as far or further but keeps the lips' thickness, and raises their seam more than their outer
edges: carried by the edit, the input's own points on the clips' calm frames driven to the same clip's closed-lip
smile (d9, d12, d13, d19) made the upper lip 1.35 and the lower 1.56 of their area (1.08 and 1.80 on a still,
whose lips smile_lips.py first stretches), 1.04 and 1.40 on 30 LFW training pairs: a puffed, pouting mouth.

So each lip whose area the edit grew beyond the real share (UPPER_AREA, LOWER_AREA) is thinned to it: its outer
edge (the upper lip's 49-53, the lower's 55-59) is brought along the face's up-down towards the seam (the inner
lips, where a closed mouth's two meet), each point by the same share of its own thickness, by Gaussian radial
functions held at zero on the corners, the inner lips, the nose and the jaw. The seam, the corners and how far
the mouth widens stay as they were.

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.corners import forward_moves
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.smile_lips import radial_flow

UPPER_AREA = 1.0  # a lip's area after a real closed-lip smile over before (see above)
LOWER_AREA = 1.1
SPREAD = 0.06  # the radial functions' sigma, inter-ocular distances: about a lip's thickness (as smile_lips.py)
UPPER_OUTER, LOWER_OUTER = (49, 50, 51, 52, 53), (55, 56, 57, 58, 59)
UPPER_LIP = (48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60)  # each lip's outline, outer edge then inner
LOWER_LIP = (48, 59, 58, 57, 56, 55, 54, 64, 65, 66, 67, 60)
UPPER_INNER, LOWER_INNER = (60, 61, 62, 63, 64), (60, 67, 66, 65, 64)
# points that keep where the flow put them: the corners, the inner lips (the seam), the nose's base, the jaw
ANCHORS = (48, 54, 60, 61, 62, 63, 64, 65, 66, 67, 31, 32, 33, 34, 35, 5, 6, 7, 8, 9, 10, 11)


def lip_area(points: np.ndarray, outline: tuple[int, ...]) -> float:
    """px² inside one lip's outline (UPPER_LIP, LOWER_LIP) of a face's points (float (68, 2) px)."""
    return abs(float(cv2.contourArea(np.asarray(points, np.float32)[list(outline)])))


def _inner_depth(points: np.ndarray, inner: tuple[int, ...], along: np.ndarray, down: np.ndarray,
                 at: np.ndarray) -> np.ndarray:
    """float64 (K,): how far down the face (px) a lip's inner edge (points on it, float (68, 2)) lies at the
    positions along the eye line at (float (K,) px), linearly between its points (held beyond its ends)."""
    a, d = points[list(inner)] @ along, points[list(inner)] @ down
    order = np.argsort(a)
    return np.interp(at, a[order], d[order])


def thin_flow(points: np.ndarray, flow: np.ndarray, weight: float) -> np.ndarray:
    """float32 SxSx2 backward flow (crop px), to compose after the edit's flow (float32 SxSx2) with
    face/flow.after_flow, that thins each lip of a face (landmarks float (68, 2) crop px, read on the input) the
    flow grew beyond its real area (UPPER_AREA, LOWER_AREA of its area on the input) back to it, by weight
    (0..1, a closed-lip smile's: smile_lips.stretch_share); zeros where no lip grew or weight is 0."""
    size = flow.shape[0]
    p = np.asarray(points, np.float64)
    if weight <= 0.0:
        return np.zeros((size, size, 2), np.float32)
    carried = p + forward_moves(p, flow)
    along, down = eye_axes(p)
    idx, moves = [], []
    for outer, inner, outline, real in ((UPPER_OUTER, UPPER_INNER, UPPER_LIP, UPPER_AREA),
                                        (LOWER_OUTER, LOWER_INNER, LOWER_LIP, LOWER_AREA)):
        grown = lip_area(carried, outline) / max(lip_area(p, outline), 1e-6)
        keep = 1.0 - weight * max(1.0 - real / grown, 0.0)  # share of each point's thickness kept
        if keep >= 1.0:
            continue
        edge = carried[list(outer)]
        thickness = edge @ down - _inner_depth(carried, inner, along, down, edge @ along)  # signed: up < 0
        idx += list(outer)
        moves += list(((keep - 1.0) * thickness)[:, None] * down)
    if not idx:
        return np.zeros((size, size, 2), np.float32)
    idx += list(ANCHORS)
    moves = np.concatenate([np.asarray(moves, np.float64), np.zeros((len(ANCHORS), 2))])
    return radial_flow(carried[idx] + moves, moves, SPREAD * float(interocular(p)), size)
