"""The upper teeth a dropped jaw shows under the upper lip, drawn at the frame's own resolution over the mouth
interior map's cavity.

The map's cavity is a median over hundreds of real open mouths: where one mouth shows the upper teeth's edge and
the next does not, the median is a flat dark maroon. At portrait size a mouth the edit opened was a flat lens with
nothing in it, where the same people's real open mouths (d9, d11, d18 and bill_clinton's widest openings, looked
at) show a pale band of upper teeth under the upper lip. The band is drawn here as a shape in the mouth frame
(face/mouth.py: u from the inner-left corner 0 to the right 1, v px down the face), so its edge stays sharp
however large the mouth, sized in central incisors' widths, the unit the teeth's lines (face/mouth.tooth_lines)
are drawn in. (A tongue drawn the same way, in the lips' colour, read as a thicker lower lip to dlib: the
inner-lip gap of held-out mouth opens fell from +0.151 to +0.117 inter-ocular distances.)
"""

from __future__ import annotations

import numpy as np

from ganimate.face.ramp import smoothstep

# Upper incisors show about 2-3 mm below a relaxed upper lip (Vig and Brundo 1978: 1.9 mm in men, 3.4 in women), a
# central incisor being 8.6 mm wide; a jaw dropped far stretches the lip up further: d11, d18 and bill_clinton's
# widest openings show 0.4-0.7 central incisors' widths. Never more than TEETH_MOST of the opening's height
TEETH_SHOW = 0.55
TEETH_MOST = 0.2
TEETH_SIDE = 0.36  # u from the middle to where the arch turns away (canine to canine) and the band has tapered out
TEETH_EDGE = 0.06  # central incisors' widths over which the teeth's edge meets the dark (at least 0.6 px)
TEETH_SHADE = 0.85  # the teeth's brightness under the upper lip over the smiling map's (a smile lifts the lip off)
SIDE_SHADE = 0.35  # the share of their light the teeth lose where they turn away at the sides
LIP_SHADE = (0.3, 0.5)  # the share of their light the teeth lose at the upper lip, and the band's share it fades over


def _arch(u: np.ndarray, side: float) -> np.ndarray:
    """float, u's shape: an ellipse's height over u (float 0..1 across the mouth), 1 in the middle, 0 from side
    off it."""
    return np.sqrt(np.clip(1.0 - ((u - 0.5) / side) ** 2, 0.0, 1.0))


def lay_upper_teeth(look: np.ndarray, u: np.ndarray, v: np.ndarray, upper: np.ndarray, lower: np.ndarray,
                    central: float, teeth: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """float32 (H, W, 3): a mouth's inside as laid (look: float (H, W, 3) log-RGB over the cheeks) with the upper
    teeth (colour teeth, float (3,) the same log-RGB, TEETH_SHADE darker, darker still at the sides and in the
    lip's shade) under the upper lip, by share 0..1 (the part of the inside that is the map's dropped jaw).
    u: float (H, W) 0..1 across the mouth; v: px down the face in the mouth frame; upper, lower: float (H, W) the
    inner lips' v at u; central: a central incisor's width, px. Also float32 (H, W) 0..1: how much of each pixel
    the teeth cover (they meet the upper lip with no fade of their own: the map's fill fades in over a few px from
    the lips' edges, where a band this thin would be lost)."""
    if share <= 0.0:
        return np.asarray(look, np.float32), np.zeros(np.shape(u), np.float32)
    height = np.maximum(lower - upper, 0.0)
    soft = max(TEETH_EDGE * central, 0.6)
    arch = _arch(u, TEETH_SIDE)
    show = np.minimum(TEETH_SHOW * central, TEETH_MOST * height) * arch
    cover = share * (1.0 - smoothstep((v - upper - show) / soft, -1.0, 1.0)) * smoothstep(show, 0.0, 2.0 * soft)
    under_lip = 1.0 - LIP_SHADE[0] * (1.0 - smoothstep((v - upper) / np.maximum(LIP_SHADE[1] * show, 0.6), 0.0, 1.0))
    lit = np.log(TEETH_SHADE * (1.0 - SIDE_SHADE * (1.0 - arch)) * under_lip)[..., None]
    out = np.asarray(look, np.float32)
    out = out + cover[..., None] * (np.asarray(teeth, np.float32) + lit - out)
    return out.astype(np.float32), cover.astype(np.float32)
