"""Raised brows (AU01, AU02) lifted as far as real brows rise, by a flow composed with the generator's.

Driven to raised brows (AU01 = AU02 = 3), the generator lifts the brows' hair 0.060 inter-ocular distances (40
held-out LFW faces; the shift that best matches the input's brow band to the output's), and the judges read
half of what the same people's real raised brows give them: on 106 LFW people whose photos OpenFace reads at a
mean 1.8 units more of AU01/AU02 than their neutral one, dlib's brow-to-eye distance rises 0.032 and the landmark
model's 0.019 inter-ocular distances per unit (0.026 by OpenFace's own points), where the edit, asked for about
2.9 units, reads 0.017 and 0.009 per unit. So a rising AU01 lifts the inner brows and the skin between them, a
rising AU02 the outer brows, by config.BROW_RAISE per unit more: a smooth bump of backward flow that is whole at
the brows' points, fades out up the forehead over FOREHEAD (its skin gathers, as real foreheads' do) and down to
the upper lid's margin, which stays (face/brow_lift.py then lays the brow and the lid's skin out between them, so
the brow's hair moves whole), and fades out beyond the brows' outer ends. Hair or a hat above the brows stays
(face/forehead.py holds the whole flow there).

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.forehead import eye_frame
from ganimate.face.landmarks import BROW_LEFT, BROW_RIGHT
from ganimate.face.ramp import smoothstep

FOREHEAD = 0.6  # inter-ocular distances above the brows over which the lift fades out
ENDS = 0.15  # inter-ocular distances beyond each brow's outer end over which the lift fades out
LIDS = ((37, 38), (43, 44))  # each upper lid's margin, below the left and right brow: where the lift ends
_AU01, _AU02 = AU_NAMES.index("AU01"), AU_NAMES.index("AU02")


def brow_rise(aus_from: np.ndarray, aus_to: np.ndarray, per_unit: float) -> tuple[float, float]:
    """(inner, outer): the inter-ocular distances the inner and the outer brows rise from AU intensities aus_from to
    aus_to (float (17,) 0..5), per_unit (config.BROW_RAISE) x the AU01 and the AU02 rise; 0 for one that does not
    rise."""
    def rise(i: int) -> float:
        return float(per_unit * max(float(aus_to[i]) - float(aus_from[i]), 0.0))

    return rise(_AU01), rise(_AU02)


def raise_flow(points: np.ndarray, size: int, inner: float, outer: float) -> np.ndarray:
    """float32 size x size x 2 backward flow (crop px) that raises a face's brows (landmarks float (68, 2) crop px)
    along its up (across the eye line): the inner ends and the skin between them by inner inter-ocular distances,
    the outer ends by outer, in between in proportion along each brow; zeros where both are 0."""
    flow = np.zeros((size, size, 2), np.float32)
    if inner <= 0.0 and outer <= 0.0:
        return flow
    p = np.asarray(points, np.float64)
    origin, along, down, iod = eye_frame(p)
    iod = max(iod, 1e-6)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    s = (xx - origin[0]) * along[0] + (yy - origin[1]) * along[1]
    v = (xx - origin[0]) * down[0] + (yy - origin[1]) * down[1]

    def local(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.asarray(q, np.float64) - origin
        return d @ along, d @ down

    brow_s, brow_v = local(p[list(BROW_LEFT + BROW_RIGHT)])
    order = np.argsort(brow_s)
    line = np.interp(s, brow_s[order], brow_v[order])
    lid_s, lid_v = local(np.array([p[list(lid)].mean(0) for lid in LIDS]))
    lid = np.interp(s, lid_s, lid_v)
    # along the eye line: the inner ends' lift between them, the outer ends' at the outer ends, a ramp between
    left, right = brow_s.min(), brow_s.max()
    inner_left, inner_right = brow_s[len(BROW_LEFT) - 1], brow_s[len(BROW_LEFT)]  # points 21 and 22
    t = np.where(s < inner_left, (inner_left - s) / max(inner_left - left, 1e-6),
                 np.where(s > inner_right, (s - inner_right) / max(right - inner_right, 1e-6), 0.0))
    t = np.clip(t, 0.0, 1.0)
    fade = ENDS * iod
    ends = smoothstep(s, left - fade, left) * (1.0 - smoothstep(s, right, right + fade))
    lift = (inner * (1.0 - t) + outer * t) * ends
    # across it: whole at the brows' points, none at the forehead's top or at the lids' margin
    up = smoothstep(v, line - FOREHEAD * iod, line)
    below = 1.0 - smoothstep(v, line, np.maximum(lid, line + 1.0))
    share = np.where(v < line, up, below)
    # backward: each output px shows the skin below it (the brow moves up)
    flow[:] = (lift * share * iod)[..., None] * down
    return flow
