"""A falling smile's mouth corners brought down and in, as motion of the face's own pixels, after the generator's.

Driven from a smile to less of one (a falling AU12), the warping generator moves the mouth's corners about half as
far as real faces do: 80 held-out people's happy photos driven to their own neutral photo's AUs narrow the mouth
0.48 of the real narrowing and lower its corners (against the lips' middle) 0.44 of the real fall, by dlib's
points; a grin driven to neutral ends as a closed-lip smile. Per unit of AU12 that falls (OpenFace's labels of the
same pairs), the real corners come down 0.050 inter-ocular distances and in 0.042 each. So each corner is given
the rest of that move where the generator's own flow falls short of it: a Gaussian bump of flow about the corner,
composed with the generator's before the fold guard, so the frame's own pixels move at full resolution.

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.paste import CROP_TO_CROP, advect_points
from ganimate.face.ramp import bump, smoothstep

DOWN_PER_UNIT = 0.050  # inter-ocular distances a real corner comes down per unit of AU12 that falls
IN_PER_UNIT = 0.042  # and moves in towards the mouth's middle
SPREAD = 0.12  # the bump's sigma, inter-ocular distances: the corner, the lips beside it and the skin about it
FALL_FROM, FALL_FULL = 0.15, 0.45  # AU12 falls under these fade out: the reader's AU12 and OpenFace's differ by
# up to 0.17 on nine in ten neutral faces
CORNERS = (48, 54)
_AU12 = AU_NAMES.index("AU12")


def smile_fall(aus_from: np.ndarray, aus_to: np.ndarray) -> float:
    """Units of AU12 that fall from AU intensities aus_from to aus_to (float (17,) 0..5), faded in over FALL_FROM to
    FALL_FULL; 0 where it does not fall."""
    fall = max(float(aus_from[_AU12]) - float(aus_to[_AU12]), 0.0)
    return fall * float(smoothstep(fall, FALL_FROM, FALL_FULL))


def forward_moves(points: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """float64 (K, 2) how far a backward flow (float32 SxSx2 crop px) carries points (float (K, 2) crop px)."""
    p = np.asarray(points, np.float64)
    return advect_points(p, flow, CROP_TO_CROP) - p


def corner_flow(points: np.ndarray, flow: np.ndarray, fall: float) -> np.ndarray:
    """float32 SxSx2 backward flow (crop px), to compose after the generator's flow (float32 SxSx2) with
    face/flow.after_flow, that brings each mouth corner of a face (landmarks float (68, 2) crop px, read on the
    input) down and in by what the generator's flow leaves of a real corner's move for fall units of AU12 (down
    and in each topped up apart, never taken back); zeros for fall 0."""
    size = flow.shape[0]
    extra = np.zeros((size, size, 2), np.float32)
    if fall <= 0.0:
        return extra
    p = np.asarray(points, np.float64)
    along, down = eye_axes(p)
    iod = max(float(interocular(p)), 1e-6)
    middle = p[list(CORNERS)].mean(0)
    moves = forward_moves(p[list(CORNERS)], flow)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for corner, move in zip(p[list(CORNERS)], moves, strict=True):
        inward = along * np.sign((middle - corner) @ along)
        need_down = max(DOWN_PER_UNIT * fall * iod - float(move @ down), 0.0)
        need_in = max(IN_PER_UNIT * fall * iod - float(move @ inward), 0.0)
        if need_down <= 0.0 and need_in <= 0.0:
            continue
        shift = need_down * down + need_in * inward
        # centred where the corner is to end up (past the generator's own move), so it lands there whole
        around = bump(xx, yy, corner + move + shift, SPREAD * iod)
        # backward: each output px shows what lay above it and farther out (the corner moved down and in)
        extra -= (around[..., None] * shift).astype(np.float32)
    return extra
