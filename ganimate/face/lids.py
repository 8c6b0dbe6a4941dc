"""Closing eyelids over the eyes at the frame's own resolution, from the face's 68 landmarks.

A closing eye is not a smooth motion: the upper lid slides down over the eyeball, so the opening vanishes. A
smooth flow on the generator's coarse grid cannot make that fold (measured: the shipped warping generator keeps
86% of the lid gap when asked for AU45 = 4), and stretching the skin above the eye down over it (a
piecewise-affine fold, tried first) drags the crease, the lashes and the brow into streaks. So the lid is laid
over the eye: the band from the open lid's lashes down to the lid's new edge takes smooth skin inpainted from
around the eye, the lower lid rises to meet it late in the closing, and a soft lash line, in the lashes' own
colour, hangs from the upper lid's edge. What is not covered (the opening left between the two edges,
everything beyond a few px from the eye) stays exactly as it was.

Where a shut eye's lids meet: near the corner line, not at the open lower lid. On the shared clips
(OpenFace's points, frames with AU45 >= 3 against the same clip's open frames, 10 eyes) the closed eye's dark
band is centred at 0.11 of the open lower lid's sag below the corner line (IQR 0.03-0.17), and its bottom lies
at 0.86 of that sag; a lid closed all the way down to the lower lid (tried first) draws a bowl-shaped lash
line under a pale band that dlib still reads as an open eye (lid gap 97% of the input's, 100 LFW people).
The dark band is wide, most of the way down to the open lower lid: the lashes hang from the meeting line
(SHUT_SAG, LASH_WIDTH chosen on 30 LFW people and the 5 clips with blinks, lids alone: dlib's lid gap 69%
on LFW and 35-58% on four of the clips, against 89% and 39-101% for a thin line at 0.15 of the sag).

Eye frame: u runs from the outer-left corner (0) to the right corner (1) of one eye in the image, v is the
distance in px perpendicular to that line, positive down the face. Lid curves are cubics through the two
corners and the lid's two landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.box import points_box
from ganimate.face.corner_frame import CornerFrame, corner_curve, corner_frame
from ganimate.face.mouth import LUMA
from ganimate.face.ramp import smoothstep

# per eye in the image, left to right: corners, the upper and the lower lid's landmarks (left to right), brow
EYES = ((36, 39, (37, 38), (41, 40), tuple(range(17, 22))), (42, 45, (43, 44), (47, 46), tuple(range(22, 27))))

SAMPLES = 27  # points along each lid curve for the polygons (one per ~0.05 eye widths)
LASHES = 0.25  # eye widths of lid margin, lashes and their shadow above the upper lid's landmarks, covered too,
BROW_SHARE = 0.4  # but never more than this share of the way up to the brow: the inpainted skin takes no brow hair
MARGIN_DOWN = 0.03  # eye widths below the lower lid's landmarks the closed lid reaches: no sclera strip left
CORNER = 0.04  # eye widths the cover reaches beyond the lid curves everywhere, the corners too
CORNER_PAST = 0.06  # eye widths the cover runs on past each corner, along the eye line
OUTER_PAST = 0.12  # eye widths more past the outer corner, where the lashes run on beyond the corner's landmark
OUTER_LASHES = 1.0  # share of LASHES the cover keeps above the outer corner and past it
LASH_OUTER = 1.0  # the lash line's least opacity (of LASH_OPACITY) on the outer half, faded out past the corner
# Real shut lids' lash lines thin out to the outer corner; at full width out to it they ended in a blunt bar (portraits
# and clips looked at), so the outer half keeps LASH_END of the mid-lid width; but a line hung less than a px or two
# below the edge only fades in an image (at LFW's 25 px eyes the judges read a thinned line as open: dlib's lid gap
# 72% -> 77%): LASH_MIN px at least
LASH_END = 0.5
LASH_MIN = 1.6
FEATHER = 0.08  # eye widths over which the cover's edge fades into the skin around it
SHUT_SAG = 0.25  # a shut lid's edge sags this share of the open lower lid's sag below the corner line
LASH_WIDTH = 0.08  # Gaussian sigma of a shut lid's lashes hanging below its edge, eye widths (at least 0.6 px)
LASH_OPEN = 0.03  # the same for a lid that has hardly moved
LASH_TOP = 0.6  # of that sigma above the edge: the lid's skin ends sooner than its lashes
# px: the most the line fades over above the lid's edge. The lid's margin is an edge as sharp as the image's; faded
# over 0.6 sigma above it as well as below, a large eye's lash line was a blurred bar (a toddler's portrait)
LASH_EDGE = 1.0
LASH_OPACITY = 1.0  # at the lid's middle; it tapers towards the corners
LASH_CHROMA = 14.0  # CIELAB chroma the lash line's colour keeps at most: lashes and their shadow are nearly grey
COVER_FULL = 0.25  # closure at which the cover and the drawn lashes are whole: below it they fade in
INPAINT_RADIUS = 3  # px, cv2.inpaint's neighbourhood
INPAINT_EYE = 40  # px: the smooth fill is made where the eye is at most this wide, then scaled up
BULGE = 0.6  # share of the cover, from its top, over which its colour moves to the skin tone below the eye
UNDER_EYE = 0.2  # eye widths: the band below the lower lid whose median colour that tone is
GRAIN = 0.06  # eye widths: the band above the cover whose fine grain is mirrored into it
GRAIN_GAIN = 0.5  # of that grain's contrast
# pixels above the cover darker than this share of the under-eye skin's luminance are hair (a low brow over a
# deep-set eye): the inpainting and the grain take no colour from them (the cover still fades over them: kept
# sharp there, the shadow of a deep socket ended in the hard edge of a pale almond). Obama's low brows were
# smeared down over his shut lids as a dark band (looked at)
HAIR_DARK = 0.6


@dataclass(frozen=True)
class LidCurve(CornerFrame):
    """Eye frame of one eye (CornerFrame from its left corner to its right), the coefficients (a, b) of each
    lid's curve (corner_curve) and the brow's points in the eye frame, float64 (5, 2) (u, v) sorted by u."""

    upper: tuple[float, float]
    lower: tuple[float, float]
    brow: np.ndarray
    outer: float = 0.0  # u of the outer corner: 0 for the image-left eye (point 36), 1 for the right (45)

    def to_eye(self, points: np.ndarray) -> np.ndarray:
        return self.to_local(points)


def _cubic_through(u: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """(a, b) of v = u (1 - u) (a + b u) through two points (u float (2,) inside (0, 1), v float (2,))."""
    base = u * (1.0 - u)
    m = np.stack([base, base * u], axis=1)
    if abs(np.linalg.det(m)) < 1e-6 * max(float(np.abs(m).max()), 1e-12) ** 2:  # both points at one u
        return float(np.mean(v / np.maximum(base, 1e-6))), 0.0
    a, b = np.linalg.solve(m, v)
    return float(a), float(b)


def fit_lid_curves(points: np.ndarray, eye: int) -> LidCurve:
    """The lid curves of eye 0 (image left, points 36-41) or 1 (42-47) from float (68, 2) landmarks."""
    left, right, upper, lower, brow = EYES[eye]
    p = np.asarray(points, np.float64)
    frame = corner_frame(p[left], p[right])
    up, lo = frame.to_local(p[list(upper)]), frame.to_local(p[list(lower)])
    upper_fit = _cubic_through(np.clip(up[:, 0], 0.05, 0.95), up[:, 1])
    lower_fit = _cubic_through(np.clip(lo[:, 0], 0.05, 0.95), lo[:, 1])
    brow_uv = frame.to_local(p[list(brow)])
    return LidCurve(frame.origin, frame.along, frame.down, frame.width, upper_fit, lower_fit,
                    brow_uv[np.argsort(brow_uv[:, 0])], float(eye))


def lid_lines(curve: LidCurve, closure: float) -> dict[str, np.ndarray]:
    """Curves of one eye in image px, float64 (SAMPLES, 2) each, from a little beyond one corner to a little
    beyond the other (the dark corners are covered too): 'open' the top of the open eye's lid margin with its
    lashes, 'margin' the open upper lid's edge itself, 'bottom' just below the lower lid (how far the lower
    lid's cover reaches), 'shut' where the lids meet when the eye is shut, 'lid' where the upper lid's edge
    comes to at this closure (0..1) and 'rise' where the lower lid's does (it moves late: closure squared)."""
    past = CORNER_PAST + OUTER_PAST * (1.0 - curve.outer), CORNER_PAST + OUTER_PAST * curve.outer
    u = np.linspace(-past[0], 1.0 + past[1], SAMPLES)
    taper = np.sqrt(np.clip(4.0 * u * (1.0 - u), 0.0, 1.0))
    w = curve.width
    margin = corner_curve(u, curve.upper)
    # the outer half keeps its cover's height out past the corner, over the lashes that run on beyond it
    reach = np.where((u - 0.5) * (curve.outer - 0.5) > 0.0, np.maximum(taper, OUTER_LASHES), taper)
    top = margin - (LASHES * reach + CORNER) * w
    if len(curve.brow):  # v grows down the face: the brow has the smaller v
        brow = np.interp(u, curve.brow[:, 0], curve.brow[:, 1])
        top = np.maximum(top, margin + BROW_SHARE * np.minimum(brow - margin, 0.0))
    lower = corner_curve(u, curve.lower)
    bottom = lower + (MARGIN_DOWN * taper + CORNER) * w
    shut = SHUT_SAG * np.maximum(lower, 0.0)
    c = float(np.clip(closure, 0.0, 1.0))
    lid = margin + c * (shut - margin)
    rise = bottom + c * c * (shut - bottom)
    return {name: curve.to_image(u, v) for name, v in
            (("open", top), ("margin", margin), ("bottom", bottom), ("shut", shut), ("lid", lid), ("rise", rise))}


