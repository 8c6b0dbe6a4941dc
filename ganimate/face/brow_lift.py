"""A raised brow moves whole, the lid's margin, lashes and crease stay, and the plain skin between them stretches.

The warping generator raises a brow by a smooth flow (64 px, upsampled) that falls from the brow's lift to
nothing somewhere about the lid. Real brows and lids are not plain skin: the brow's hair moves as one, the lid's
margin, its lashes and its crease stay with the eye, and the plain skin between them stretches. On large faces
the generator's fall ran through the brow's lower half, the lid's crease and the lashes: lashes were combed up
into long streaks (d10, d11, d14), a brow's lower edge or a lid's crease was drawn out into a second, fainter
brow or a dark band (d18, s29, Obama).

So, per brow, in columns along the eye line over the brow's and the eye's span, the flow between the brow's
points and the upper lid's margin (on the input, and where the flow carries them on the output) is rewritten:
the input's column between them is laid out again between the carried ends, each step of it stretched by its
share of the brow's rise in proportion to how plain it is (as light as the column's skin, SKIN, read on the
frame at its own resolution; smoothed across the columns; away from both ends, BROW_END and LID_END), so hair,
lashes and creases keep their height and move whole. Where there is little plain skin (a heavy brow close over
its lid) it is stretched at most MOST more and the rest of the rise spreads evenly. At both ends the rewritten
flow equals the generator's (no seam); at the span's ends it fades back over FADE; a brow that does not rise (a
frown, a still face) is left alone, faded in over RISE.

Where a column has too little plain skin for the rise (a dark brow right over a lid in shadow: putin, al_pacino,
held-out Ahmed_Lopez), stretching its dark drew a thick black band from brow to lashes; on the shared clips the
brow-to-lid column lightens as real brows rise (its mean in 11 of 13 clips, its darkest place in 10). So the stretch
that the plain skin cannot take goes between brow and lid, and each px stretched past its length shows, by the
share it is new (SHOWN of it), the column's plain skin (bring_out_skin); not below a hat or a fringe (no skin just
above the brow's points, ABOVE).

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from ganimate.face.align import invert_transform, transform_points
from ganimate.face.forehead import eye_frame
from ganimate.face.mouth import LUMA
from ganimate.face.paste import CROP_TO_CROP, advect_points, crop_region
from ganimate.face.ramp import smoothstep
from ganimate.face.sample import read_at

# each brow's points and its upper lid's margin, eye corners included
SIDES = ((tuple(range(17, 22)), (36, 37, 38, 39)), (tuple(range(22, 27)), (42, 43, 44, 45)))
SKIN = (14.0, 5.0)  # grey levels under the column's skin (its 95th percentile) from which a place is plain: none..all
BROW_END, LID_END = (0.1, 0.3), (0.8, 0.95)  # shares of the gap where the plain skin begins, and where it ends
MOST = 1.5  # the most the plain skin is stretched: its length x (1 + MOST)
PLAIN_FLOOR = 0.03  # the stretch's share a place of hair or crease still takes
FADE = 0.06  # inter-ocular distances beyond the span's ends over which the rewrite fades out
RISE = (0.3, 0.8)  # crop px the brow's points rise, on average, over which the rewrite fades in
STEP = 0.5  # crop px between the columns, and between the rows, that are laid out
LAYOUT = 65  # places down each column where its luminance is read
SHOWN = 0.5  # the share of a stretched dark px's new part that shows the column's plain skin (1: all of it read
# as grey paint over a dark brow, held-out Ahmed_Lopez)
ABOVE = (0.02, 0.06)  # inter-ocular distances above the brow's points where the forehead's skin is looked for
ABOVE_PLACES = 5  # places read there
ACROSS = 0.04  # inter-ocular distances (a Gaussian's sigma) over which the columns' plainness is smoothed


def plainness(profile: np.ndarray) -> np.ndarray:
    """float64 (..., n) in 0..1: how plain each place of a column's luminance profile (float (..., n)) is, by how
    near its lightness is to the column's skin (its 95th percentile): hair, a crease, lashes are darker (SKIN)."""
    skin = np.percentile(profile, 95, axis=-1, keepdims=True)
    return smoothstep(profile, skin - SKIN[0], skin - SKIN[1])


