"""A face's own shut eyes: read where a video's frame shows them (a blink), laid over its eyes where an edit shuts them.

The lid cover (face/lids.py) lays skin inpainted from around the eye and draws a lash line: nobody's own crease or
lashes. On video people blink every few seconds, and a blink shows that person's own shut lids in that light. So
each track remembers the eyes its face showed most shut, each eye on a grid spanned by its corners (SPAN eye widths
about them) with the skin just below it (lids.under_eye_tone) and above its lashes, and a frame whose eyes an edit
shuts has those laid over the cover, a little higher than it (RAISE), faded in over LAY closures. Each is relit by the
ratio of this frame's skin to the remembered frame's, below the eye and above the lid's lashes, blended between the
two down the lid: lit by the under-eye skin alone, a remembered lid's sheen stood out as a pale blob where the head
had turned (d14, looked at).

Which frames are shut: the face's own AU45 as the run time reads it (on d14 the shipped estimator reads the 49 frames
OpenFace calls shut at a median 3.18, 2.7 at the 10th percentile, and its open frames under 0.18). Where: the eye's
corners alone, which a blink does not move; the run-time landmark model reads a shut eye's lids nearly where the open
ones were (d14: lid gap 0.315 of the eye's width on those frames, 0.34 open; OpenFace's points 0.19 and 0.38).

Points: 68 landmarks, float (68, 2) px.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ganimate.face.box import points_box
from ganimate.face.lids import EYES, FEATHER, fit_lid_curves, lid_lines, polygon_mask, under_eye_tone
from ganimate.face.ramp import smoothstep
from ganimate.face.remember import remember_most

SPAN_U = (-0.5, 1.5)  # eye widths along the corners' line the remembered grid spans (0, 1: the corners)
SPAN_V = (-0.9, 0.5)  # and across it, down the face: the crease and lashes above, the lower lid below
SHUT_FROM = 2.5  # the face's own AU45 reading from which its eyes count as shut
LAY = (0.6, 0.85)  # closure over which the remembered eyes fade in over the cover
ABOVE = 0.08  # eye widths: the band above the lid's lashes whose skin relights the remembered lid's top
# the remembered eyes are laid higher than the cover reaches, RAISE eye widths more but no more than BROW_REACH of the
# way from the open lid's edge up to the brow: long lashes (d10's) stood above the cover on the open eye
RAISE = 0.15
BROW_REACH = 0.6


@dataclass(frozen=True)
class ShownLids:
    """A face's shut eyes as one frame showed them: looks, per eye (0 image left, 1 right), float32 (h, w, 3)
    log(RGB + 1) on the grid SPAN_U x SPAN_V eye widths about its corners, at the frame's own resolution; tones, per
    eye, float32 (2, 3) log(RGB + 1) of the skin below the eye and above the lid's lashes then (_tones); shut the
    face's own AU45 reading then."""

    looks: tuple[np.ndarray, np.ndarray]
    tones: tuple[np.ndarray, np.ndarray]
    shut: float


def _grid_size(width: float) -> tuple[int, int]:
    """(rows, columns) of an eye's grid for an eye width px wide: a px a cell, at least 4 x 8."""
    return (max(int(round((SPAN_V[1] - SPAN_V[0]) * width)), 4), max(int(round((SPAN_U[1] - SPAN_U[0]) * width)), 8))


