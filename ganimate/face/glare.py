"""Glare on glasses kept still while the face behind the lenses moves.

A lens's glare is light the glass reflects: it stays with the glasses, which rest on the nose and ears, while
raised brows lift the skin seen through them. The warping edit moved it with the skin, so a highlight under a
raised brow was stretched up to the brow (held-out Alberto_Gonzales, whose rims are too thin at LFW's size to be
traced). Glare adds light to what lies behind it, so it is taken off before the edit as a layer and added back
after at the same place, as a screen over the edit.

Only on a face that wears glasses (glasses.find_glasses, from 30 px between the eyes). Finding it, about each eye
(points: 68 landmarks, frame px), inside the face's outline (a wall beside a temple is bright and grey too) and off
the eyes (so is a sclera): px brighter than the region's middle (CIELAB L*) by LIFT and greyer than it (chroma over
the middle's) by GREY, and near grey (GREY_CHROMA). The layer is each such px's colour above the skin filled in
from the px about it that are no glare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from ganimate.face.box import points_box
from ganimate.face.glasses import SEEN_LENSES, Lenses, Rims, eye_guard, fill_from, find_glasses, hide_rims, read_rims
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.ramp import smoothstep

HALF_WIDTH, HALF_HEIGHT = 0.36, 0.29  # inter-ocular distances: the region about each eye a lens covers (the
DOWN = 0.04  # largest lens glasses.py fits), its centre this far below the eye's
EYES = 0.05  # the eyes (their six points) grown by this are no glare
LIFT = (6.0, 14.0)  # L* above the region's median luminance at which a px starts to count as glare, fully at
GREY = (0.5, 0.85)  # its chroma over the region's median chroma: glare fully below, none above
# and its own chroma (CIELAB): glare is near grey (held-out Alberto_Gonzales's 8.5, Fujimori's rim glints 7-8),
# where a lid lit through the lens is still skin (Calderon's 18: held, it turned to white bars under raised brows)
GREY_CHROMA = (9.0, 14.0)
FILL = 0.06  # inter-ocular distances: the Gaussian the skin under the glare is filled in from
GROW = 0.03  # inter-ocular distances: the Gaussian a highlight's faint rim is taken in by
FILL_SIGMA = 4.0  # px: a wider fill is made smaller (_fill_from)
LEAST = 1.0  # L* summed over the layer (x px): less is no glare


@dataclass(frozen=True)
class Glare:
    """A face's glare: layer float32 (y1 - y0, x1 - x0, 3) RGB 0..255, the light it adds to the frame over box
    (x0, y0, x1, y1); none elsewhere."""

    box: tuple[int, int, int, int]
    layer: np.ndarray


class Glasses(NamedTuple):
    """What a face's glasses are to the run time (read_glasses): rims (glasses.Rims, None: none traced), the lenses
    found (glasses.Lenses, None: none), the glare (None: none) and bare, the frame with the rims painted out
    (glasses.hide_rims; the frame itself where none are), which edit_face edits."""

    rims: Rims | None
    lenses: Lenses | None
    glare: Glare | None
    bare: np.ndarray


def lens_regions(shape: tuple[int, ...], points: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """float32 HxW over box (x0, y0, x1, y1) of an image of shape (H, W, ...): 1 inside the ellipse about each eye
    (HALF_WIDTH x HALF_HEIGHT inter-ocular distances along and across the eye line, centred DOWN below the eye),
    0 outside; points float (68, 2) image px."""
    x0, y0, x1, y1 = box
    along, down = eye_axes(points)
    iod = float(interocular(points))
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    inside = np.zeros((y1 - y0, x1 - x0), bool)
    for eye in (points[36:42], points[42:48]):
        d = np.stack([gx, gy], -1) - (eye.mean(0) + DOWN * iod * down)
        inside |= (d @ along / (HALF_WIDTH * iod)) ** 2 + (d @ down / (HALF_HEIGHT * iod)) ** 2 <= 1.0
    return inside.astype(np.float32)


def _fill_from(region: np.ndarray, free: np.ndarray, sigma: float) -> np.ndarray:
    """glasses.fill_from of region (float32 HxWx3) over its free px (float32 HxW 0..1), made where sigma is
    FILL_SIGMA px and scaled back up where it is wider: the fill is smooth (a face 240 px between the eyes: 4 ms
    instead of 15)."""
    weighted = region * free[..., None]
    scale = min(1.0, FILL_SIGMA / sigma)
    if scale >= 1.0:
        return fill_from(weighted, free, sigma)
    h, w = free.shape
    size = (max(int(round(w * scale)), 3), max(int(round(h * scale)), 3))
    small = cv2.resize(weighted, size, interpolation=cv2.INTER_AREA)
    small_free = cv2.resize(free, size, interpolation=cv2.INTER_AREA)
    return cv2.resize(fill_from(small, small_free, FILL_SIGMA), (w, h), interpolation=cv2.INTER_LINEAR)


def read_glare(image: np.ndarray, points: np.ndarray, worn: bool = False) -> Glare | None:
    """The glare about the eyes of a face in image (uint8 HxWx3 RGB; points float (68, 2) px), None where there is
    none or the face wears no glasses (glasses.find_glasses, down to SEEN_LENSES; worn: already found wearing them,
    by read_rims). Skin's own shine moves with the skin: held, a lit lid kept a white spot where the skin under it
    moved (held-out Andy_Lau). Glare: the px brighter (LIFT) and greyer (GREY) than the region's middle, the eyes
    left out, and a highlight's faint rim about them (GROW), each less the skin filled in under it (a Gaussian of
    FILL inter-ocular distances over the px about that are no glare)."""
    p = np.asarray(points, np.float64)
    iod = float(interocular(p))
    if not worn and find_glasses(image, p, lenses_from=SEEN_LENSES) is None:
        return None
    span = max(HALF_WIDTH, HALF_HEIGHT + DOWN) * iod  # the ellipses turn with the face: a square holds them
    reach = np.concatenate([e.mean(0) + np.array([[-span, -span], [span, span]]) for e in (p[36:42], p[42:48])])
    pad = int(np.ceil(3 * FILL * iod)) + 2
    box = points_box(reach, image.shape, pad)
    x0, y0, x1, y1 = box
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    region = image[y0:y1, x0:x1].astype(np.float32)
    lens = lens_regions(image.shape, p, box)
    local = p - np.array([x0, y0], np.float64)
    lens *= 1.0 - eye_guard(lens.shape, local, EYES).astype(np.float32)
    face = np.zeros(lens.shape, np.uint8)  # a wall beside the temple is bright and grey too: the face's hull only
    cv2.fillConvexPoly(face, cv2.convexHull(np.round(local).astype(np.int32)), 1)
    lens *= face
    if lens.sum() < 8:
        return None
    lab = cv2.cvtColor(region / 255.0, cv2.COLOR_RGB2LAB)
    light, chroma = lab[..., 0], np.hypot(lab[..., 1], lab[..., 2])
    seen = lens > 0
    mid_light, mid_chroma = float(np.median(light[seen])), max(float(np.median(chroma[seen])), 1e-3)
    grey = (1.0 - smoothstep(chroma / mid_chroma, *GREY)) * (1.0 - smoothstep(chroma, *GREY_CHROMA))
    weight = smoothstep(light - mid_light, *LIFT) * grey * lens
    weight = weight.astype(np.float32)
    if float((weight * (light - mid_light)).sum()) < LEAST:
        return None
    # the skin under it from the px about it that are no glare at all: a highlight's faint rim, under LIFT, would
    # lighten the fill and be left behind; the layer reaches as far, fading out
    grow = max(GROW * iod, 1.0)
    near = np.minimum(2.0 * cv2.GaussianBlur((weight > 0.02).astype(np.float32), (0, 0), grow), 1.0) * lens
    free = (near < 0.02).astype(np.float32)
    skin = _fill_from(region, free, max(FILL * iod, 1.0))
    layer = np.maximum(region - skin, 0.0) * np.maximum(weight, near)[..., None]
    return Glare(box, layer.astype(np.float32))


def read_glasses(image: np.ndarray, points: np.ndarray, known: Lenses | None = None) -> Glasses:
    """A face's Glasses in a frame (uint8 HxWx3 RGB; points float (68, 2) px read on it): its rims
    (glasses.read_rims; known: the lenses an earlier frame of its track found) and its glare, read on the frame with
    the rims painted out, as edit_face takes it off: a shining metal rim is no glare (counted as glare, its light
    was taken off the skin painted under it, and a dark trace of it moved with the skin: d9 held shut)."""
    rims, lenses = read_rims(image, points, known)
    bare = hide_rims(image, rims) if rims is not None else image
    return Glasses(rims, lenses, read_glare(bare, points, lenses is not None), bare)


def hide_glare(image: np.ndarray, glare: Glare) -> np.ndarray:
    """A new frame (uint8 HxWx3 RGB): image with the glare's layer taken off; bit-exact outside its box."""
    x0, y0, x1, y1 = glare.box
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(np.round(image[y0:y1, x0:x1].astype(np.float32) - glare.layer), 0, 255).astype(np.uint8)
    return out


def restore_glare(edited: np.ndarray, hidden: np.ndarray, source: np.ndarray, glare: Glare) -> np.ndarray:
    """A new frame (uint8 HxWx3 RGB): the edit of hidden (hide_glare of source, the input frame) with the glare laid
    back at its place as a screen: each px's glare lights the same share of the range left above what lies behind
    it, (source - hidden) / (255 - hidden) of 255 - edited. Where the edit left hidden as it was, the source comes
    back bit-exact; where it brought brighter skin under the glare (a lit lid, skin a raised brow brought out),
    the sum does not blow out to white."""
    x0, y0, x1, y1 = glare.box
    out = edited.copy()
    under, was = hidden[y0:y1, x0:x1].astype(np.float32), source[y0:y1, x0:x1].astype(np.float32)
    now = edited[y0:y1, x0:x1].astype(np.float32)
    share = (was - under) / np.maximum(255.0 - under, 1.0)  # hide_glare only takes light off: was >= under
    lit = now + share * (255.0 - now)
    out[y0:y1, x0:x1] = np.clip(np.round(lit), 0, 255).astype(np.uint8)
    return out