def polygon_mask(shape: tuple[int, int], polygon: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """float32 HxW coverage of a polygon (float (K, 2) px), anti-aliased at 1/4 px."""
    big = np.zeros((shape[0] * 4, shape[1] * 4), np.uint8)
    pts = np.rint((polygon - offset + 0.5) * 4 * 16 - 0.5 * 16).astype(np.int32)
    cv2.fillPoly(big, [pts], 255, lineType=cv2.LINE_8, shift=4)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _lash_colour(image: np.ndarray, lines: list[np.ndarray], skin: np.ndarray | None = None) -> np.ndarray:
    """float32 (3,) RGB of the lashes: the darkest third of the pixels on the lines (float (K, 2) image px each: the
    open lid's margin and where the lids meet), mid-eye, its CIELAB chroma at most LASH_CHROMA and, given the skin's
    RGB (float (3,)), in the skin's hue: the margin crosses the iris, and a blue one drew a blue lash line (d9, looked
    at). Where the lids meet counts too: on an eye already shut or half shut in the frame the margin the points
    give lies on the lid's skin, and the lashes drawn in that colour washed the eye's own out (d9 held shut)."""
    mid = np.concatenate([line[len(line) // 5: len(line) - len(line) // 5] for line in lines])
    xy = np.clip(np.rint(mid).astype(int), 0, (image.shape[1] - 1, image.shape[0] - 1))
    px = image[xy[:, 1], xy[:, 0]].astype(np.float32)
    dark = px[np.argsort(px.sum(1))[: max(len(px) // 3, 1)]].mean(0)
    lab = cv2.cvtColor((dark / 255.0).reshape(1, 1, 3), cv2.COLOR_RGB2LAB)[0, 0]
    chroma = min(float(np.hypot(lab[1], lab[2])), LASH_CHROMA)
    hue = float(np.arctan2(lab[2], lab[1]))
    if skin is not None:
        rgb = (np.clip(skin, 0, 255).astype(np.float32) / 255.0).reshape(1, 1, 3)
        tone = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[0, 0]
        hue = float(np.arctan2(tone[2], tone[1]))
    lab[1], lab[2] = chroma * np.cos(hue), chroma * np.sin(hue)
    return (cv2.cvtColor(lab.reshape(1, 1, 3), cv2.COLOR_LAB2RGB)[0, 0] * 255.0).astype(np.float32)


def under_eye_tone(box: np.ndarray, curve: LidCurve, lines: dict, offset: np.ndarray) -> np.ndarray | None:
    """float32 (3,) median RGB of the skin in a band UNDER_EYE eye widths tall below the lower lid, mid-eye;
    None when the band falls outside the box."""
    u = np.linspace(0.2, 0.8, 12)
    bottom = np.interp(u, *curve.to_eye(lines["bottom"]).T)
    lower = np.concatenate([curve.to_image(u, bottom), curve.to_image(u[::-1], bottom[::-1] + UNDER_EYE * curve.width)])
    band = polygon_mask(box.shape[:2], lower, offset) > 0.5
    return np.median(box[band].astype(np.float32), axis=0) if band.sum() >= 4 else None


def _inpaint_smooth(box: np.ndarray, hole: np.ndarray, eye_width: float) -> np.ndarray:
    """float32 HxWx3: box (uint8 RGB) with the pixels where hole (uint8 HxW, 1 = unknown) is set filled from
    around them (cv2's Telea inpainting), the rest as it was. The fill is smooth, so it is made at a scale
    where the eye is at most INPAINT_EYE px wide (a 150 px eye: 14x less work) and scaled back up."""
    scale = min(1.0, INPAINT_EYE / max(eye_width, 1e-6))
    if scale >= 1.0:
        return cv2.inpaint(np.ascontiguousarray(box), hole, INPAINT_RADIUS, cv2.INPAINT_TELEA).astype(np.float32)
    h, w = hole.shape
    size = (max(int(round(w * scale)), 3), max(int(round(h * scale)), 3))
    small = cv2.resize(box, size, interpolation=cv2.INTER_AREA)
    small_hole = (cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    filled = cv2.inpaint(small, cv2.dilate(small_hole, np.ones((3, 3), np.uint8)), INPAINT_RADIUS, cv2.INPAINT_TELEA)
    up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return np.where(hole[..., None] > 0, up, box.astype(np.float32))


def _hair_above(box: np.ndarray, tone: np.ndarray | None, above: np.ndarray) -> np.ndarray:
    """uint8 HxW, 1 where a pixel of box (uint8 HxWx3 RGB) above the cover (above: bool HxW) is darker than
    HAIR_DARK of the skin tone's luminance (float (3,) RGB; None: nowhere), grown by a px: brow hair."""
    if tone is None:
        return np.zeros(box.shape[:2], np.uint8)
    dark = (box.astype(np.float32) @ LUMA) < HAIR_DARK * float(np.asarray(tone, np.float32) @ LUMA)
    return cv2.dilate((dark & above).astype(np.uint8), np.ones((3, 3), np.uint8))


def _skin_grain(box: np.ndarray, curve: LidCurve, rel: np.ndarray, top_v: np.ndarray, offset: np.ndarray,
                hair: np.ndarray | None = None) -> np.ndarray:
    """float32 HxWx3: the fine grain (pores, noise) of the skin just above the cover, mirrored down into it
    again and again (a band GRAIN eye widths tall), so the inpainted lid is not smoother than the face;
    rel: the box's pixels in the eye frame, top_v: the cover's top at each pixel's u, offset: the box's corner
    in image px; hair (uint8 HxW, _hair_above): pixels whose grain is not skin's, left out."""
    hp = box.astype(np.float32) - cv2.GaussianBlur(box.astype(np.float32), (0, 0), max(0.02 * curve.width, 0.8))
    if hair is not None:
        hp = hp * (1 - hair)[..., None]
    band = max(GRAIN * curve.width, 1.0)
    d = np.abs(rel[..., 1] - top_v) % (2.0 * band)
    v = top_v - np.where(d < band, d, 2.0 * band - d) - 1.0  # always above the cover's top
    src = (curve.to_image(rel[..., 0], v) - offset).astype(np.float32)  # box px
    return cv2.remap(hp, src[..., 0], src[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def close_eye(image: np.ndarray, points: np.ndarray, eye: int, closure: float) -> np.ndarray:
    """One eye (0 image left, 1 right) of the image (uint8 HxWx3 RGB) closed by `closure`; points: float
    (68, 2) landmarks in image px. The upper lid comes down over the eyeball and the lower lid rises to meet
    it: the band from the open lid's lashes down to the upper lid's new edge, and the one from below the lower
    lid up to its new edge, take the skin around the eye (inpainted from it at the frame's resolution: a
    closed lid is smooth skin), and a soft lash line hangs from the upper lid's edge, out to the outer corner. Under
    a closure of COVER_FULL both fade in. The opening left between the edges stays as it is. Pixels farther than a
    few px from the eye are unchanged."""
    curve = fit_lid_curves(points, eye)
    lines = lid_lines(curve, closure)
    pad = int(np.ceil(3.0 * FEATHER * curve.width)) + INPAINT_RADIUS + 2  # room for the covers' fading edges
    allpts = np.concatenate([lines["open"], lines["bottom"]])
    x0, y0, x1, y1 = points_box(allpts, image.shape, pad)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return image.copy()
    box = image[y0:y1, x0:x1]
    offset = np.array([x0, y0], np.float64)
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    rel = curve.to_eye(np.stack([gx, gy], axis=-1))

    def v_of(name: str) -> np.ndarray:  # the curve's v at each pixel's u
        uv = curve.to_eye(lines[name])
        return np.interp(rel[..., 0], uv[:, 0], uv[:, 1])

    edge_v, rise_v = v_of("lid"), v_of("rise")
    below = rel[..., 1] - edge_v  # px below the upper lid's new edge
    upper = polygon_mask(box.shape[:2], np.concatenate([lines["open"], lines["lid"][::-1]]), offset)
    lower = polygon_mask(box.shape[:2], np.concatenate([lines["rise"], lines["bottom"][::-1]]), offset)
    # each cover fades into the skin beyond it (no drawn outline of the eye) but ends sharp at its lid's edge,
    # which the lash line hides: what is left of the eyeball between the edges stays as it was
    soft = max(FEATHER * curve.width, 0.5)
    halo_up = np.minimum(2.0 * cv2.GaussianBlur(upper, (0, 0), soft), 1.0) * (below < 0.0)
    halo_lo = np.minimum(2.0 * cv2.GaussianBlur(lower, (0, 0), soft), 1.0) * (rel[..., 1] > rise_v)
    cover = np.maximum.reduce([upper, halo_up, lower, halo_lo])
    # inpaint the whole opening (eyeball and lashes unknown), so the skin comes from outside the eye only
    opening = polygon_mask(box.shape[:2], np.concatenate([lines["open"], lines["bottom"][::-1]]), offset)
    hole = cv2.dilate((opening > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8))
    top_v = v_of("open")
    tone = under_eye_tone(box, curve, lines, offset)
    hair = _hair_above(box, tone, rel[..., 1] < top_v)  # brow hair is no source of the lid's skin
    skin = _inpaint_smooth(box, np.maximum(hole, hair), curve.width)
    # a shut lid bulges over the eyeball and catches the light, where the skin above it is often in the shadow
    # of the brow (and that is all the inpainting sees): its colour moves from the inpainted skin at the top
    # to the tone of the skin just below the eye by the lid's middle; the risen lower lid has that tone
    share = (rel[..., 1] - top_v) / np.maximum(edge_v - top_v, 1e-6)  # 0 at the cover's top, 1 at the lid's edge
    t = np.where(below < 0.0, smoothstep(share, 0.0, BULGE), 1.0) * (cover > 0)
    t = t.astype(np.float32)
    inner = (cover > 0.5) & (t > 0.5)
    if tone is not None and inner.any():  # the shift that brings the toned pixels' own mean to the tone
        skin = skin + (tone - skin[inner].mean(0)) * t[..., None]
    skin = skin + GRAIN_GAIN * _skin_grain(box, curve, rel, top_v, offset, hair)
    out = box.astype(np.float32)
    # a barely moved lid keeps its own lashes and crease: taken at once, they left an eye asked to close by a hair
    # (AU45 0.6-1.3, what OpenFace reads on many open eyes) looking half shut (smile removal's neutral targets)
    c = float(np.clip(closure, 0.0, 1.0))
    grown = min(c / COVER_FULL, 1.0)
    out += (skin - out) * (grown * cover)[..., None]
    # the lash line hangs from the upper lid's edge: narrower above it, fading below; the lashes of a lid barely
    # lowered stay thin, those of a shut lid lie over the lower lid, and it fades towards the corners
    sigma = max((LASH_OPEN + (LASH_WIDTH - LASH_OPEN) * c * c) * curve.width, 0.6)
    u = np.clip(rel[..., 0], 0.0, 1.0)
    taper = np.sqrt(4.0 * u * (1.0 - u))  # the lashes are longest mid-lid: the line curves down with them
    # towards the outer corner the lashes run on to it and a little past it, where the cover took the open eye's
    past = (rel[..., 0] - curve.outer) * (2.0 * curve.outer - 1.0)  # eye widths past the outer corner (< 0 inside)
    outer = (rel[..., 0] - 0.5) * (curve.outer - 0.5) > 0.0
    run_on = LASH_OUTER * (1.0 - smoothstep(past, 0.0, max(OUTER_PAST, 1e-6)))
    width = np.where(outer, np.maximum(taper, LASH_END * run_on), taper)
    taper = np.where(outer, np.maximum(taper, run_on), taper)
    top = max(min(LASH_TOP * sigma, LASH_EDGE), 0.5)
    spread = np.where(below < 0.0, top, np.maximum(sigma * width, LASH_MIN))
    inside = ((rel[..., 0] > 0.0) & (rel[..., 0] < 1.0)) | (outer & (past < OUTER_PAST))
    alpha = LASH_OPACITY * taper * np.exp(-0.5 * (below / spread) ** 2) * inside
    alpha *= grown  # and the drawn lashes come in with the cover
    lash = _lash_colour(image, [lines["margin"], lines["shut"]], tone)
    out += (lash - out) * alpha[..., None].astype(np.float32)
    result = image.copy()
    result[y0:y1, x0:x1] = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return result


def close_lids(image: np.ndarray, points: np.ndarray, closure: float) -> np.ndarray:
    """The image (uint8 HxWx3 RGB) with both eyes closed by `closure` (0..1, fraction of the opening) at its own
    resolution; points: float (68, 2) landmarks in image px. closure 0 returns a copy."""
    if closure <= 0.0:
        return image.copy()
    out = image
    for eye in (0, 1):
        out = close_eye(out, points, eye, closure)  # each returns a new image
    return out


def lid_closure(target_au45: float, start: float, full: float) -> float:
    """Fraction of the eyes' present opening a target AU45 intensity closes: 0 up to `start`, 1 from `full`,
    a smoothstep between (both from the shared clips' landmarks, see LidConfig)."""
    return float(smoothstep(target_au45, start, full))


def closure_for(target: np.ndarray, lids, source: np.ndarray | None = None) -> float:
    """The share of the eyes' present opening a face's target AUs (float (17,), AU_NAMES order) close under a
    LidConfig; 0 when lids is None. source: the AUs the face shows (None: not known, its eyes taken as open). An eye
    already part shut by its own AU45 has that part of lid_closure behind it: what is left to close is the rest
    of the way, (c(target) - c(source)) / (1 - c(source)), none where the target closes no further. Laid at
    c(target) over a blinking frame, the lids closed twice (a clip frame asked for its own AUs, read at AU45 2,
    was shut further)."""
    if lids is None:
        return 0.0
    au45 = AU_NAMES.index("AU45")
    asked = lid_closure(float(target[au45]), lids.start, lids.full)
    if source is None:
        return asked
    shown = lid_closure(float(source[au45]), lids.start, lids.full)
    if shown >= 1.0:  # shown shut: the lash line is laid over it only where the target is shut too
        return 1.0 if asked >= 1.0 else 0.0
    return max(asked - shown, 0.0) / (1.0 - shown)
