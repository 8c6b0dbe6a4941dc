"""A dropped jaw carries the chin down with the lower lip.

The lower lip sits on the jaw: when the jaw drops (AU26) the lip and the chin go down together. On the shared
clips' own jaw drops (the frame of each of 6 clips that OpenFace reads strongest at AU25 >= 1.5 and AU26 >= 2,
against a calm frame of the same clip; OpenFace's 68 points along the face's vertical, over the inter-ocular
distance) the chin went down +0.140 and the outer lower lip +0.157: the chin follows 0.9 of the lip. The warping
generator, driven to AU25 = AU26 = 3 on the calm frames (dlib's points), took the lower lip +0.182 and the chin
only +0.075: its crop ends about the chin, where the paste's mask keeps little of the flow, so the skin between
lip and chin was squeezed by a fifth of its height and the face left short; and the AU estimator reads a jaw drop
in the lower face as a whole (session 24: the real lower face pasted into a calm
frame reads 0.90 of a real opening, the lips' region alone 0.34).

So for a rising AU26, after the paste and in frame px, the chin is brought down to FOLLOW of the lower lip's drop
where the edit left it short: nothing at and above the lower lip, the whole extra drop from the chin down, a smooth
ramp between (the skin between lip and chin gets its height back), fading out over BELOW under the dropped chin
(the top of the neck it covers) and across the face from the mouth's corners to the jaw's sides.

A jaw that closes is left to the generator: driven the other way (the open frames to the calm frames' AUs) the
lower lip rose -0.121 (real -0.157) and the chin -0.072 (real -0.140), but most of the lip's rise there is laid
by face/lips.py after the warp, so the flow's own lip barely moved and a chin that follows it did not either.

Points: float (68, 2) frame px.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.box import points_box
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.ramp import smoothstep

FOLLOW = 0.9  # the chin's drop over the lower lip's, real jaw drops of the shared clips (0.140 / 0.157)
BELOW = 0.25  # inter-ocular distances under the dropped chin over which the extra drop fades out
RISE = (0.0, 1.0)  # AU26 rise (units) over which the chin's following fades in: lips that only part move no chin
LEAST = 0.5  # frame px: an extra drop under this is left alone
LOWER_LIP = (56, 57, 58)  # the outer lower lip's middle points
CHIN = (7, 8, 9)
_AU26 = AU_NAMES.index("AU26")


def chin_share(aus_from: np.ndarray, aus_to: np.ndarray) -> float:
    """0..1 how far the chin follows the lower lip for AU intensities aus_from -> aus_to (float (17,) 0..5): by the
    AU26 rise (RISE); 0 where the jaw does not drop."""
    return float(smoothstep(float(aus_to[_AU26]) - float(aus_from[_AU26]), *RISE))


def drop_chin(image: np.ndarray, points: np.ndarray, moved: np.ndarray, held: float, share: float) -> np.ndarray:
    """The frame (uint8 HxWx3 RGB) with a face's chin brought down to FOLLOW of its lower lip's drop, by share 0..1
    (chin_share): points float (68, 2) frame px read on the input, moved where the edit's flow carried them, held
    0..1 the share of the chin's carried move the paste kept (its mask there: the generator's crop ends about the
    chin). The same array where the chin is not short of it or share is 0."""
    p, q = np.asarray(points, np.float64), np.asarray(moved, np.float64)
    iod = float(interocular(p))
    if share <= 0.0 or iod < 1e-6:
        return image
    along, down = eye_axes(p)
    lip = float(((q - p)[list(LOWER_LIP)] @ down).mean())
    chin = held * float(((q - p)[list(CHIN)] @ down).mean())  # where the paste left the chin, below its own
    need = share * (FOLLOW * lip - chin)
    if need < LEAST:
        return image
    origin = p[8]
    lip_v = float((q[list(LOWER_LIP)] - origin).mean(0) @ down)  # negative: above the chin
    land, end = chin + need, chin + need + BELOW * iod  # where the chin lands, and where the extra drop ends
    jaw_half = 0.5 * float(np.linalg.norm(p[12] - p[4]))
    mouth_half = min(0.5 * float(np.linalg.norm(q[54] - q[48])), jaw_half - 1.0)
    corners = np.array([origin + s * along + v * down for s in (-jaw_half, jaw_half) for v in (lip_v, end)])
    x0, y0, x1, y1 = points_box(corners, image.shape, pad=2)
    if x1 <= x0 or y1 <= y0:
        return image
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    rel = np.stack([xx, yy], -1) - origin
    v, side = rel @ down, np.abs(rel @ along)
    # output px: from the lower lip (nothing) to where the chin lands (all), then fading under it and across
    moved_by = need * smoothstep(v, lip_v, land) * (1.0 - smoothstep(v, land, end))
    moved_by = moved_by * (1.0 - smoothstep(side, mouth_half, jaw_half))
    mx, my = (xx - moved_by * down[0]).astype(np.float32), (yy - moved_by * down[1]).astype(np.float32)
    out = image.copy()
    # cubic, as the paste: a bilinear resampling of a sub-pixel move visibly softens the skin it moves
    out[y0:y1, x0:x1] = cv2.remap(image, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out
