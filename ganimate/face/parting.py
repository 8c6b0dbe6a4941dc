"""Lips parted as far as real lips part where AU25 rises, as motion of the face's own pixels, after the generator's.

Asked for a smile with parted lips (AU12 and AU25 together: a laugh, a grin that talks), the warping generator
stretches the lips wide but parts them less than real lips part: on 114 frames of 16 clips with OpenFace AU25 >= 1.5,
each clip's closed-mouth frame driven to the frame's own labels, dlib's inner-lip gap grew 0.76 of what it grew on
the real frames (0.65 where AU25 >= 2.5), and on 80 held-out LFW people driven to their own happy photo's AUs 0.68 of
the real gap. So the inner lips are parted here to real lips' opening at the target's AU25 (face/lips.real_opening)
beyond the source's, where the generator's own opening, counted as the mouth fill shows it (shown_gap), falls short
(topped up, never taken back): the upper lip up by UPPER_SHARE of what is missing and the lower lip with the jaw down
by the rest, most in the middle and none at the corners, each lip as a block that the skin beyond (to the nose,
towards the chin) follows by less and less. Between the lips the inside of the closed mouth is stretched open, as
the generator opens a mouth; the mouth fill (face/mouth.py) lays teeth or the dark inside over it, wherever each
lip's thickness leaves room (pipeline/render.edit_moved_face: at a laugh's peak the generator stretches the lips
apart around their seam, the lips' tissue points stay by it, and the fill read no opening: a pink blob of lip).

Mouth frame (face/mouth.py): u from the inner-left lip corner (60) to the right one (64), v px down the face.
Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.corner_frame import corner_curve
from ganimate.face.corners import forward_moves
from ganimate.face.landmarks import interocular
from ganimate.face.lips import REACH_DOWN, REACH_UP, UPPER_SHARE, real_opening
from ganimate.face.mouth import fit_mouth_frame, keep_lip_thickness, lip_points
from ganimate.face.ramp import smoothstep

RISE_FROM, RISE_FULL = 0.4, 1.0  # rise of AU25 from which the lips are parted at all, by their whole gap at (as a
# falling AU25 closes them, face/lips.py: a reader's AU25 and a label differ by up to 0.3 on one neutral face in ten)
# share of each lip's move the inner edge of its own tissue is stretched over: the band between the lips keeps a
# third of its height or more (the fold guard, face/flow.py, relaxes a flow that squeezes a band under a fifth)
STRETCH = 0.5
_AU25 = AU_NAMES.index("AU25")


def part_gap(aus_from: np.ndarray, aus_to: np.ndarray) -> float:
    """Inter-ocular distances real lips part further from AU intensities aus_from to aus_to (float (17,) 0..5):
    real_opening of the target's AU25 less the source's, faded in over a rise of RISE_FROM to RISE_FULL; 0 where
    AU25 does not rise."""
    before, after = float(aus_from[_AU25]), float(aus_to[_AU25])
    if after - before <= 0.0:
        return 0.0
    return float(smoothstep(after - before, RISE_FROM, RISE_FULL)) * max(real_opening(after) - real_opening(before),
                                                                          0.0)


def _kept_gap(points: np.ndarray, lips: np.ndarray, moved: np.ndarray, opened: np.ndarray) -> float:
    """px between a face's lips' tissue points (lips: lip_points of its landmarks points, float (68, 2)) carried to
    opened and kept to each lip's thickness, its landmarks carried to moved, at the middle, along the mouth's down."""
    kept = keep_lip_thickness(opened, lips, points, moved)
    return float((kept[66] - kept[62]) @ fit_mouth_frame(moved).down)


def shown_gap(points: np.ndarray, flow: np.ndarray) -> float:
    """px the lips of a face (landmarks float (68, 2) crop px, read on the input) show apart at the middle once a
    backward flow (float32 SxSx2 crop px; zeros: the input's own gap) has carried them, as the mouth fill opens lips
    asked to part (pipeline/render.edit_moved_face): between the lips' tissue points (lip_points) carried and kept
    to each lip's thickness (face/mouth.keep_lip_thickness: a flow that stretches the lips opens the fill beyond
    them)."""
    p = np.asarray(points, np.float64)
    lips = lip_points(p)
    return _kept_gap(p, lips, p + forward_moves(p, flow), lips + forward_moves(lips, flow))


def part_flow(points: np.ndarray, flow: np.ndarray, gap: float) -> np.ndarray:
    """float32 SxSx2 backward flow (crop px), to compose after the generator's flow (float32 SxSx2) with
    face/flow.after_flow, that parts the inner lips of a face (landmarks float (68, 2) crop px, read on the input)
    by what the generator's flow leaves short of gap inter-ocular distances more than the input's own gap, at the
    mouth's middle (less towards the corners: 4u(1 - u)); zeros where nothing is short or gap is 0."""
    size = flow.shape[0]
    extra = np.zeros((size, size, 2), np.float32)
    if gap <= 0.0:
        return extra
    p = np.asarray(points, np.float64)
    iod = max(float(interocular(p)), 1e-6)
    lips = lip_points(p)
    both = np.concatenate([p, lips])  # the landmarks and the lips' tissue points, carried in one pass
    carried, opened = np.split(both + forward_moves(both, flow), [len(p)])
    frame = fit_mouth_frame(carried)  # the lips where the generator left them: the extra flow works on its output
    need = gap * iod - (_kept_gap(p, lips, carried, opened) - _kept_gap(p, lips, p, lips))
    if need <= 0.0:
        return extra
    thick_up = max(float((carried[62] - carried[51]) @ frame.down), 0.0)  # each lip moves as a block this thick
    thick_down = max(float((carried[57] - carried[66]) @ frame.down), 0.0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    u, v = np.moveaxis(frame.to_local(np.stack([xx, yy], -1)), -1, 0)
    inside = np.clip(u, 0.0, 1.0)
    share = 4.0 * inside * (1.0 - inside)  # 0 at (and past) the corners, 1 in the middle
    up, down = UPPER_SHARE * need * share, (1.0 - UPPER_SHARE) * need * share
    top, bottom = corner_curve(u, frame.upper), corner_curve(u, frame.lower)
    # output px between these show the lips' inner tissue and the seam stretched open (face/mouth.py fills it)
    band_top, band_bottom = top - (1.0 + STRETCH) * up, bottom + (1.0 + STRETCH) * down
    # backward, along the face's down: above the band the upper lip and the skin above show what lay `up` lower
    # (fading beyond the lip's thickness), below it the lower lip what lay `down` higher; across it, between
    t = np.clip((v - band_top) / np.maximum(band_bottom - band_top, 1e-6), 0.0, 1.0)
    across = up + t * (-down - up)
    above = up * (1.0 - smoothstep(band_top - v, thick_up, thick_up + REACH_UP * iod))
    below = -down * (1.0 - smoothstep(v - band_bottom, thick_down, thick_down + REACH_DOWN * iod))
    along_down = np.where(v < band_top, above, np.where(v > band_bottom, below, across))
    return (along_down[..., None] * frame.down).astype(np.float32)
