"""A smile's cheek raise (AU06) as motion of the face's own pixels, composed with the generator's flow.

The warping generator learned its motion from the 68 landmarks (training/au_geometry.py), and none of them lies
on a cheek: it moves a smile's lips and lids but leaves the cheeks where they were. Real smiles bunch the cheeks
up towards the eyes and push the lower lids up: on 80 held-out people, dlib reads the real happy photo's lid gap
-0.016 inter-ocular distances from the neutral one's, the edit -0.011. So each cheek's apple, between the lower
lid, the mouth corner and the jaw beside them, is moved by a smooth bump of backward flow: up by
config.CHEEK_LIFT (0.04 inter-ocular distances) per AU06 unit risen, and out by OUTWARD of that, as zygomaticus
pulls, sparing the nose. The edit's lids then read -0.015. Self-reenactment (80 pairs): AU12 0.665 -> 0.767 of
the real rise, widening 0.785 -> 0.929, way 0.471 -> 0.521. Straight up only: 0.725, 0.843, 0.495; out by the
whole rise pulled noses wide (looked at: a toddler, Obama, s29, LFW).

Since session 30 the lift spares the nose too (not the upper lip below it). Lifted with the apples, the nose's
base rose towards the eyes: on 40 held-out self-reenactment pairs dlib read the nose (bridge to tip) 0.022
inter-ocular distances shorter, where the same people's real smiles shorten it 0.013, a nose squashed up and
flared, a sneer (Ahmed Lopez in heldout_grid.png). Spared: 0.011; on the same pairs AU12 0.882 -> 0.894 of the
real rise, widening 1.11 -> 1.09, way 0.510 -> 0.531, corner lift 0.075 -> 0.079 (real 0.083); the full run's 80
pairs: AU12 0.872 -> 0.887, way 0.564 -> 0.596 (docs/edit_eval_session30.md).

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.ramp import bump, smoothstep

SPREAD = 0.22  # the bump's sigma, inter-ocular distances: the cheek from the lid to the mouth corner
# each apple: the lower lid's middle points, the mouth corner and the jaw point beside them, and their shares
APPLES = (((40, 41), 48, 3), ((46, 47), 54, 13))
SHARES = (0.45, 0.35, 0.2)
OUTWARD = 0.5  # the apple's move out along the eye line, a share of its rise (zygomaticus pulls up and out)
NOSTRILS = (31, 32, 33, 34, 35)
NOSE_GUARD = 0.18  # sigma, inter-ocular distances, of the spared nose about its nostrils
# the same below the nostrils for the lift: the upper lip there still rises with the cheeks (spared as far as the
# nose, a held-out grin's lip rose less, and face/smile_lips.py's stretch, making up the rest over a lip's
# thickness, drew a light line at each mouth corner: Alberto Gonzales)
NOSE_BELOW = 0.06
_AU06 = AU_NAMES.index("AU06")
# A falling AU06 lowers the cheeks the same way (left where they were until session 26: a grin driven to neutral kept
# its bunched cheeks and squinting lower lids; on 150 LFW training people's happy photos driven to their own neutral
# photo's AUs, dlib's lid gap opened +0.008 inter-ocular distances where the real neutral photos' is +0.013 open;
# now +0.014). Falls under these fade out: a reader's AU06 and a label differ by a few tenths on a calm face
FALL_FROM, FALL_FULL = 0.3, 0.8


def cheek_lift(aus_from: np.ndarray, aus_to: np.ndarray, per_unit: float) -> float:
    """Inter-ocular distances (outer eye corners) the cheeks rise from AU intensities aus_from to aus_to (float
    (17,) 0..5): per_unit (config.CHEEK_LIFT) x the AU06 rise; negative where it falls (the cheeks come down), faded
    in over a fall of FALL_FROM to FALL_FULL."""
    rise = float(aus_to[_AU06]) - float(aus_from[_AU06])
    return float(per_unit * rise * (1.0 if rise >= 0.0 else smoothstep(-rise, FALL_FROM, FALL_FULL)))


def apples(points: np.ndarray) -> np.ndarray:
    """float64 (2, 2) the cheeks' apples (px) of a face's landmarks float (68, 2) px, left then right."""
    p = np.asarray(points, np.float64)
    return np.array([SHARES[0] * p[list(lid)].mean(0) + SHARES[1] * p[corner] + SHARES[2] * p[jaw]
                     for lid, corner, jaw in APPLES])


def lift_flow(points: np.ndarray, size: int, lift: float, outward: float = OUTWARD) -> np.ndarray:
    """float32 size x size x 2 backward flow (crop px) that raises each cheek's apple of a face (landmarks float
    (68, 2) crop px) by lift inter-ocular distances along the face's up (across its eye line) and moves it
    outward x that along the eye line, each a Gaussian bump SPREAD of them wide (a negative lift: down and in),
    both fading out over the nose (NOSE_GUARD about its nostrils; the lift only NOSE_BELOW below them); zeros for
    lift 0."""
    flow = np.zeros((size, size, 2), np.float32)
    if lift == 0.0:
        return flow
    p = np.asarray(points, np.float64)
    along, down = eye_axes(p)
    iod = max(float(interocular(p)), 1e-6)
    sigma = SPREAD * iod
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    nx, ny = p[list(NOSTRILS)].mean(0)
    nose = NOSE_GUARD * iod
    # the move spares the nose: the two apples' pulls apart would stretch it wide (looked at: Obama's and a
    # toddler's noses flattened), and their lift squashed it up under the eyes (it shortened twice as much as real
    # smiles' noses do); the lift spares it only NOSE_BELOW under the nostrils, not the lip below
    across = ((xx - nx) * along[0] + (yy - ny) * along[1]) / nose
    tall = (xx - nx) * down[0] + (yy - ny) * down[1]
    spare = 1.0 - np.exp(-0.5 * (across ** 2 + (tall / nose) ** 2))
    spare_lift = 1.0 - np.exp(-0.5 * (across ** 2 + (tall / np.where(tall > 0.0, NOSE_BELOW * iod, nose)) ** 2))
    left, right = (bump(xx, yy, apple, sigma) for apple in apples(p))
    up = np.minimum(left + right, 1.0) * spare_lift  # where the bumps meet (a narrow face) no more than the lift
    apart = outward * spare * (left - right)  # left apple out to the left, right to the right
    # backward: each output px shows the skin below it and nearer the nose (the apple moves up and out)
    flow[:] = lift * iod * (up[..., None] * down + apart[..., None] * along)
    return flow
