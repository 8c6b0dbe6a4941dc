"""Raised brows keep their own thickness, at the frame's own resolution, from the face's 68 landmarks.

The warping generator raises a brow by a smooth flow that falls from the brow's lift to nothing at the lid. The
68 points lie along the brow's upper edge, so the lift is whole there, and the fall runs through the brow's
lower half and the few px of skin below it: the brow's lower edge is stretched down with it. On large faces with
heavy brows (Obama at 400 px, the flow's profile: 5.5 crop px of lift falling to 0 over 6 px) a raised brow was
drawn twice as thick, a dark band above the eye.

Here, per brow, the lower edge is found along the brow on the input (where the luminance below the brow's
darkest point climbs back most of the way to the skin's) and on the edited frame (below the brow's points as
the flow carried them). Where the edit's brow came out thicker, the band from the input's thickness down to
the lid is resampled from the edit's band below its own brow edge: the skin between brow and lid starts where
the input's brow ended, and the brow keeps its height. The edges are smoothed along the brow (a quadratic),
blended over FEATHER px and faded out at the brow's ends. At LFW's size nothing measurable changes (40 held-out
faces, brows up: brow-eye +0.0615 -> +0.0616, AU01 +0.511 -> +0.513).

Points: float (68, 2) frame px; "down": perpendicular to the line between the outer eye corners.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.box import points_box
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.mouth import LUMA
from ganimate.face.sample import read_at

BROWS = ((tuple(range(17, 22)), (37, 38)), (tuple(range(22, 27)), (43, 44)))  # each brow and its upper lid
COLUMNS = 24  # places along a brow where its lower edge is read
EDGE_SHARE = 0.6  # the lower edge: where the luminance is back this share of the way from the brow to the skin
CONTRAST = 12.0  # grey levels a brow must be darker than the skin below it to be read at all
FEATHER = 0.01  # inter-ocular distances (at least a px) over which the resampled band blends in at the brow's edge
ENDS = 0.12  # share of the brow at each end over which the change fades out
MIN_RISE = 1.0  # px the carried brow points must rise, on average, for a brow to be looked at
MIN_EXCESS = 1.0  # px the edit's brow must come out thicker somewhere


def along_polyline(points: np.ndarray, u: np.ndarray) -> np.ndarray:
    """float64 (len(u), 2): the polyline through points (float (K, 2)) at u in 0..1 of its vertices' index."""
    s = np.asarray(u) * (len(points) - 1)
    i = np.minimum(s.astype(int), len(points) - 2)
    f = (s - i)[:, None]
    return points[i] * (1.0 - f) + points[i + 1] * f