def read_shown_lids(image: np.ndarray, points: np.ndarray, au45: float) -> ShownLids | None:
    """The shut eyes of a face (landmarks float (68, 2) px read on this image, uint8 HxWx3 RGB) whose own AU45
    reading is au45, or None under SHUT_FROM or where the skin about an eye is out of the frame."""
    if au45 < SHUT_FROM:
        return None
    looks, tones = [], []
    for eye in (0, 1):
        curve = fit_lid_curves(points, eye)
        tone = _tones(image, curve, lid_lines(curve, 1.0))
        if tone is None:
            return None
        rows, cols = _grid_size(curve.width)
        u = SPAN_U[0] + (SPAN_U[1] - SPAN_U[0]) * (np.arange(cols) + 0.5) / cols
        v = (SPAN_V[0] + (SPAN_V[1] - SPAN_V[0]) * (np.arange(rows) + 0.5) / rows) * curve.width
        xy = curve.to_image(*np.meshgrid(u, v)).astype(np.float32)
        patch = cv2.remap(np.ascontiguousarray(image), xy[..., 0], xy[..., 1], cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        looks.append(np.log(patch + 1.0).astype(np.float32))
        tones.append(tone)
    return ShownLids((looks[0], looks[1]), (tones[0], tones[1]), float(au45))


def _tones(image: np.ndarray, curve, lines: dict) -> np.ndarray | None:
    """float32 (2, 3) log(RGB + 1) of the median skin below an eye (lids.under_eye_tone) and in a band ABOVE eye
    widths tall above its lid's lashes (the open line of its lids.lid_lines at closure 1, lines), mid-eye, of an
    image; None where either is out of the frame."""
    u = np.linspace(0.2, 0.8, 12)
    top = np.interp(u, *curve.to_local(lines["open"]).T)
    band = np.concatenate([curve.to_image(u, top - ABOVE * curve.width), curve.to_image(u[::-1], top[::-1])])
    x0, y0, x1, y1 = points_box(np.concatenate([band, lines["bottom"], lines["bottom"] + 0.4 * curve.width
                                                * curve.down]), image.shape, pad=2)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    box, offset = image[y0:y1, x0:x1], np.array([x0, y0], np.float64)
    below = under_eye_tone(box, curve, lines, offset)
    inside = polygon_mask(box.shape[:2], band, offset) > 0.5
    if below is None or inside.sum() < 4:
        return None
    above = np.median(box[inside].astype(np.float32), axis=0)
    return np.log(np.stack([below, above]) + 1.0).astype(np.float32)


def remember_lids(memory: ShownLids | None, seen: ShownLids | None) -> ShownLids | None:
    """A track's memory after a frame: the most shut eyes (face/remember.remember_most)."""
    return remember_most(memory, seen, lambda shown: shown.shut)


def lay_shut_eye(image: np.ndarray, points: np.ndarray, eye: int, look: np.ndarray, tones: np.ndarray,
                 weight: float) -> np.ndarray:
    """One eye (0 image left, 1 right) of a face (landmarks float (68, 2) px) in an image (uint8 HxWx3 RGB) laid
    over by a remembered shut eye (look, tones: ShownLids.looks[eye], .tones[eye]) where the lid cover goes
    (lids.lid_lines: from the open lid's lashes, raised by _laid_top, to below the lower lid) and FEATHER eye widths
    beyond, with opacity weight 0..1; relit by this frame's skin over the remembered frame's, below the eye at the
    cover's bottom and above it at its top, blended between: a new frame, unchanged beyond the cover; the same array
    for weight 0."""
    if weight <= 0.0:
        return image
    curve = fit_lid_curves(points, eye)
    lines = lid_lines(curve, 1.0)
    now = _tones(image, curve, lines)
    if now is None:
        return image
    top_line = _laid_top(curve, lines)
    soft = max(FEATHER * curve.width, 0.5)
    x0, y0, x1, y1 = points_box(np.concatenate([top_line, lines["bottom"]]), image.shape,
                                int(np.ceil(3.0 * soft)) + 2)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return image
    offset = np.array([x0, y0], np.float64)
    region = polygon_mask((y1 - y0, x1 - x0), np.concatenate([top_line, lines["bottom"][::-1]]), offset)
    alpha = np.minimum(2.0 * cv2.GaussianBlur(region, (0, 0), soft), 1.0) * weight
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    uv = curve.to_local(np.stack([xx, yy], axis=-1))
    rows, cols = look.shape[:2]
    gu = (uv[..., 0] - SPAN_U[0]) / (SPAN_U[1] - SPAN_U[0]) * cols - 0.5
    gv = (uv[..., 1] / curve.width - SPAN_V[0]) / (SPAN_V[1] - SPAN_V[0]) * rows - 0.5
    laid = cv2.remap(np.asarray(look, np.float32), gu.astype(np.float32), gv.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
    # the gain: the under-eye skin's at the cover's bottom, the skin's above the lashes at its top
    top = np.interp(uv[..., 0], *curve.to_local(lines["open"]).T)
    bottom = np.interp(uv[..., 0], *curve.to_local(lines["bottom"]).T)
    up = np.clip((bottom - uv[..., 1]) / np.maximum(bottom - top, 1e-6), 0.0, 1.0)[..., None]
    gain = (now[0] - tones[0]) + up * ((now[1] - tones[1]) - (now[0] - tones[0]))
    colour = np.exp(laid + gain) - 1.0
    box = image[y0:y1, x0:x1].astype(np.float32)
    a = alpha[..., None].astype(np.float32)
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(np.rint(box + (colour - box) * a), 0, 255).astype(np.uint8)
    return out


def _laid_top(curve, lines: dict) -> np.ndarray:
    """float64 (K, 2) px: the top of where remembered eyes are laid, the cover's (lid_lines' open line) raised by
    RAISE eye widths but no higher than BROW_REACH of the way from the open lid's edge to the brow."""
    open_uv, margin_v = curve.to_local(lines["open"]), curve.to_local(lines["margin"])[:, 1]
    top = open_uv[:, 1] - RAISE * curve.width
    if len(curve.brow):
        brow = np.interp(open_uv[:, 0], curve.brow[:, 0], curve.brow[:, 1])
        top = np.maximum(top, margin_v + BROW_REACH * np.minimum(brow - margin_v, 0.0))
    return curve.to_image(open_uv[:, 0], np.minimum(top, open_uv[:, 1]))


def lay_shut_eyes(image: np.ndarray, points: np.ndarray, shown: ShownLids, closure: float, share: float = 1.0
                  ) -> np.ndarray:
    """Both eyes of a face (landmarks float (68, 2) px) in an image (uint8 HxWx3 RGB) laid over by remembered shut
    eyes (shown), faded in over LAY closures (0..1, the lids' closure), at share (0..1) of that opacity: a new
    frame; the same array under LAY or at share 0."""
    weight = float(smoothstep(closure, *LAY)) * float(np.clip(share, 0.0, 1.0))
    out = image
    for eye in range(len(EYES)):
        out = lay_shut_eye(out, points, eye, shown.looks[eye], shown.tones[eye], weight)
    return out
