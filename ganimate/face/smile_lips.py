"""A closed-lip smile's lips stretched as real ones stretch, as motion of the face's own pixels, after the generator's.

The warping generator lifts a smile's mouth corners about as far as real smiles do, but the rest of the lips
barely follow: carried by its flow (40 held-out LFW faces driven to AU06 2, AU12 3), the middle of the upper lip
rises 0.32 of the corners' rise, its inner edge 0.36-0.42 and the lower lip 0.15-0.50, where real closed-lip smiles
raise them 0.44, 0.55-0.60 and 0.49-0.69 (596 same-person pairs of the training crops, LFW photos and clip frames
read by OpenFace at AU12 >= 2 against under 0.5, lips closed in both: AU25 < 1; each lip point's rise along
the face's up after fitting eyes and nose, over the corners' mean rise; both sides pooled, bootstrap sd <= 0.02).
The lips' middle left behind bends them into a deep U, and the upper lip beside the corners, whose outer edge
rose 0.78 of the corners' and its inner edge 0.40, comes out twice as thick: at portrait size a puffed,
lopsided mouth (looked at: a toddler, a girl in three-quarter view). So each lip point is moved, up or down the
face, to its share of where the edit's own corners went, by a smooth field through those points (Gaussian
radial functions, fitted exactly at them) that is zero at the corners, the nose and the jaw; the corners, and
how far the mouth widens, stay the generator's. The upper lip's outer edge and the seam take the real shares.
The inner lips of a closed mouth share one seam: both take the upper inner lip's share (real smiles part them a
little, which a closed input's seam cannot show). The lower lip's outer edge goes halfway from the generator's
share to the real one: at the real share (0.49-0.69) it moved dlib's jaw line on some held-out faces, whose face
hull then took in background (Ferrero: the green court behind him; self-reenactment foreign hue 0.186 ->
0.204%, the pixels the edit made foreign unchanged, 0.08%); left at the generator's, the seam rising over it made
the lower lip fuller (looked at: four held-out faces, the girl).

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.align import estimate_similarity, transform_points
from ganimate.face.corners import forward_moves
from ganimate.face.landmarks import EYE_LEFT, EYE_RIGHT, NOSE, eye_axes, interocular
from ganimate.face.ramp import smoothstep

# share of the corners' rise each lip point rises in a real closed-lip smile (see above); the inner lower lip
# takes the inner upper's: one seam
RISE_SHARE: dict[int, float] = {
    49: 0.67, 50: 0.44, 51: 0.44, 52: 0.44, 53: 0.67,  # upper lip's outer edge
    61: 0.60, 62: 0.55, 63: 0.60, 65: 0.60, 66: 0.55, 67: 0.60,  # the inner lips
    # lower lip's outer edge: halfway between the generator's (0.50, 0.18, 0.15) and the real (0.69, 0.53, 0.49)
    55: 0.60, 56: 0.35, 57: 0.32, 58: 0.35, 59: 0.60,
}
CORNERS = (48, 54)
# points that keep the generator's move: the corners (outer and inner), the nose's base, the jaw below the mouth
ANCHORS = (48, 54, 60, 64, 31, 32, 33, 34, 35, 5, 6, 7, 8, 9, 10, 11)
SPREAD = 0.06  # the radial functions' sigma, inter-ocular distances: about a lip's thickness
RIDGE = 1e-3  # added to the fit's diagonal: a closed mouth's inner lips lie on one another
RISE_FROM, RISE_FULL = 0.01, 0.03  # corners' rise (inter-ocular distances) from which the stretch fades in, whole
OPEN_FROM, OPEN_FULL = 0.5, 1.0  # target AU25 from which the lips count as parted: the stretch fades out (the
# shares were measured on lips closed in both photos, AU25 < 1; from 1.0 self-reenactment's open-mouthed targets
# were stretched too: AU12 0.766 -> 0.757 of the real rise, way 0.520 -> 0.508)
_AU12, _AU25 = AU_NAMES.index("AU12"), AU_NAMES.index("AU25")
_RIGID = list(EYE_LEFT + EYE_RIGHT + NOSE)  # what the shares' pairs were fitted on


def rigid_moves(points: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """float64 (68, 2): moves (float (68, 2) px, how far a flow carries a face's points, float (68, 2) px:
    corners.forward_moves) once the carried face is fitted back onto its eyes and nose (a similarity), as the real
    pairs were: a smile's flow lifts the nostrils and narrows the eyes, which the pairs' fit takes out."""
    p = np.asarray(points, np.float64)
    carried = p + np.asarray(moves, np.float64)
    return transform_points(estimate_similarity(carried[_RIGID], p[_RIGID]), carried) - p


def stretch_share(aus_from: np.ndarray, aus_to: np.ndarray) -> float:
    """0..1: how far a change of AU intensities (float (17,) 0..5) from aus_from to aus_to is a closed-lip smile
    the shares were measured on: AU12 rises, and the target keeps the lips together (AU25 under OPEN_FROM: 1,
    over OPEN_FULL: 0)."""
    if float(aus_to[_AU12]) <= float(aus_from[_AU12]):
        return 0.0
    return float(1.0 - smoothstep(float(aus_to[_AU25]), OPEN_FROM, OPEN_FULL))


def _gauss(a: np.ndarray, b: np.ndarray, sigma: float) -> np.ndarray:
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return np.exp(-0.5 * d2 / sigma ** 2)


def radial_flow(landed: np.ndarray, moves: np.ndarray, sigma: float, size: int) -> np.ndarray:
    """float32 SxSx2 backward flow (crop px, S = size) of the smooth move (Gaussian radial functions, sigma px,
    fitted exactly, up to RIDGE) that carries points to landed (float (K, 2) crop px, where they end up) by moves
    (float (K, 2) px; zero rows hold a point still)."""
    coeffs = np.linalg.solve(_gauss(landed, landed, sigma) + RIDGE * np.eye(len(landed)), moves)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
    field = (_gauss(grid, landed, sigma) @ coeffs).reshape(size, size, 2)
    # backward: each output px shows what lay where the field's move came from
    return (-field).astype(np.float32)


def stretch_flow(points: np.ndarray, flow: np.ndarray, weight: float) -> np.ndarray:
    """float32 SxSx2 backward flow (crop px), to compose after the generator's flow (float32 SxSx2) with
    face/flow.after_flow, that moves each lip point of a face (landmarks float (68, 2) crop px, read on the input)
    along the face's up to RISE_SHARE of its corners' rise under that flow, by weight (0..1, stretch_share); zeros
    where the corners do not rise or weight is 0."""
    size = flow.shape[0]
    extra = np.zeros((size, size, 2), np.float32)
    if weight <= 0.0:
        return extra
    p = np.asarray(points, np.float64)
    _, down = eye_axes(p)
    iod = max(float(interocular(p)), 1e-6)
    carried = forward_moves(p, flow)
    moved = rigid_moves(p, carried)
    rise = -float((moved[list(CORNERS)] @ down).mean())  # px up the face
    weight *= float(smoothstep(rise / iod, RISE_FROM, RISE_FULL))
    if weight <= 0.0:
        return extra
    lips = list(RISE_SHARE)
    shares = np.array([RISE_SHARE[i] for i in lips])
    # how far each point must go down the face (negative: up) to be at its share of the corners' rise
    need = -shares * rise - moved[lips] @ down
    idx = lips + list(ANCHORS)
    delta = np.zeros((len(idx), 2))
    delta[:len(lips)] = need[:, None] * down
    landed = p[idx] + carried[idx] + delta  # where the points land, as corners.corner_flow centres its bump
    return weight * radial_flow(landed, delta, SPREAD * iod, size)