def lay_out(source: np.ndarray, plain: np.ndarray, length, room: np.ndarray | None = None) -> np.ndarray:
    """float64 (..., n): where the places of a column (source: float (..., n) ascending, from 0) land over an output
    of this length (float or float (...,)), each step stretched (or squeezed) in proportion to its plainness
    (float (..., n) > 0); a rise too big for the plain skin goes over the places in proportion to room (float
    (..., n) > 0; evenly when None)."""
    steps = np.diff(source, axis=-1)
    total = steps.sum(-1, keepdims=True)
    length = np.asarray(length, np.float64)[..., None]
    share = 0.5 * (plain[..., 1:] + plain[..., :-1]) * steps
    extra = length - total
    # the plain skin stretched at most MOST times its own length more: a brow close over its lid (Obama) has a px
    # or two of it, and the rest of the rise goes over the gap (by room) rather than into streaks of that skin
    short = np.maximum(np.abs(extra) / MOST - share.sum(-1, keepdims=True), 0.0)
    spare = steps if room is None else 0.5 * (room[..., 1:] + room[..., :-1]) * steps
    share = share + short * spare / np.maximum(spare.sum(-1, keepdims=True), 1e-9)
    sizes = steps + extra * share / np.maximum(share.sum(-1, keepdims=True), 1e-9)
    even = steps * length / np.maximum(total, 1e-9)  # where a step would be squeezed to nothing
    sizes = np.where(np.any(sizes <= 0.1 * steps, axis=-1, keepdims=True), even, sizes)
    return np.concatenate([np.zeros_like(sizes[..., :1]), np.cumsum(sizes, -1)], -1)


