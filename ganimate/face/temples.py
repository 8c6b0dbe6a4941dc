"""Hair or background beside the brows' outer ends stays where it is while the brows move.

face/forehead.py holds what lies above the brows; beside them nothing held the edit's motion. A frown's flow
pulls the brows down and in, and on faces whose hair hangs at the temples it dragged that hair along: d10's
long hair beside each brow was swirled into waves (the generator's frown flow folds there, and the fold guard
leaves a strong shear), d0's and d18's sideburns bent in. So, read once per face on the input frame: along rows
beside each brow and eye, going out from just past the brow's outer end, the first place where the skin's colour
gives way to something else for a run of px (the forehead's test, face/forehead.departs) is the temple's reach;
the edit's motion fades out beyond it. The rows span from above the brow to below the eye's outer corner, and the
hold fades out above and below them (the forehead's hold, and below the eyes the jaw line's backdrop hold,
face/backdrop.py, take over). A side whose skin runs on to the search's end keeps its motion.

Points: float (68, 2) frame px, read on the input; "out": along the eye line, away from the nose bridge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganimate.face.forehead import RUN, crop_in_frame, departs, eye_frame, first_run, median_along, skin_lab
from ganimate.face.ramp import smoothstep
from ganimate.face.sample import read_at

SIDES = ((17, 36), (26, 45))  # each side's brow outer end and outer eye corner
GAP = 0.05  # inter-ocular distances past the brow's outer end where the search starts (the brow's tail is its own)
SEARCH = 0.5  # inter-ocular distances out from there that are searched
ABOVE, BELOW = 0.25, 0.2  # inter-ocular distances above the brow's end and below the eye's corner that rows span
ROWS = 16  # rows per side
MEDIAN = 5  # rows over which the reach is a running median
FADE = 0.08  # inter-ocular distances inside the reach over which the motion fades out
TAPER = 0.1  # inter-ocular distances above and below the rows over which the hold fades out


@dataclass(frozen=True)
class Temples:
    """Where a face's skin ends beside each brow, in its eye-line frame (origin point 27, along the eyes, down the
    face, px): per side, the rows' v (float64 (ROWS,)), the s where the search starts (its sign: which way is out),
    and per row how far out from there hair or background begins (float64 (ROWS,), inf: none found)."""

    origin: np.ndarray
    along: np.ndarray
    down: np.ndarray
    iod: float
    sides: tuple[tuple[np.ndarray, float, np.ndarray], ...]


def read_temples(image: np.ndarray, points: np.ndarray) -> Temples | None:
    """The face's Temples, read on the input frame (uint8 HxWx3 RGB) at its points; None when the face is too small
    to read or neither side meets hair or background within SEARCH (nothing to hold)."""
    p = np.asarray(points, np.float64)
    origin, along, down, iod = eye_frame(p)
    if iod < 8.0:
        return None
    skin = skin_lab(image, p)
    sides = []
    for brow, eye in SIDES:
        end_s, end_v = (p[brow] - origin) @ along, (p[brow] - origin) @ down
        eye_v = (p[eye] - origin) @ down
        out = float(np.sign(end_s)) or 1.0
        start = end_s + out * GAP * iod
        v = np.linspace(end_v - ABOVE * iod, eye_v + BELOW * iod, ROWS)
        k = np.arange(max(int(round(SEARCH * iod)), 4), dtype=np.float64)  # px out from the start
        ss = start + out * k
        xy = origin[None, None, :] + ss[:, None, None] * along + v[None, :, None] * down  # (px out, rows)
        reach = median_along(first_run(departs(read_at(image, xy), skin, iod), max(int(round(RUN * iod)), 2)), MEDIAN)
        sides.append((v, start, reach))
    if not any(np.isfinite(r).any() for _, _, r in sides):
        return None
    return Temples(origin, along, down, iod, tuple(sides))


def hold_temples(temples: Temples, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """float32, x's shape, in [0, 1]: the share of an edit's motion the frame px (x, y) keeps: none beyond a side's
    reach, whole FADE inside it and towards the face, and whole above and below the rows (faded over TAPER)."""
    dx, dy = np.asarray(x, np.float64) - temples.origin[0], np.asarray(y, np.float64) - temples.origin[1]
    s = dx * temples.along[0] + dy * temples.along[1]
    v = dx * temples.down[0] + dy * temples.down[1]
    hold = np.ones(s.shape, np.float64)
    taper = TAPER * temples.iod
    for rows, start, reach in temples.sides:
        if not np.isfinite(reach).any():
            continue
        out = float(np.sign(start)) or 1.0
        beyond = (s - start) * out  # px out from the search's start
        edge = np.interp(v, rows, np.where(np.isfinite(reach), reach, 1e9))
        keep = 1.0 - smoothstep(beyond, edge - FADE * temples.iod, edge)
        within = smoothstep(v, rows[0] - taper, rows[0]) * (1.0 - smoothstep(v, rows[-1], rows[-1] + taper))
        hold = np.minimum(hold, 1.0 - within * (1.0 - keep))
    return hold.astype(np.float32)


def hold_temples_in_crop(temples: Temples, matrix: np.ndarray, size: int) -> np.ndarray:
    """float32 SxS: hold_temples over the px of the crop that matrix (float (2, 3) frame -> crop) cuts."""
    return hold_temples(temples, *crop_in_frame(matrix, size))
