"""Glasses kept still while the face behind them moves: their rims found, the face edited without them, laid back.

Glasses rest on the nose and ears; raised brows and a smile's cheeks move the skin behind them, not the frames.
The warping edit moved the face's pixels, rims included: raised brows bent the top rims up into the brows, a
smile's cheeks pushed the bottom rims up (looked at: d9's round metal rims, a bald man with gold frames at
portrait size). So a face that wears glasses has its rims found on the input, painted out (filled from the skin
about them), edited, and the input's rim pixels laid back over the edit: the frames stay where they were and as
they were.

Finding them, on the input frame (points: 68 landmarks, frame px):
- thin lines, dark or bright (a metal rim shines): the luminance against its morphological closing and opening
  over 0.015 inter-ocular distances, thinner than a brow, so a brow's edge does not pass for a rim;
- a bridge across the nose between the inner eye corners: the row whose weakest column is strongest;
- a lens about each eye: the superellipse (centre, half width and height, squareness), one shape mirrored for
  both eyes, along which the lines are strongest (their 40th percentile, so most of the outline must be there),
  the eyes themselves left out;
- the rims traced along that outline, each point moved across it to the strongest line within 0.05 inter-ocular
  distances, smoothed along it, kept where the line is strong, and the bridge between the two lenses.
A face counts as wearing glasses when the bridge scores at least BRIDGE_FROM grey levels and the lenses
LENSES_FROM (docs/glasses.md: the wearers found and missed). Faces under MIN_IOD are left as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ganimate.face.box import points_box
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.sample import read_at

LINE = 0.015  # inter-ocular distances: the widest line (half) the ridge filter answers to; a brow is wider
EYE_GUARD = 0.04  # the eyes (their six points) grown by this are no lens
TRACE_GUARD = 0.02  # and grown by this more, no rim: room for the eye points' error (a rim is seldom closer)
BRIDGE_FROM, LENSES_FROM = 4.5, 5.0  # grey levels the bridge and the lenses must reach
KNOWN_FROM = 3.0  # and the lenses a face was already found wearing
# faces smaller than this (inter-ocular px) are left as they are: their rims are a px wide, under the traced
# mask's 3 px, and a frown's brows slid under the held rims left a step (LFW at 51-56 px, looked at)
MIN_IOD = 60.0
KNOWN_IOD = 50.0  # and down to this for a face already found wearing them: a face about 60 px across would come
# and go
SEEN_IOD = 30.0  # glasses are looked for (not their rims traced) down to this: their glare is held (face/glare.py)
# and with lenses down to this: a rimless lens's edge is faint, the bridge tells (held-out Alberto_Gonzales: bridge
# 9.5, lenses 4.6; no face of 40 held-out ones without glasses reached a bridge of 2.6)
SEEN_LENSES = 4.0
SHAPES = (2.0, 3.0, 5.0)  # superellipse exponents: an ellipse to a rounded rectangle
HALF_WIDTH = (0.20, 0.36)  # a lens's half width, inter-ocular distances
HALF_HEIGHT = (0.13, 0.29)
OUTWARD = (-0.02, 0.08)  # its centre beyond the eye's, away from the nose
DOWNWARD = (-0.02, 0.10)  # and below it
FIT_SAMPLES = 64  # points along each lens the fit reads
SHARE = 40.0  # the percentile of the lines along both lenses that scores a fit
TRACE_SAMPLES = 180  # points along each lens the rims are traced at
REACH = 0.05  # inter-ocular distances across the outline a rim is looked for
STEP_COST = 2.0  # grey levels a traced rim pays per px it moves across the outline between neighbouring points
ANCHOR = 0.5  # grey levels a traced rim pays per px it lies off the fitted outline
GAP = 1.0 / 6.0  # share of an outline a weak stretch may span and still be bridged
KEEP = 0.35  # of the traced lines' 75th percentile: weaker stretches are no rim (a rimless lens's edge)
RIM = 0.01  # inter-ocular distances: the traced rim's half thickness (at least 1 px)


@dataclass(frozen=True)
class Rims:
    """A face's glasses: mask uint8 (y1 - y0, x1 - x0), 1 on the rims and bridge, over box (x0, y0, x1, y1) of
    the frame; thickness: the rims' half thickness in px."""

    box: tuple[int, int, int, int]
    mask: np.ndarray
    thickness: int


