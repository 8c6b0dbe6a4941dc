"""A frown's brows slid down over the upper lids, at the frame's own resolution, from the face's 68 landmarks.

The generator lowers a frown's brows -0.032 inter-ocular distances (dlib, 100 held-out faces), where held-out
real frowns at the target's strength lower them -0.084 (training/real_strength.py). Driven harder its flow
saturates (-0.034 with AU04 at the cap), and a smooth flow would have to squeeze the lid's skin, which the fold
guard (face/flow.py) relaxes. Real brows come down over the skin of the upper lid and hide its top. So here the
brows, the skin between them and the forehead above are moved down by the drop, over the lids: below the brows'
lower edge (face/brows.brow_edge, read along each brow on the edited frame, bridged across the glabella) the
frame stays, the top of the lid's skin is covered, and the two meet over ~1 px. The inner brows move most; the
drop fades out up the forehead and towards the brows' outer ends, and stops short of the lids.

Points: float (68, 2) frame px, where the edit left them; "down": perpendicular to the outer eye corners' line.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.box import points_box
from ganimate.face.brows import BROWS, COLUMNS, along_polyline, brow_edges, fit_along
from ganimate.face.forehead import Reach, hold_at
from ganimate.face.landmarks import eye_axes, interocular

INNER = 0.6  # the outer ends' share of the drop; the inner brows take it whole
INNER_SPREAD = 0.6  # inter-ocular distances: the Gaussian from the nose bridge over which the drop rises to whole
ENDS = 0.15  # inter-ocular distances inside each brow's outer end over which the drop fades out
FOREHEAD = 0.35  # inter-ocular distances above the brows over which the forehead's share of the drop fades out
FALLBACK = 0.3  # of the way from a brow's points to its lid: the lower edge where the brow cannot be read
ABOVE_LID = 0.05  # inter-ocular distances the moved edge stays above the lids' points
FEATHER = 0.01  # inter-ocular distances (at least a px) over which the brows' edge meets the lid
_AU04 = AU_NAMES.index("AU04")


def brow_drop(aus_from: np.ndarray, aus_to: np.ndarray, per_unit: float) -> float:
    """Inter-ocular distances the brows slide down from AU intensities aus_from to aus_to (float (17,) 0..5): per_unit
    (config.FROWN_DROP) x the AU04 rise; 0 where AU04 does not rise."""
    return float(per_unit * max(float(aus_to[_AU04]) - float(aus_from[_AU04]), 0.0))


def _edge_points(image: np.ndarray, p: np.ndarray, down: np.ndarray) -> np.ndarray:
    """float64 (2 x COLUMNS, 2): the brows' lower edge (px) read along each brow, smoothed along it (a quadratic);
    FALLBACK of the way to the lid where fewer than half the places can be read."""
    us = np.linspace(0.0, 1.0, COLUMNS)
    out = []
    for brow, lids in BROWS:
        line = along_polyline(p[list(brow)], us)
        to_lid = (p[list(lids)].mean(0) - line) @ down
        edge = brow_edges(image, line, down, to_lid)
        ok = np.isfinite(edge)
        t = fit_along(us, edge, ok) if ok.sum() >= COLUMNS // 2 else FALLBACK * to_lid
        out.append(line + np.clip(t, 0.0, to_lid)[:, None] * down[None])
    return np.concatenate(out)


def lower_brows(image: np.ndarray, points: np.ndarray, drop: float, reach: Reach | None = None) -> np.ndarray:
    """The frame (uint8 HxWx3 RGB) with a face's brows (landmarks float (68, 2) px, where the edit left them) slid
    down drop inter-ocular distances over the upper lids; the same array for drop 0. reach: the face's
    face/forehead.Reach (hair or a hat above the brows, which stays), None: none."""
    p = np.asarray(points, np.float64)
    iod = float(interocular(p))
    if drop <= 0.0 or iod < 1e-6:
        return image
    along, down = eye_axes(p)
    origin = p[27]

    def local(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.asarray(q, np.float64) - origin
        return d @ along, d @ down

    brow_s, brow_v = local(p[17:27])
    edge_s, edge_v = local(_edge_points(image, p, down))
    lid_s, lid_v = local(np.array([p[[37, 38]].mean(0), p[[43, 44]].mean(0)]))
    left, right = brow_s.min(), brow_s.max()
    top = brow_v.min() - FOREHEAD * iod
    corners = np.array([origin + s * along + v * down for s in (left, right) for v in (top, lid_v.max())])
    x0, y0, x1, y1 = points_box(corners, image.shape, pad=2)
    if x1 <= x0 or y1 <= y0:
        return image
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    s, v = local(np.stack([xx, yy], -1))

    def across(ss: np.ndarray, vv: np.ndarray) -> np.ndarray:  # a curve v(s) through samples, held beyond them
        order = np.argsort(ss)
        return np.interp(s, ss[order], vv[order])

    line, edge, lid = across(brow_s, brow_v), across(edge_s, edge_v), across(lid_s, lid_v)
    fade = ENDS * iod
    shift = (drop * iod * (INNER + (1.0 - INNER) * np.exp(-0.5 * (s / (INNER_SPREAD * iod)) ** 2))
             * np.clip((s - left) / fade, 0.0, 1.0) * np.clip((right - s) / fade, 0.0, 1.0))
    shift = np.minimum(shift, np.maximum(lid - ABOVE_LID * iod - edge, 0.0))  # the brows stop short of the eyes
    moved = shift * np.clip(1.0 + (v - line) / (FOREHEAD * iod), 0.0, 1.0)  # the forehead's share fades upwards
    if reach is not None:
        moved = moved * hold_at(reach, xx, yy)
    feather = max(FEATHER * iod, 1.0)
    cover = np.clip((edge + shift - v) / feather + 0.5, 0.0, 1.0) * (shift > 0.0)  # above the moved edge
    mx, my = (xx - moved * down[0]).astype(np.float32), (yy - moved * down[1]).astype(np.float32)
    slid = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    region = image[y0:y1, x0:x1].astype(np.float32)
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(np.rint(region + cover[..., None] * (slid - region)), 0, 255).astype(np.uint8)
    return out
