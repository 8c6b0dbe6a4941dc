"""A face's own teeth: read where a frame shows them, and remembered along a video's track.

A face that shows its teeth keeps them when an edit opens its mouth further (face/mouth.jaw_look). On video a
face shows its teeth in some frames and not in others, and in the others an opened mouth took the interior map's
teeth: everyone's median teeth with drawn gaps, a grey grille a few frames away from the person's own white teeth
(angelina_jolie driven by d19's laugh, looked at). So each track remembers the teeth its face showed most plainly,
the latest of equals (the light changes), and a frame that shows them less plainly than KEEP_SEEN is filled with
those. The look is relative to the cheeks, so the remembered teeth take the frame's light. A frame before the face
first shows its teeth still takes the map's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganimate.face.mouth import (
    OWN_GRID,
    OWN_OPEN,
    OwnInside,
    lip_points,
    mouth_opening,
    sample_mouth,
    skin_colour,
    teeth_shown,
    teeth_split,
)
from ganimate.face.ramp import smoothstep
from ganimate.face.remember import remember_most

KEEP_SEEN = 0.5  # a frame showing its teeth at least this plainly (own_teeth) is filled with its own, not a memory


@dataclass(frozen=True)
class ShownTeeth:
    """A face's inside as one frame showed it: look float32 (h, w, 3) log(RGB + 1) over log(cheek RGB + 1) on
    the mouth grid (OWN_GRID); teeth 0..1 how plainly it is teeth (own_teeth); opening the inner-lip
    gap of the lips' tissue points then (mouth_opening of lip_points); split the share of the inside's height its
    upper teeth fill (face/mouth.teeth_split)."""

    look: np.ndarray
    teeth: float
    opening: float
    split: float = 0.5


def read_shown_teeth(image: np.ndarray, points: np.ndarray) -> ShownTeeth | None:
    """The teeth a face (landmarks float (68, 2) px, read on this image) shows in an image (uint8 HxWx3 RGB), or
    None where its lips are shut or its inside is no teeth: its inner lips apart (face/mouth.OWN_OPEN) and the
    middle of its inside teeth by face/mouth.teeth_shown."""
    opening = mouth_opening(points)
    parted = float(smoothstep(opening, *OWN_OPEN))
    if parted <= 0.0:
        return None
    inside, skin = sample_mouth(image, points, OWN_GRID), skin_colour(image, points)
    teeth = parted * teeth_shown(inside, skin)
    if teeth <= 0.0:
        return None
    look = np.log(inside + 1.0) - np.log(skin + 1.0)
    return ShownTeeth(look.astype(np.float32), teeth, mouth_opening(lip_points(points)), teeth_split(look, opening))


def own_teeth(image: np.ndarray, points: np.ndarray) -> float:
    """0..1: how plainly a face (landmarks float (68, 2) px, read on this image) shows its own teeth in an image
    (uint8 HxWx3 RGB); 0 where it shows none (read_shown_teeth)."""
    shown = read_shown_teeth(image, points)
    return 0.0 if shown is None else shown.teeth


def own_inside(shown: ShownTeeth, after: np.ndarray) -> OwnInside:
    """The inside a fill lays (face/mouth.OwnInside) from teeth shown, for a mouth whose lips' tissue points the
    edit carried to after (float (68, 2) px): kept the shown opening over the edited one, at most 1."""
    kept = float(np.clip(shown.opening / max(mouth_opening(after), 1e-6), 0.0, 1.0))
    return OwnInside(shown.look, kept, shown.teeth, shown.split)


def remember_teeth(memory: ShownTeeth | None, seen: ShownTeeth | None) -> ShownTeeth | None:
    """A track's memory after a frame: the reading that shows teeth most plainly (face/remember.remember_most)."""
    return remember_most(memory, seen, lambda shown: shown.teeth)


def teeth_to_keep(seen: ShownTeeth | None, memory: ShownTeeth | None) -> ShownTeeth | None:
    """The teeth a frame's opened mouth is filled with: its own (seen) where it shows them at least KEEP_SEEN,
    else the track's memory where that shows them more plainly, else whatever it shows."""
    if seen is not None and seen.teeth >= KEEP_SEEN:
        return seen
    if memory is not None and (seen is None or memory.teeth > seen.teeth):
        return memory
    return seen