def rim_thickness(iod: float) -> int:
    """The traced rims' half thickness in px (RIM inter-ocular distances, at least 1 px) for a face iod px across."""
    return max(int(round(RIM * iod)), 1)


def ridge_map(luminance: np.ndarray, radius: int) -> np.ndarray:
    """float32 HxW: how much darker or brighter each px of luminance (float32 HxW) is than its surroundings, for
    lines up to 2 radius + 1 px wide (the larger of black-hat and white-hat); 0 on flat skin."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    dark = cv2.morphologyEx(luminance, cv2.MORPH_CLOSE, k) - luminance
    bright = luminance - cv2.morphologyEx(luminance, cv2.MORPH_OPEN, k)
    return np.maximum(dark, bright).astype(np.float32)


def _read(ridges: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """float32 (...,): ridges read at float (..., 2) px (bilinear, 0 outside)."""
    return read_at(np.asarray(ridges, np.float32), xy, outside=0.0)


def bridge_strength(ridges: np.ndarray, points: np.ndarray) -> tuple[float, float]:
    """(grey levels, y px): the strongest line crossing the nose between the inner eye corners (points 39, 42),
    from above the bridge (0.25 inter-ocular distances over point 27) to point 29: per row, its weakest of nine
    columns over the middle 40% between the corners; the best row."""
    p = np.asarray(points, np.float64)
    iod = float(interocular(p))
    a, b = p[39], p[42]
    xs = a[0] + np.linspace(0.3, 0.7, 9) * (b[0] - a[0])
    ys = np.arange(p[27, 1] - 0.25 * iod, max(p[29, 1], p[27, 1] - 0.25 * iod + 1.0), 1.0)
    v = _read(ridges, np.stack(np.broadcast_arrays(xs[None, :], ys[:, None]), axis=-1)).min(axis=1)
    i = int(np.argmax(v))
    return float(v[i]), float(ys[i])


@dataclass(frozen=True)
class Lenses:
    """Each lens's shape (float64 (2, 5), left eye first: exponent, half width, half height, and its centre beyond
    the eye's, outward and downward, all but the exponent in inter-ocular distances); score: the lines' SHARE
    percentile along both, grey levels."""

    params: np.ndarray
    score: float


def lens_outlines(points: np.ndarray, params: np.ndarray, samples: int) -> np.ndarray:
    """float64 (L, 2, samples, 2) px: the outlines of L candidate lens pairs about the two eyes of a face (points
    float (68, 2) px), left eye first; params float (L, 5) one shape mirrored for both eyes, or (L, 2, 5) one per
    eye (exponent, half width, half height, outward, downward)."""
    p = np.asarray(points, np.float64)
    along, down = eye_axes(p)
    iod = float(interocular(p))
    t = np.linspace(0.0, 2.0 * np.pi, samples, endpoint=False)
    lz = np.asarray(params, np.float64)
    if lz.ndim == 2:
        lz = np.repeat(lz[:, None, :], 2, axis=1)
    out = []
    for side, (eye, away) in enumerate(((p[36:42].mean(0), -along), (p[42:48].mean(0), along))):
        q = lz[:, side]
        e = 2.0 / q[:, 0:1]
        ux = np.sign(np.cos(t)) * np.abs(np.cos(t)) ** e  # (L, samples)
        uy = np.sign(np.sin(t)) * np.abs(np.sin(t)) ** e
        centre = eye + iod * (q[:, 3:4, None] * away + q[:, 4:5, None] * down)  # (L, 1, 2)
        out.append(centre + iod * ((q[:, 1:2] * ux)[..., None] * away + (q[:, 2:3] * uy)[..., None] * down))
    return np.stack(out, axis=1)


def _scores(ridges: np.ndarray, points: np.ndarray, params: np.ndarray, side: int | None = None) -> np.ndarray:
    """float (L,): the lines' SHARE percentile along each candidate lens pair (lens_outlines' params), or along
    one lens of it (side 0 left, 1 right)."""
    lines = _read(ridges, lens_outlines(points, params, FIT_SAMPLES))
    if side is not None:
        lines = lines[:, side]
    return np.percentile(lines.reshape(len(params), -1), SHARE, axis=1)


def fit_lenses(ridges: np.ndarray, points: np.ndarray, start: np.ndarray | None = None) -> Lenses:
    """The lenses along which the lines (ridges float32 HxW, the eyes zeroed) are strongest, for a face (points
    float (68, 2) px): one shape mirrored on a coarse grid, then each lens on finer grids about it (a head turned
    shows one lens narrower); from start (Lenses.params of an earlier frame) the finer grids only."""
    ranges = (HALF_WIDTH, HALF_HEIGHT, OUTWARD, DOWNWARD)
    steps = np.array([(hi - lo) / 4.0 for lo, hi in ranges])
    if start is None:
        axes = [np.linspace(lo, hi, 5) for lo, hi in ranges]
        cand = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 4)
        cand = cand[cand[:, 1] <= cand[:, 0]]
        grid = np.concatenate([np.repeat(SHAPES, len(cand))[:, None], np.tile(cand, (len(SHAPES), 1))], axis=1)
        best = np.repeat(grid[int(np.argmax(_scores(ridges, points, grid)))][None], 2, axis=0)
    else:
        best = np.array(start, np.float64)
    shifts = np.stack(np.meshgrid(*[np.array([-1.0, 0.0, 1.0])] * 4, indexing="ij"), axis=-1).reshape(-1, 4)
    for scale in (0.5, 0.25, 0.125):
        for side in (0, 1):
            trial = np.repeat(best[None], len(shifts), axis=0)
            trial[:, side, 1:] += shifts * steps * scale
            best = trial[int(np.argmax(_scores(ridges, points, trial, side)))]
    return Lenses(best, float(_scores(ridges, points, best[None])[0]))


def _best_paths(values: np.ndarray, step_cost: float, reach: int) -> np.ndarray:
    """int (L, n): for each of L tables (values float (L, n, K)) one column per row maximising their sum less
    step_cost per column moved between neighbouring rows, at most reach columns (dynamic programming)."""
    count, n, k = values.shape
    penalty = step_cost * np.abs(reach - np.arange(2 * reach + 1))[:, None]  # window j reads column c + j - reach
    score = values[:, 0].astype(np.float64)
    back = np.zeros((count, n, k), np.int64)
    padded = np.full((count, k + 2 * reach), -np.inf)
    cols, rows = np.arange(k), np.arange(count)[:, None]
    window = np.arange(2 * reach + 1)[:, None] + cols[None, :]  # (2 reach + 1, k) into padded
    for i in range(1, n):
        padded[:, reach:reach + k] = score
        cand = padded[:, window] - penalty  # (L, 2 reach + 1, k)
        j = np.argmax(cand, axis=1)
        back[:, i] = cols + j - reach
        score = cand[rows, j, cols] + values[:, i]
    path = np.zeros((count, n), np.int64)
    path[:, -1] = np.argmax(score, axis=1)
    for i in range(n - 1, 0, -1):
        path[:, i - 1] = back[rows[:, 0], i, path[:, i]]
    return path


def _fill_gaps(keep: np.ndarray, longest: int) -> np.ndarray:
    """bool (n,) around a closed outline: keep with every run of False no longer than longest set True (a rim
    under a glint or a hair is still there; a rimless lens's long edge is not)."""
    if keep.all() or not keep.any():
        return keep.copy()
    start = int(np.argmax(keep))  # roll so the outline starts on a kept point
    rolled = np.roll(keep, -start)
    out = rolled.copy()
    i = 0
    while i < len(rolled):
        if not rolled[i]:
            j = i
            while j < len(rolled) and not rolled[j]:
                j += 1
            if j - i <= longest:
                out[i:j] = True
            i = j
        else:
            i += 1
    return np.roll(out, start)


def eye_guard(shape: tuple[int, ...], points: np.ndarray, grow: float) -> np.ndarray:
    """uint8 HxW (shape's first two), 1 on both eyes (their six points, float (68, 2) px) grown by grow
    inter-ocular distances (at least 1 px)."""
    guard = np.zeros(shape[:2], np.uint8)
    for eye in (points[36:42], points[42:48]):
        cv2.fillConvexPoly(guard, np.round(eye).astype(np.int32), 1)
    r = max(int(round(grow * float(interocular(points)))), 1)
    return cv2.dilate(guard, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))


