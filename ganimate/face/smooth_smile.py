"""A closed-lip smile's lower face re-laid as the smoothest warp through the moves the edit gives its points.

On the clips' large faces a closed-lip smile from the warping generator reads as a grimace: its flow between the
face's points is not smooth (creases squeezed in beside the corners, the lips waved), while the points themselves
land about where real smiles put them. Carried by the edit, 16 calm frames of the clips d9, d13, d19 (training) and
d12 (held-out) driven to the same clip's closed-lip smile raise each lip point by the share of the corners' rise
that real pairs show (upper lip's middle 0.44 against 0.37, the seam 0.49 against 0.51, the lower lip 0.61 against
0.67; the input's points fitted on eyes and nose). So the flow over the lower face is replaced by the thin-plate
spline that moves the face's lower points (jaw, nose, eyes, lips) as the flow does and meets the flow itself on a
ring around the lower face: the same points, the least bending between them.

Measured on those 16 pairs by dlib's points on the output (not the model's), with face/seam.py: the corners' rise
over the upper lip's middle 0.104 -> 0.088 and the seam's curve 0.096 -> 0.086 (real 0.067, 0.064). Pictures
(docs/closed_smile_s29.png): d13's waved lips and bunched skin straighten, d19's crease above the upper lip softens
(still there). At LFW's size (a median of 57 px between the outer eye corners) it changed nothing a person sees,
and dlib read the corners lower (60 training neutrals driven to a smile: 0.086 -> 0.070, held-out real smiles
0.083), so it fades in with the face's size in its frame (SIZE_FROM, SIZE_FULL). Re-laid on every smile, open lips
too, the estimator read 80 LFW training pairs' self-reenactment at 0.810 of the real rise instead of 0.867: kept to
closed lips.

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.corners import forward_moves
from ganimate.face.landmarks import EYE_LEFT, EYE_RIGHT, MOUTH, NOSE, interocular
from ganimate.face.ramp import smoothstep

# points whose moves the spline keeps: the jaw below the ears, the nose, the eyes (held where the flow holds them)
# and the lips
HELD = tuple(range(2, 15)) + NOSE + EYE_LEFT + EYE_RIGHT + MOUTH
ZONE = tuple(range(3, 14)) + (35, 34, 33, 32, 31)  # the lower face's hull: jaw and the nose's base
GROW = 0.12  # inter-ocular distances the zone is grown by; the ring where the spline meets the flow as far again
RING_STEP = 6  # crop px between the ring's points
FEATHER = 0.05  # inter-ocular distances over which the re-laid flow fades into the flow at the zone's edge
# inter-ocular distances in the frame (px) from which the re-lay fades in, and at which it is whole: at LFW's size
# (a median of 57 px) it changed nothing a person sees and dlib read the corners lower (see above)
SIZE_FROM, SIZE_FULL = 64.0, 128.0
BEND = 1.0  # added to the fit's diagonal (px² log px units): a point read twice may not be met exactly
COARSE = 4  # the spline is read every this many crop px and resized up: it bends too little to need more


def _kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float64 (K, L) thin-plate kernel r² log r between points a (K, 2) and b (L, 2)."""
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return 0.5 * d2 * np.log(d2 + 1e-12)


def thin_plate(points: np.ndarray, values: np.ndarray, at: np.ndarray, bend: float = 0.0) -> np.ndarray:
    """float64 (M, C): the thin-plate spline through values (float (K, C)) at points (float (K, 2)), read at at
    (float (M, 2)); bend > 0 lets it pass near the values instead of through them. An affine field is met
    exactly."""
    p = np.asarray(points, np.float64)
    k = len(p)
    system = np.zeros((k + 3, k + 3))
    system[:k, :k] = _kernel(p, p) + bend * np.eye(k)
    system[:k, k] = 1.0
    system[:k, k + 1:] = p
    system[k, :k] = 1.0
    system[k + 1:, :k] = p.T
    rhs = np.zeros((k + 3, np.shape(values)[1]))
    rhs[:k] = values
    w = np.linalg.solve(system, rhs)
    q = np.asarray(at, np.float64)
    return _kernel(q, p) @ w[:k] + w[k] + q @ w[k + 1:]


def size_share(points: np.ndarray) -> float:
    """0..1: how far a face (points float (68, 2) frame px) is large enough in its frame to be re-laid."""
    return float(smoothstep(float(interocular(points)), SIZE_FROM, SIZE_FULL))


def smooth_flow(points: np.ndarray, flow: np.ndarray, weight: float) -> np.ndarray:
    """float32 SxSx2: the flow (float32 SxSx2) with its lower face (the hull of ZONE on the input's points, float
    (68, 2) crop px, grown by GROW) re-laid, by weight 0..1 (a closed-lip smile's: smile_lips.stretch_share), as
    the thin-plate spline that carries HELD points as the flow does and meets the flow on a ring around the zone;
    the same array for weight 0."""
    if weight <= 0.0:
        return flow
    size = flow.shape[0]
    p = np.asarray(points, np.float64)
    iod = max(float(interocular(p)), 1e-6)
    moves = forward_moves(p[list(HELD)], flow)
    zone = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(zone, cv2.convexHull(np.round(p[list(ZONE)]).astype(np.int32)), 1)
    grow = max(int(round(GROW * iod)), 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    inside = cv2.dilate(zone, disc)
    ring = cv2.dilate(inside, disc) > inside
    ys, xs = np.mgrid[0:size:RING_STEP, 0:size:RING_STEP]
    on_ring = ring[ys, xs]
    # backward values: where a point lands, the flow looks back by its move; on the ring, the flow as it is
    at = np.concatenate([p[list(HELD)] + moves, np.stack([xs[on_ring], ys[on_ring]], 1)])
    values = np.concatenate([-moves, flow[ys[on_ring], xs[on_ring]].astype(np.float64)])
    cells = -(-size // COARSE)
    centres = (np.arange(cells) + 0.5) * COARSE - 0.5  # where cv2.resize puts the coarse grid's pixels
    yy, xx = np.meshgrid(centres, centres, indexing="ij")
    coarse = thin_plate(at, values, np.stack([xx.ravel(), yy.ravel()], 1), BEND).reshape(cells, cells, 2)
    relaid = cv2.resize(coarse.astype(np.float32), (cells * COARSE, cells * COARSE),
                        interpolation=cv2.INTER_LINEAR)[:size, :size]
    share = weight * cv2.GaussianBlur(inside.astype(np.float32), (0, 0), max(FEATHER * iod, 0.5))[..., None]
    return (share * relaid + (1.0 - share) * flow).astype(np.float32)
