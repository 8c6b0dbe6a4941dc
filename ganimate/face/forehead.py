"""How far up the forehead an edit may move the face: the skin above the brows, up to hair or a hat.

The generator's flow, and the frown's slide, move the forehead with the brows. Real brows move the skin; hair
lying on the forehead, a hat's brim or a headband stay where they are (held-out LFW: a frown bent a headband's
edge down at its middle and dragged its logo with it). So, read once per face on the input frame: along
columns across the brows, going up from the brows, the first place where the forehead's colour gives way to
something else (darker than the skin, or of another colour; the skin sampled between the inner brows and the
nose bridge, which hardly any fringe or hat covers) for a run of px is the forehead's reach; the edit's motion
fades out below it. A face whose forehead is skin up to the search's top (bald, short hair, a high hairline), or
whose hair is close to its skin's colour, keeps its motion as before.

Points: float (68, 2) frame px, read on the input; "up": perpendicular to the outer eye corners' line.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ganimate.face.align import invert_transform
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.sample import read_at

COLUMNS = 32  # places across the brows (and a little beyond) where the reach is read
BEYOND = 0.1  # inter-ocular distances the columns run past each brow's outer end
SEARCH = 0.6  # inter-ocular distances above the brows that are searched
SKIN = (0.25, 0.75)  # of the way from the inner brows' midpoint to the nose bridge (point 27): the skin's sample
DEPART = 18.0  # CIELAB distance from the skin (lighter counts LIGHTER of it) from which a px is not forehead
LIGHTER = 0.3  # a highlight on the forehead is lighter skin, not hair: lightness above the skin's counts this much
MEDIAN = 5  # columns over which the reach is a running median
RUN = 0.04  # inter-ocular distances of departing px in a row (upwards) that end the forehead
FADE = 0.08  # inter-ocular distances below the reach over which the motion fades out
KEEP = 0.03  # inter-ocular distances above the brows' points where the motion is always whole
START = 0.06  # inter-ocular distances above the brows' points where the search starts (below: the brows' own hair)


@dataclass(frozen=True)
class Reach:
    """Where a face's forehead ends, in its eye-line frame (origin point 27, along the eyes, down the face, px):
    per column s (float64 (COLUMNS,)) the v where hair or a hat begins above the brows (-inf: none found), and the
    brows' line (brow_s, brow_v, float64 (10,), s ascending)."""

    origin: np.ndarray
    along: np.ndarray
    down: np.ndarray
    iod: float
    s: np.ndarray
    v: np.ndarray
    brow_s: np.ndarray
    brow_v: np.ndarray


def eye_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(origin, along, down, iod): the face's eye-line frame, origin at the nose bridge (point 27)."""
    p = np.asarray(points, np.float64)
    along, down = eye_axes(p)
    return p[27], along, down, float(interocular(p))


def read_reach(image: np.ndarray, points: np.ndarray) -> Reach | None:
    """The face's Reach, read on the input frame (uint8 HxWx3 RGB) at its points; None when the face is too small
    to read or no column meets hair or a hat within SEARCH of the brows (nothing to hold)."""
    origin, along, down, iod = eye_frame(points)
    if iod < 8.0:
        return None
    p = np.asarray(points, np.float64)
    bs, bv = (p[17:27] - origin) @ along, (p[17:27] - origin) @ down
    order = np.argsort(bs)
    s = np.linspace(bs.min() - BEYOND * iod, bs.max() + BEYOND * iod, COLUMNS)
    top = np.interp(s, bs[order], bv[order])  # the brows' line, held beyond their ends
    rows = max(int(round(SEARCH * iod)), 4)
    k = np.arange(rows, dtype=np.float64)  # px up from the brows' line
    vv = top[None, :] - k[:, None]
    xy = origin[None, None, :] + s[None, :, None] * along + vv[..., None] * down
    away = departs(read_at(image, xy), skin_lab(image, p), iod) & (k[:, None] >= START * iod)
    first = median_along(np.maximum(first_run(away, max(int(round(RUN * iod)), 2)), START * iod), MEDIAN)
    if not np.isfinite(first).any():
        return None
    return Reach(origin, along, down, iod, s, top - first, bs[order], bv[order])