def trace_rims(ridges: np.ndarray, points: np.ndarray, lenses: Lenses, bridge_y: float) -> np.ndarray:
    """uint8 HxW (ridges' shape), 1 on the rims: each lens's outline moved across itself onto the lines within
    REACH along one smooth path (a px moved across costs STEP_COST grey levels), never onto the eyes (grown by
    EYE_GUARD + TRACE_GUARD), kept where the line is strong (KEEP) with short weak stretches bridged (GAP), drawn
    RIM thick; and the bridge, a bar at bridge_y (px) between the two lenses' points nearest the top of the nose
    (point 27)."""
    p = np.asarray(points, np.float64)
    iod = float(interocular(p))
    # a lens outline passing near an eye snapped onto its lid and iris, and those input pixels laid back over a
    # closed lid kept that eye open (a man in gold frames whose eye points sat low, looked at)
    ridges = ridges * (1 - eye_guard(ridges.shape, p, EYE_GUARD + TRACE_GUARD))
    outlines = lens_outlines(p, lenses.params[None], TRACE_SAMPLES)[0]  # (2, n, 2)
    offsets = np.arange(-REACH * iod, REACH * iod + 1e-6, 0.5)
    tangent = np.roll(outlines, -1, axis=1) - np.roll(outlines, 1, axis=1)
    normal = np.stack([tangent[..., 1], -tangent[..., 0]], axis=-1)
    normal /= np.maximum(np.linalg.norm(normal, axis=-1, keepdims=True), 1e-9)
    across = _read(ridges, outlines[:, :, None, :] + offsets[None, None, :, None] * normal[:, :, None, :])
    # a line away from the fitted outline must be stronger to be taken (the lids' creases run beside it)
    steps = _best_paths(across - ANCHOR * np.abs(offsets), STEP_COST * 0.5, 4)
    traced = outlines + offsets[steps][..., None] * normal  # (2, n, 2)
    strength = _read(ridges, traced)
    floor = KEEP * float(np.percentile(strength, 75))
    mask = np.zeros(ridges.shape[:2], np.uint8)
    thick = 2 * rim_thickness(iod) + 1
    for path, line in zip(traced, strength, strict=True):
        keep = _fill_gaps(line >= floor, int(GAP * len(path)))
        joined = np.flatnonzero(keep & np.roll(keep, -1))  # point i joined to i + 1
        if len(joined):
            px = np.round(path).astype(np.int32)
            cv2.polylines(mask, list(np.stack([px[joined], px[(joined + 1) % len(px)]], axis=1)), False, 1, thick)
    ends = [path[np.argmin(((path - p[27]) ** 2).sum(axis=1))] for path in traced]
    cv2.line(mask, (int(round(ends[0][0])), int(round(bridge_y))), (int(round(ends[1][0])), int(round(bridge_y))),
             1, thick)
    return mask


