"""A brow's lower edge, read along it at the frame's own resolution, from the face's 68 landmarks.

The 68 points lie along a brow's upper edge. Its lower edge is found below each of a row of places along it
(where the luminance below the brow's darkest point climbs back most of the way to the skin's) and smoothed
along the brow (a quadratic held at the ends of what was read). face/frown.py slides a frown's brows by it.
(Until session 24 a raised brow stretched thick by the generator's flow was also resampled back to its own
thickness here; the flow now raises the brow whole, face/brow_lift.py.)

Points: float (68, 2) frame px; "down": perpendicular to the line between the outer eye corners.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.mouth import LUMA
from ganimate.face.sample import read_at

BROWS = ((tuple(range(17, 22)), (37, 38)), (tuple(range(22, 27)), (43, 44)))  # each brow and its upper lid
COLUMNS = 24  # places along a brow where its lower edge is read
EDGE_SHARE = 0.6  # the lower edge: where the luminance is back this share of the way from the brow to the skin
CONTRAST = 12.0  # grey levels a brow must be darker than the skin below it to be read at all


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