def skin_lab(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """float32 (3,): the face's skin in CIELAB (OpenCV's float scale: L 0..100), the median of a patch between the
    inner brows and the nose bridge (points float (68, 2) frame px), which a fringe, a hat or hair hardly ever
    covers, read on the frame (uint8 HxWx3 RGB)."""
    p = np.asarray(points, np.float64)
    iod = float(interocular(p))
    mid = p[[21, 22]].mean(0)
    a, b = mid + SKIN[0] * (p[27] - mid), mid + SKIN[1] * (p[27] - mid)
    along = eye_axes(p)[0]
    half = max(0.08 * iod, 1.0)
    ts = np.linspace(0.0, 1.0, 5)
    centres = a[None] + ts[:, None] * (b - a)[None]
    offsets = np.linspace(-half, half, 5)
    where = (centres[:, None, :] + offsets[None, :, None] * along).reshape(-1, 2).astype(np.float32)
    sample = read_at(image, where[None])
    return np.median(cv2.cvtColor(sample.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)[0], axis=0)


def departs(strip: np.ndarray, skin: np.ndarray, iod: float) -> np.ndarray:
    """bool HxW: where the px of strip (uint8 HxWx3 RGB, resampled from the frame) are not the skin's colour
    (skin_lab), smoothed over 0.01 inter-ocular distances: DEPART from it, lighter counting LIGHTER."""
    lab = cv2.cvtColor(strip.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    lab = cv2.GaussianBlur(lab, (0, 0), max(0.01 * iod, 0.6))
    d_light = lab[..., 0] - skin[0]
    d_light = np.where(d_light > 0.0, LIGHTER * d_light, d_light)
    return np.sqrt(d_light ** 2 + (lab[..., 1] - skin[1]) ** 2 + (lab[..., 2] - skin[2]) ** 2) > DEPART


def first_run(away: np.ndarray, run: int) -> np.ndarray:
    """float64 (W,): per column of away (bool HxW, rows going away from the face), the first row of a run of `run`
    True px; inf where there is none."""
    # count them in a window that ends at each row
    counts = cv2.boxFilter(away.astype(np.float32), -1, (1, run), anchor=(0, run - 1), normalize=False,
                           borderType=cv2.BORDER_CONSTANT)
    found = counts >= run - 0.5
    return np.where(found.any(axis=0), found.argmax(axis=0) - (run - 1), np.inf)


def median_along(x: np.ndarray, width: int) -> np.ndarray:
    """x (n,) with each value the median of the width values about it (fewer at the ends): a stray column or two
    neither ends a forehead nor opens one."""
    h = width // 2
    return np.array([np.median(x[max(i - h, 0):i + h + 1]) for i in range(len(x))])


def hold_at(reach: Reach, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """float32, x's shape, in [0, 1]: the share of an edit's motion the frame px (x, y) keeps: whole below the
    reach less FADE and near the brows (KEEP), none at and above the reach."""
    dx, dy = np.asarray(x, np.float64) - reach.origin[0], np.asarray(y, np.float64) - reach.origin[1]
    s = dx * reach.along[0] + dy * reach.along[1]
    v = dx * reach.down[0] + dy * reach.down[1]
    line = np.interp(s, reach.s, np.where(np.isfinite(reach.v), reach.v, -1e9))
    brows = np.interp(s, reach.brow_s, reach.brow_v)
    hold = np.clip((v - line) / max(FADE * reach.iod, 1.0), 0.0, 1.0)
    return np.where(v >= brows - KEEP * reach.iod, 1.0, hold).astype(np.float32)


def crop_in_frame(matrix: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y), float64 SxS each: where each px of the size x size crop that matrix (float (2, 3) frame -> crop)
    cuts lies in the frame."""
    inv = invert_transform(matrix)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    return inv[0, 0] * xx + inv[0, 1] * yy + inv[0, 2], inv[1, 0] * xx + inv[1, 1] * yy + inv[1, 2]


def hold_in_crop(reach: Reach, matrix: np.ndarray, size: int) -> np.ndarray:
    """float32 SxS: hold_at over the px of the crop that matrix (float (2, 3) frame -> crop) cuts."""
    return hold_at(reach, *crop_in_frame(matrix, size))