@dataclass(frozen=True)
class Worn:
    """Glasses found on a face: their lenses, the thin lines (ridge_map) they were found on over box (x0, y0,
    x1, y1) of the frame, the face's points in that box (float (68, 2)) and the bridge's row there."""

    lenses: Lenses
    ridges: np.ndarray
    box: tuple[int, int, int, int]
    local: np.ndarray
    bridge_y: float


def find_glasses(image: np.ndarray, points: np.ndarray, known: Lenses | None = None,
                 least_iod: float = SEEN_IOD, lenses_from: float = LENSES_FROM) -> Worn | None:
    """The glasses a face wears in an image (uint8 HxWx3 RGB), its landmarks float (68, 2) px read on it; None
    when it wears none: bridge under BRIDGE_FROM or lenses under lenses_from, a face smaller than least_iod or
    eyes outside the image. known: the lenses an earlier frame of the same face found; then the lenses are
    refitted from them and kept down to KNOWN_FROM, where a bowed head hides the bridge (d9)."""
    p = np.asarray(points, np.float64)
    iod = float(interocular(p))
    if iod < least_iod:
        return None
    eyes = p[36:48]
    pad = (max(HALF_WIDTH[1] + OUTWARD[1], HALF_HEIGHT[1] + DOWNWARD[1]) + REACH + 0.05) * iod
    x0, y0, x1, y1 = points_box(np.concatenate([eyes - pad, eyes + pad, p[27:30]]), image.shape)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    local = p - (x0, y0)
    lum = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    ridges = ridge_map(lum, max(int(round(LINE * iod)), 1))
    bridge, bridge_y = bridge_strength(ridges, local)
    if bridge < BRIDGE_FROM and known is None:
        return None
    off_eyes = ridges * (1 - eye_guard(ridges.shape, local, EYE_GUARD))
    lenses = fit_lenses(off_eyes, local, None if known is None else known.params)
    if lenses.score < (lenses_from if known is None else KNOWN_FROM):
        return None
    return Worn(lenses, ridges, (x0, y0, x1, y1), local, bridge_y)


