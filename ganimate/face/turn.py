"""A turned face's sideways motion foreshortened: more on the near side, less on the far side.

Moves the shipped generator learned, and the run time's own, are nearly the same on both halves of a turned face.
But a real face's far half is foreshortened. Lateral motion on its surface (lip corners pulled out, brows drawn in)
shows shorter there, and longer on the near half, which faces the camera. On 1,992 same-person LFW pairs of
training people (OpenFace's points, AU12 < 0.5 against >= 2, the two photos' turn within 0.06 of each other), a
smile's outward corner moves split (near - far) / (near + far) = 1.35 x the turn below (0.31 at a turn of 0.22,
0.57 at 0.44). On 100 held-out faces the edit's split was 0.22 x the turn (dlib's points). So on a
turned face the far lip corner moved up to twice as far as a real smile takes it: a smile dragged the far half of
the mouth out past the cheek's outline, a lopsided grimace (Amber_Tamblyn, Amelie_Mauresmo, looked at).

The turn is read from the 68 points: (a - b) / (a + b), where a and b are the widths from the nose tip to the jaw's
two ends along the eye line. It is 0 frontal, > 0 when the image's left half is the wider (nearer) one. The edit's
flow along the eye line is scaled by 1 + c on the near half and 1 - c on the far half, with c = GAIN x the turn,
capped at CAP (set by measurement: on the 100 held-out faces the edits' split went 0.22 -> 1.32 x the turn, by
dlib, `docs/turn_law_s37.png`). The scale ramps in from the face's midline and is whole RAMP inter-ocular distances
out. It is applied as a second warp after the edit (face/flow.after_flow), so the edit's attention and colour move
with the pixels. Motion across the eye line, such as lifts and drops, is left alone: a turn about the vertical axis
does not foreshorten it.

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import numpy as np

from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.ramp import smoothstep

GAIN = 1.5  # the split added per unit of turn (calibrated: the edits then split as real smiles do)
CAP = 0.7  # at most this split is added (a profile's far corner still moves a little)
RAMP = 0.25  # inter-ocular distances from the midline where the scale is whole (lip corners sit 0.26-0.39 out)
MIDLINE = (27, 33, 51, 57, 8)  # points on the face's midline that stand little out of it (not the nose tip)
NOSE_TIP, JAW_LEFT, JAW_RIGHT = 30, 0, 16


def read_turn(points: np.ndarray) -> float:
    """The face's turn from its 68 points (float (68, 2), any px): (a - b) / (a + b) with a, b the widths from
    the nose tip to the jaw's left and right ends along the eye line; 0 frontal, > 0 when the left half is wider
    (turned towards the image's right), in (-1, 1) for any face that is not in profile."""
    p = np.asarray(points, np.float64)
    along, _ = eye_axes(p)
    left, right = sorted((float(p[JAW_LEFT] @ along), float(p[JAW_RIGHT] @ along)))  # whichever end is which
    tip = float(p[NOSE_TIP] @ along)
    a, b = tip - left, right - tip
    return 0.0 if a + b <= 0.0 else (a - b) / (a + b)


def side_scale(points: np.ndarray, size: int, turn: float) -> np.ndarray:
    """float32 SxS: the factor a lateral move is scaled by at each crop px: 1 + c on the near half, 1 - c on the
    far, c = min(GAIN x |turn|, CAP), ramping from 1 at the midline to whole RAMP inter-ocular distances out.
    points: float (68, 2) crop px."""
    p = np.asarray(points, np.float64)
    along, _ = eye_axes(p)
    c = min(GAIN * abs(turn), CAP)
    mid = float(np.mean(p[list(MIDLINE)] @ along))
    yy, xx = np.mgrid[0:size, 0:size]
    out = (xx * along[0] + yy * along[1] - mid) / (RAMP * float(interocular(p)))  # signed, + to the right
    ramp = np.sign(out) * smoothstep(np.abs(out))
    # turn > 0: the left half (out < 0) is the near one
    return (1.0 - np.sign(turn) * c * ramp).astype(np.float32)


def turn_flow(points: np.ndarray, flow: np.ndarray, turn: float) -> np.ndarray:
    """float32 SxSx2: the backward flow to follow an edit's flow (float32 SxSx2, crop px) so that its moves along
    the eye line are scaled by side_scale: (scale - 1) x the flow's component along that line, along it. All zeros
    on a frontal face. points: float (68, 2) crop px."""
    p = np.asarray(points, np.float64)
    along, _ = eye_axes(p)
    scale = side_scale(p, flow.shape[0], turn)
    lateral = flow[..., 0] * along[0] + flow[..., 1] * along[1]
    extra = ((scale - 1.0) * lateral)[..., None] * along.astype(np.float32)
    return extra.astype(np.float32)
