"""A smile that rises over lips already parted shows teeth in their opening, as real smiles do.

The mouth fill (face/mouth.py) lays an inside where the edit opens the mouth. A talking face's lips are already
apart, and asked for a smile the warp stretched their own opening wide, tongue and dark cavity and all: an O, not a
smile (d12, d13 and d18's talking frames driven to AU06 2, AU12 3 with their own AU25; the same clips' real smiles
with parted lips, AU12 >= 2 and AU25 >= 1, show their upper teeth in every frame looked at). So a rising AU12
(GRIN_RISE) fills lips parted on the input and left parted by the warp (GRIN_PARTED, the inner-lip gap) with the
smiling inside, where the input's own inside is dark: its brightest tenth over the cheeks' luminance
(inside_light) under GRIN_LIT. Those talking frames' insides read 0.22-0.68; the same clips' real smiles, whose
teeth show, 1.25-1.54, and a talking frame that shows its own teeth in orange light (angelina_jolie) 1.10: teeth
the frame shows stay, moved by the warp (the map's teeth laid over hers came out an orange band).
"""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.light import LUMA
from ganimate.face.mouth import OWN_GRID, mouth_opening, sample_mouth, skin_colour
from ganimate.face.ramp import smoothstep

GRIN_RISE = (0.5, 1.5)  # AU12 rise from which a smile fills parted lips, fully at (a reading's noise stays under)
GRIN_PARTED = (0.06, 0.12)  # inner-lip gap over the inner mouth's width from which the lips count as parted, fully at
GRIN_LIT = (0.8, 1.0)  # the input inside's brightest tenth over the cheeks from which it is left as it is, wholly at
LIT_ROWS = (0.2, 0.8)  # the share of the inside's height read (its middle: the lips' edges blur into it)
_AU12 = AU_NAMES.index("AU12")


def grin_rise(aus_from: np.ndarray, aus_to: np.ndarray) -> float:
    """0..1: how far a change of AU intensities (float (17,) 0..5) is a smile that rises (GRIN_RISE)."""
    return float(smoothstep(float(aus_to[_AU12]) - float(aus_from[_AU12]), *GRIN_RISE))


def inside_light(image: np.ndarray, points: np.ndarray) -> float:
    """The 90th percentile of the luminance inside a face's mouth (landmarks float (68, 2) px, read on the image,
    uint8 HxWx3 RGB), between its inner lips, over its cheeks' luminance: under 0.7 for a dark cavity or a tongue,
    1 and more for teeth."""
    inside = sample_mouth(image, points, OWN_GRID)
    cheek = max(float(skin_colour(image, points).astype(np.float64) @ LUMA), 1.0)
    h = inside.shape[0]
    rows = inside[int(LIT_ROWS[0] * h):max(int(LIT_ROWS[1] * h), int(LIT_ROWS[0] * h) + 1)]
    return float(np.percentile(rows.astype(np.float64) @ LUMA, 90) / cheek)


def grin_weight(rise: float, before: np.ndarray, after: np.ndarray, light: float) -> float:
    """0..1: the fill's opacity for a smile that rises by rise (grin_rise) over lips parted GRIN_PARTED on the input
    and still after the edit (before, after: float (68, 2) px, the lips' tissue points, face/mouth.lip_points, read
    on the input and carried by the edit), where the input's inside is dark (light: its inside_light, GRIN_LIT).
    Lips the input shows together are left to the fill of what the edit opens (face/mouth.fill_weight): a closed
    mouth's seam reads dark too."""
    if rise <= 0.0:
        return 0.0
    parted = smoothstep(min(mouth_opening(before), mouth_opening(after)), *GRIN_PARTED)
    return float(rise * parted * (1.0 - smoothstep(light, *GRIN_LIT)))