def read_rims(image: np.ndarray, points: np.ndarray, known: Lenses | None = None) -> tuple[Rims | None,
                                                                                          Lenses | None]:
    """(Rims, Lenses) of a face's glasses in an image (uint8 HxWx3 RGB), its landmarks float (68, 2) px read on
    it; (None, None) when it wears none (find_glasses) or is smaller than MIN_IOD. known: the lenses an earlier
    frame of the same face found (find_glasses); then a face is looked at down to KNOWN_IOD."""
    worn = find_glasses(image, points, known, MIN_IOD if known is None else KNOWN_IOD)
    if worn is None:
        return None, None
    mask = trace_rims(worn.ridges, worn.local, worn.lenses, worn.bridge_y)
    if not mask.any():
        return None, None
    return Rims(worn.box, mask, rim_thickness(float(interocular(points)))), worn.lenses


def fill_from(weighted: np.ndarray, free: np.ndarray, sigma: float) -> np.ndarray:
    """float32 HxWx3: each px the mean of the free px about it, from weighted (float32 HxWx3: a region's colours times
    free, float32 HxW 0..1), a Gaussian of sigma px normalised by how much of it is free."""
    weight = cv2.GaussianBlur(free, (0, 0), sigma)[..., None]
    return cv2.GaussianBlur(weighted, (0, 0), sigma) / np.maximum(weight, 1e-3)


def hide_rims(image: np.ndarray, rims: Rims) -> np.ndarray:
    """A new frame (uint8 HxWx3 RGB) with the rims painted out: each rim px the mean of the px about it that are
    no rim (a Gaussian of twice the rims' thickness, normalised by how much of it is not rim); the rest as it was."""
    x0, y0, x1, y1 = rims.box
    region = image[y0:y1, x0:x1].astype(np.float32)
    free = (rims.mask == 0).astype(np.float32)
    fill = fill_from(region * free[..., None], free, max(2.0 * rims.thickness, 1.5))
    out = image.copy()
    painted = np.where(free[..., None] > 0, region, fill)
    out[y0:y1, x0:x1] = np.clip(np.round(painted), 0, 255).astype(np.uint8)
    return out


def restore_rims(image: np.ndarray, source: np.ndarray, rims: Rims) -> np.ndarray:
    """A new frame (uint8 HxWx3 RGB): image with the source's (the input frame's) rim pixels laid back over it,
    whole on the rims (where hide_rims painted), feathered over a px beyond them; bit-exact outside the rims' box."""
    x0, y0, x1, y1 = rims.box
    mask = rims.mask.astype(np.float32)
    alpha = np.maximum(mask, cv2.GaussianBlur(mask, (0, 0), 0.7))[..., None]
    out = image.copy()
    region = image[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(np.round(region + alpha * (source[y0:y1, x0:x1].astype(np.float32) - region)),
                                0, 255).astype(np.uint8)
    return out