def _smooth(values: np.ndarray, sigma: float) -> np.ndarray:
    """float64 values (n, ...) smoothed along axis 0 by a Gaussian of sigma places (ends held)."""
    if sigma < 0.5 or len(values) < 2:
        return values
    r = int(np.ceil(3.0 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([np.repeat(values[:1], r, 0), values, np.repeat(values[-1:], r, 0)])
    return sum(k * padded[i:i + len(values)] for i, k in enumerate(kernel))


class BrowLift(NamedTuple):
    """A face's edit with its raised brows laid out: flow, float32 SxSx2 backward displacement in crop px; reveal,
    float32 SxS 0..1 crop px, how much of each output px is skin the lift brought out from under a dark brow (a
    share of the px); tone, float32 SxSx3 0..255 RGB, that skin's colour (the column's plain skin)."""

    flow: np.ndarray
    reveal: np.ndarray | None = None
    tone: np.ndarray | None = None

    def held(self, hold: np.ndarray) -> BrowLift:
        """The same lift with no skin brought out where the flow is held (hold: float32 SxS in [0, 1])."""
        return self if self.reveal is None else self._replace(reveal=self.reveal * hold)


def lift_brows(points: np.ndarray, flow: np.ndarray, frame: np.ndarray, matrix: np.ndarray) -> BrowLift:
    """The backward flow (float32 SxSx2 crop px) of a face's edit with each rising brow's lift taken by the plain skin
    between brow and lid (the same array where no brow rises, with reveal and tone None), and where a dark column
    with too little plain skin for the rise was stretched, how much of each px is new skin and its colour. points:
    the face's 68 landmarks on the input, float (68, 2) crop px; frame: the input frame (uint8 HxWx3 RGB), read at
    its own resolution for what is plain; matrix: float (2, 3) frame -> crop."""
    p = np.asarray(points, np.float64)
    f = np.asarray(flow, np.float32)
    origin, along, down, iod = eye_frame(p)
    if iod < 1e-6:
        return BrowLift(f)
    to_frame = invert_transform(matrix)

    def rgb(xy: np.ndarray) -> np.ndarray:  # the frame's colour at crop px xy, float (..., 2) -> float64 (..., 3)
        at = transform_points(to_frame, xy.reshape(-1, 2)).reshape(xy.shape)
        return read_at(frame, at).astype(np.float64)

    out, reveal, tone = f, None, None
    for brow, lid in SIDES:
        ends = list(brow) + list(lid)
        moved = advect_points(p[ends], f, CROP_TO_CROP, iterations=4)
        rise = float(np.mean((p[list(brow)] - moved[:len(brow)]) @ down))
        weight = float(smoothstep(rise, *RISE))
        if weight > 0.0:
            if reveal is None:
                reveal, tone = np.zeros(f.shape[:2], np.float32), np.zeros(f.shape[:2] + (3,), np.float32)
            out = _rewrite(out, rgb, (p[ends], moved), len(brow), (origin, along, down), iod, weight, (reveal, tone))
    return BrowLift(out, reveal, tone)


def _rewrite(flow: np.ndarray, rgb, ends: tuple[np.ndarray, np.ndarray], n_brow: int, axes,
             iod: float, weight: float, revealed: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """flow (float32 SxSx2) rewritten for one brow, as lift_brows, and its px's reveal and tone written into revealed
    (float32 SxS, SxSx3: BrowLift's). rgb: crop px (float (..., 2)) -> the input's colour there; ends: the brow's
    points then its lid's (the first n_brow the brow's), float (k, 2) crop px on the input and carried onto the
    output; axes: the eye-line frame (origin, along, down: float (2,) each); iod: the inter-ocular distance, crop
    px."""
    origin, along, down = axes
    fade = max(FADE * iod, 1.0)

    def line(points: np.ndarray):  # (s, v) of points, ascending s
        s, v = (points - origin) @ along, (points - origin) @ down
        order = np.argsort(s)
        return s[order], v[order]

    def px(s, v):  # crop px of (s, v), float (..., 2)
        return origin + np.asarray(s)[..., None] * along + np.asarray(v)[..., None] * down

    before, after = ends
    bs_in, bv_in = line(before[:n_brow])
    ls_in, lv_in = line(before[n_brow:])
    bs_out, bv_out = line(after[:n_brow])
    ls_out, lv_out = line(after[n_brow:])
    s0, s1 = min(bs_out.min(), ls_out.min()) - fade, max(bs_out.max(), ls_out.max()) + fade
    size = flow.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    s_px = (xx - origin[0]) * along[0] + (yy - origin[1]) * along[1]
    v_px = (xx - origin[0]) * down[0] + (yy - origin[1]) * down[1]
    columns = np.arange(s0, s1 + STEP, STEP)
    column = np.clip(np.rint((s_px - s0) / STEP).astype(int), 0, len(columns) - 1)
    top_out, low_out = np.interp(columns, bs_out, bv_out), np.interp(columns, ls_out, lv_out)
    top_in, low_in = np.interp(columns, bs_in, bv_in), np.interp(columns, ls_in, lv_in)
    across = np.clip((columns - s0) / fade, 0.0, 1.0) * np.clip((s1 - columns) / fade, 0.0, 1.0)
    ok = (low_in - top_in >= 2.0) & (low_out - top_out >= 2.0)
    # per column and place down it (a share t of the input's gap), how plain the skin is; smoothed across the
    # columns (each column's own reading notched a brow where its neighbour's hair ended, d18)
    ts = np.linspace(0.0, 1.0, LAYOUT)
    gap_in, gap_out = np.maximum(low_in - top_in, 1e-6), np.maximum(low_out - top_out, 1e-6)
    # read on down from just above the brow's points (ABOVE): the column's places are the last LAYOUT
    rows = np.concatenate([top_in[:, None] - np.linspace(ABOVE[1], ABOVE[0], ABOVE_PLACES)[None] * iod,
                           top_in[:, None] + ts[None] * gap_in[:, None]], 1)
    whole = rgb(px(columns[:, None], rows))
    lum = whole @ LUMA
    plain = _smooth(plainness(lum[:, -LAYOUT:]), ACROSS * iod / STEP)
    # how dark each place is against the skin just above the brow or below it, and the colour of that skin, which a
    # dark column stretched past its plain skin brings out; none where the brow has no skin above it (a hat or a
    # fringe over the brows is not a brow to lift off its lid)
    light = _smooth(plainness(lum), ACROSS * iod / STEP)
    skin = (light[..., None] * whole).sum(1) / np.maximum(light.sum(1), 1e-6)[:, None]
    bare, seen = light[:, :-LAYOUT].mean(1), light[:, -LAYOUT:]
    # the brow's points may lie on skin above its hair, the lid's crease close over its margin: the skin that
    # stretches lies between, away from both ends
    prior = smoothstep(ts, *BROW_END) * (1.0 - smoothstep(ts, *LID_END))
    plain = np.maximum(plain * prior, PLAIN_FLOOR)
    # a rise too big for the plain skin goes between brow and lid, not into the brow's hair or the lashes
    room = np.maximum(prior, PLAIN_FLOOR)
    # where each place lands on the output, as a share u of its gap: each step stretched by its plainness
    lands = lay_out(ts[None] * gap_in[:, None], plain, gap_out, room) / gap_out[:, None]
    out = flow.copy()
    mine = ok[column] & (v_px > top_out[column]) & (v_px < low_out[column]) & (across[column] > 0.0)
    if not mine.any():
        return out
    j, v = column[mine], v_px[mine]
    u = (v - top_out[j]) / gap_out[j]
    k = np.clip((lands[j] <= u[:, None]).sum(1) - 1, 0, LAYOUT - 2)  # u lies between places k and k + 1
    lo, hi = lands[j, k], lands[j, k + 1]
    t = ts[k] + (ts[k + 1] - ts[k]) * np.clip((u - lo) / np.maximum(hi - lo, 1e-9), 0.0, 1.0)
    read_v = top_in[j] + t * gap_in[j]  # the input row each output px shows
    f_top = read_at(flow, px(columns[j], top_out[j])).astype(np.float64)
    f_low = read_at(flow, px(columns[j], low_out[j])).astype(np.float64)
    along_flow = (f_top @ along) * (1.0 - t) + (f_low @ along) * t
    rewritten = along_flow[:, None] * along + (read_v - v)[:, None] * down
    share = (weight * across[j])[:, None]
    out[mine] = (flow[mine] + share * (rewritten - flow[mine])).astype(np.float32)
    # a column with too little plain skin for the rise stretches its dark (brow, shadowed lid) past its length:
    # real raised brows bring lighter skin out from under the brow there (the shared clips' brow-to-lid column
    # lightens as the brows rise, its darkest place too), so each stretched px is that share new skin
    stretch = (hi - lo) * gap_out[j] / np.maximum((ts[k + 1] - ts[k]) * gap_in[j], 1e-9)
    dark = 1.0 - (seen[j, k] + (seen[j, k + 1] - seen[j, k]) * (t - ts[k]) / (ts[k + 1] - ts[k]))
    new = share[:, 0] * bare[j] * dark * np.clip(1.0 - 1.0 / np.maximum(stretch, 1e-9), 0.0, 1.0) * SHOWN
    reveal, tone = revealed
    reveal[mine] = np.maximum(reveal[mine], new)
    tone[mine] = skin[j]
    return out


def bring_out_skin(image: np.ndarray, lift: BrowLift, matrix: np.ndarray) -> np.ndarray:
    """uint8 HxWx3 RGB: the edited frame (image) with the skin a brow's lift brought out (lift.reveal, lift.tone,
    crop px) laid over it at its share; image itself where there is none. matrix: float (2, 3) frame -> crop."""
    if lift.reveal is None or not np.any(lift.reveal > 0.0):
        return image
    region = crop_region(matrix, lift.reveal.shape[0], image.shape)
    if region is None:
        return image
    (x0, y0, x1, y1), shifted = region
    # the tone is laid weighted by the reveal, so px at the reveal's edge take no colour from beyond it
    maps = np.dstack([lift.reveal, lift.tone * lift.reveal[..., None]]).astype(np.float32)
    laid = cv2.warpAffine(maps, shifted, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0.0)
    w = laid[..., :1]
    tone = laid[..., 1:] / np.maximum(w, 1e-6)
    out = image.copy()
    part = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(np.rint(part + w * (tone - part)), 0, 255).astype(np.uint8)
    return out