def fit_along(us: np.ndarray, values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """float64 (len(us),): a quadratic in u through the values read along a brow (float (n,) at us, 0..1; ok: bool
    (n,) where they were read), held at its ends' values beyond the first and last place read and kept within the
    range read. A fit run past the places read bends away: on Obama's left brow, read on its inner 17 of 24
    places, the excess thickness grew from 7.5 px read to 14.5 at the outer end, and the band below it was
    resampled from the lid's crease, a dark smudge over the eye (looked at)."""
    u, v = np.asarray(us, np.float64)[ok], np.asarray(values, np.float64)[ok]
    held = np.clip(us, u.min(), u.max())
    return np.clip(np.polyval(np.polyfit(u, v, 2), held), v.min(), v.max())


def _luminance_below(image: np.ndarray, start: np.ndarray, down: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """float32 (len(ts),): the luminance of image (uint8 or float32 HxWx3) at start + t * down, bilinear."""
    xy = (start[None] + ts[:, None] * down[None]).astype(np.float32)
    rgb = read_at(image, xy)
    return rgb.astype(np.float32) @ LUMA.astype(np.float32)


def brow_edge(luminance: np.ndarray, ts: np.ndarray) -> float:
    """The t (px below the brow's points) of a brow's lower edge from the luminance profile (float (n,)) read at
    ts down to the lid: after the darkest point of the upper half, where the (slightly smoothed) luminance is back
    EDGE_SHARE of the way to the skin's (the 80th percentile of the lower half); nan where no brow stands out
    (CONTRAST) or the profile never climbs back."""
    s = cv2.GaussianBlur(np.asarray(luminance, np.float32).reshape(1, -1), (0, 0), 1.0).ravel()
    half = len(s) // 2
    if half < 2:
        return float("nan")
    k = int(np.argmin(s[:half]))
    dark, skin = float(s[k]), float(np.percentile(s[half:], 80))
    if skin - dark < CONTRAST:
        return float("nan")
    back = np.nonzero(s[k:] > dark + EDGE_SHARE * (skin - dark))[0]
    return float(ts[k + back[0]]) if len(back) else float("nan")


def brow_edges(image: np.ndarray, line: np.ndarray, down: np.ndarray, to_lid: np.ndarray) -> np.ndarray:
    """float64 (len(line),): the brow's lower edge (brow_edge, px along down, a unit float (2,)) below each point of
    the brow line (float (n, 2) px of image, uint8 or float32 HxWx3), read down to the lid (to_lid: float (n,)
    px); nan where it cannot be read."""
    out = np.full(len(line), np.nan)
    for k, (start, length) in enumerate(zip(line, to_lid, strict=True)):
        if length >= 5.0:
            ts = np.linspace(0.0, length, int(length * 3))
            out[k] = brow_edge(_luminance_below(image, start, down, ts), ts)
    return out


def keep_brow_thickness(source: np.ndarray, image: np.ndarray, points: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The edited frame (uint8 HxWx3 RGB) with each raised brow back at the thickness it has in the source frame
    (uint8 HxWx3, before the edit); points: the face's 68 points read on the source, moved: where the edit's flow
    carried them (float (68, 2) frame px). The same array where no brow rose or none came out thicker."""
    p, m = np.asarray(points, np.float64), np.asarray(moved, np.float64)
    iod = float(interocular(p))
    if iod < 1e-6:
        return image
    _, down = eye_axes(p)
    feather = max(FEATHER * iod, 1.0)
    out = image
    us = np.linspace(0.0, 1.0, COLUMNS)
    for brow, lids in BROWS:
        if float(np.mean((p[list(brow)] - m[list(brow)]) @ down)) < MIN_RISE:
            continue
        line_in, line_out = along_polyline(p[list(brow)], us), along_polyline(m[list(brow)], us)
        lid = p[list(lids)].mean(0)  # the lid stays where it was
        to_lid_in, to_lid_out = (lid - line_in) @ down, (lid - line_out) @ down
        edge_in, edge_out = brow_edges(source, line_in, down, to_lid_in), brow_edges(image, line_out, down, to_lid_out)
        ok = np.isfinite(edge_in) & np.isfinite(edge_out)
        if ok.sum() < COLUMNS // 2:
            continue
        # smooth along the brow: one column's read is a px off where a hair or a pore stands out
        edge = fit_along(us, edge_in, ok)
        excess = np.clip(fit_along(us, edge_out - edge_in, ok), 0.0, None)
        if excess.max() < MIN_EXCESS:
            continue
        out = _resample_band(out, line_out, down, to_lid_out, edge, excess, feather)
    return out


def _resample_band(frame: np.ndarray, line: np.ndarray, down: np.ndarray, to_lid: np.ndarray, edge: np.ndarray,
                   excess: np.ndarray, feather: float) -> np.ndarray:
    """A copy of frame (uint8 HxWx3) where, below the brow line (float (COLUMNS, 2) px), rows t in [edge, to_lid]
    take the frame's t + excess x (to_lid - t) / (to_lid - edge), so the skin from edge + excess starts at edge and
    the lid stays; blended in over feather px about the edge, faded out at the brow's ends."""
    corners = np.concatenate([line, line + to_lid[:, None] * down[None]])
    x0, y0, x1, y1 = points_box(corners, frame.shape, pad=2)
    if x1 <= x0 or y1 <= y0:
        return frame
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    chord = line[-1] - line[0]
    span = max(float(np.linalg.norm(chord)), 1e-6)
    u = np.clip(((np.stack([xx, yy], -1) - line[0]) @ chord) / span ** 2, 0.0, 1.0)
    s = u * (len(line) - 1)
    i = np.minimum(s.astype(int), len(line) - 2)
    f = s - i

    def at(values: np.ndarray) -> np.ndarray:
        return values[i] * (1.0 - f) + values[i + 1] * f

    base = line[i] * (1.0 - f)[..., None] + line[i + 1] * f[..., None]
    t = (np.stack([xx, yy], -1) - base) @ down
    lid, e, ex = at(to_lid), at(edge), at(excess)
    shift = ex * np.clip((lid - t) / np.maximum(lid - e, 1e-6), 0.0, None)
    blend = (np.clip((t - e + feather) / (2.0 * feather), 0.0, 1.0) * (t <= lid) * (lid - e > 2.0)
             * np.clip(np.minimum(u, 1.0 - u) / ENDS, 0.0, 1.0))
    mx, my = (xx + shift * down[0]).astype(np.float32), (yy + shift * down[1]).astype(np.float32)
    resampled = cv2.remap(frame, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    out = frame.copy()
    out[y0:y1, x0:x1] = np.clip(np.rint(region + blend[..., None] * (resampled - region)), 0, 255).astype(np.uint8)
    return out
