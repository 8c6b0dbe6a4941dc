"""Parted lips brought together, at the frame's own resolution, from the face's 68 landmarks.

Most portraits smile with their teeth showing, and many videos talk. Driven to a closed mouth (a falling AU25), the
warping generator barely moves the lips: on 80 held-out people's happy photos driven to their own neutral photo's
AUs, the edit's AU12 fell 0.37 of the real fall, and every grin kept its teeth (looked at). A smooth flow cannot
close a mouth: the lips would have to slide over the teeth, a fold the fold guard (face/flow.py) relaxes. So the
lips are moved here, after the warp: the upper lip comes down and the lower lip up, each as a block that the skin
above (to the nose) and below (towards the chin) follows by less and less, and what showed between them is
squeezed into the opening that is left: nothing, once the mouth is shut, where a thin shadow marks where the lips
meet. How far they close follows real lips, which part far less than in proportion to AU25 (close_share); a slit
too thin to show anything but a dashed line of teeth is shut, and teeth the inner-lip points fall short of count
as the opening (opening_beyond).

Mouth frame (face/mouth.py): u runs from the inner-left lip corner (point 60) to the right one (64), v is the
distance in px perpendicular to that line, positive down the face; the inner lips are corner curves through their
three points.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.box import points_box
from ganimate.face.corner_frame import corner_curve
from ganimate.face.landmarks import interocular
from ganimate.face.mouth import fit_mouth_frame
from ganimate.face.ramp import smoothstep
from ganimate.face.sample import read_at

UPPER_SHARE = 0.4  # of the gap the upper lip closes; the lower lip (with the jaw) the rest
# A lip stretched thin over the teeth relaxes as it closes: its wet inner edge comes the whole way, its outer edge
# (the vermilion border) this share of it, and the skin beyond follows the border. Moved as a block (1.0 until
# session 26), grins driven to their own neutral photo's AUs ended with thin lips pressed into a line: on 150 LFW
# training people's happy photos (dlib's points, inter-ocular distances down the face) the upper lip's border came
# down +0.047 and the lower one's up -0.024, where their real neutral photos' are at +0.039 and -0.013; at 0.5
# +0.043 and -0.015, the upper lip thickening +0.005 -> +0.008 and the lower -0.005 -> -0.001 (real +0.018,
# +0.009; 0.3 thickened a portrait's upper lip into a pale band, looked at)
OUTER_FOLLOW = 0.5
OUTER_UPPER, OUTER_LOWER = (49, 50, 51, 52, 53), (59, 58, 57, 56, 55)  # the outer lips' points, left to right
REACH_UP = 0.3  # inter-ocular distances above the upper lip over which the skin's share of its move fades out
REACH_DOWN = 0.45  # the same below the lower lip, towards the chin
SKIN_SMOOTH = 0.08  # inner-mouth widths: the Gaussian along the mouth that the skin's move is smoothed over
PAST = 0.04  # mouth widths past each inner corner that the frame reaches (the gap is 0 at the corners)
SEAM = 0.35  # log-luminance the shadow where the lips meet takes off, at its middle, once shut
# its share in each channel (R, G, B; mean 1): where 120 real shut mouths' lips meet (LFW, training people, OpenFace
# AU25 < 0.3) red falls least, log -0.22 / -0.35 / -0.41 against the lips about it. Alike in every channel, the
# shadow over a grin's pale stretched lips was a grey line (the astronaut of `make demo` driven to neutral)
SEAM_CHANNELS = (0.68, 1.09, 1.23)
SEAM_WIDTH = 0.006  # its Gaussian sigma, inter-ocular distances (at least 0.5 px)
FALL_FROM, FALL_FULL = 0.4, 1.0  # fall of AU25 from which the lips close at all, by its whole share at
# How far real lips part at an AU25: OpenFace's inner-lip gap (inter-ocular distances) in the 40,966 training rows of
# the landmark crops, the median of each bin of AU25 (at these bins' mean AU25s), less the median at 0.17, which a
# reader cannot tell from shut (AU25 readings and labels differ by up to 0.3 on one neutral face in ten).
# Proportional to AU25 instead, a grin read at 2.1 driven to 0.17 kept 8% of its gap: teeth squeezed into a dashed
# line between the lips (s29, looked at)
OPEN_AU25 = (0.17, 0.37, 0.62, 0.87, 1.12, 1.37, 1.73, 2.22, 2.70, 3.45)
OPEN_GAP = (0.0, 0.006, 0.022, 0.043, 0.063, 0.078, 0.092, 0.106, 0.118, 0.132)
SLIT = 2.0  # px: where less than this would be left between the lips they close (what is left shows as a dashed line)
# The inner-lip points can fall short of the lips' edges by a few px (inside the teeth: Obama's grin, a tilted laughing
# woman; looked at), and what lies between a point and its lip stays as a line of teeth once the lips meet. So past
# each inner lip's curve, up to TEETH_REACH inter-ocular distances, pixels that are not lip (CIELAB chroma under
# NOT_LIP of the lips' own median: teeth are nearly colourless, a dark inside too) and reach the curve unbroken
# count as the opening
TEETH_REACH = 0.04
NOT_LIP = 0.6
# and pixels under NOT_LIP_DARK of their lip's CIELAB lightness: a grin's dark inside is as red as the lips
# where the inner-lip points stop a few px short of it, and it stayed as dark ticks at the corners and a dotted line
# along a shut mouth (held-out smiles driven to their own neutral photo's AUs, looked at). 0.7 since session 26: the
# landmark model reads a wide-open mouth's inner lips too close together (held-out mouths open 0.15 inter-ocular
# distances and more at 0.63 of their gap), and a lit inside at 0.65 of the lips' lightness beyond them stayed as a
# dark box in d9's closed mouth (150 training smiles driven to neutral: the lips' borders and gap as before)
NOT_LIP_DARK = 0.7
LIP_BODY = 0.7  # of the way from each lip's inner points to its outer ones: where its lightness is read
DARK_REACH = 0.08  # inter-ocular distances: how far past an inner lip's curve a dark inside is told from the lips
UPPER_LIP, LOWER_LIP = (49, 50, 51, 52, 53, 61, 62, 63), (55, 56, 57, 58, 59, 65, 66, 67)
EDGE_PAD = 0.01  # inter-ocular distances past each inner lip's curve that count as the opening: the points sit
# on the lips' wet edge, a px or two inside the teeth's
MIN_GAP = 1.0  # px: a mouth open less than this anywhere is left as it is
# Teeth and the dark inside beyond what the points and opening_beyond tell (a grin's dark corners past the inner
# corners' points, teeth as coloured as the lips in a pink-cast photo) were carried to where the lips meet: a
# beaded line of teeth and dark corners along a shut mouth (two grinning portraits driven to neutral, looked at).
# Once shut, the band SEAM_BAND inter-ocular distances (at least 2 px; 3x that at the corners) either side of
# where they meet, from CORNER_RUN mouth widths past one inner corner to as far past the other, within the outer
# lips (within_lips), takes the lips' colour about it
SEAM_BAND = 0.025
CORNER_RUN = 0.2
LIP_PAD = 1  # px the band may reach past the outer lips
_AU25 = AU_NAMES.index("AU25")


def real_opening(au25: float) -> float:
    """Inter-ocular distances real lips part at this AU25 (0..5) beyond lips read as shut (OPEN_GAP)."""
    return float(np.interp(au25, OPEN_AU25, OPEN_GAP))


def close_share(aus_from: np.ndarray, aus_to: np.ndarray) -> float:
    """0..1: how much of the lips' opening a change of AU intensities (float (17,) 0..5) closes: the share of real
    lips' opening at the source's AU25 (lips part) that they lose at the target's (real_opening), all of it for a
    target under 0.2, faded in over a fall of FALL_FROM to FALL_FULL (a reader's AU25 and a label differ by up to
    0.3 on one in ten neutral faces); 0 where AU25 does not fall."""
    before, after = float(aus_from[_AU25]), float(aus_to[_AU25])
    opening = real_opening(before)
    if before - after <= 0.0 or opening <= 0.0:
        return 0.0
    left = min(max(real_opening(after) / opening, 0.0), 1.0)
    return float(smoothstep(before - after, FALL_FROM, FALL_FULL)) * (1.0 - left)


def join_lips(image: np.ndarray, points: np.ndarray, share: float) -> np.ndarray:
    """The frame (uint8 HxWx3 RGB) with a face's parted lips (landmarks float (68, 2) px, where the edit left them)
    brought together by share (0..1) of their gap, wholly where less than SLIT px would be left: a new frame, pixels
    away from the mouth unchanged; the same array for share 0 or lips already together."""
    if share <= 0.0:
        return image
    p = np.asarray(points, np.float64)
    iod = float(interocular(p))
    frame = fit_mouth_frame(p)
    u = np.linspace(0.0, 1.0, 33)
    gap = corner_curve(u, frame.lower) - corner_curve(u, frame.upper)
    if iod < 1e-6 or gap.max() < MIN_GAP:
        return image
    beyond_up, beyond_down = opening_beyond(image, p, frame, u, TEETH_REACH * iod)
    up_px, down_px = REACH_UP * iod, REACH_DOWN * iod
    run = CORNER_RUN + PAST  # how far past the inner corners the seam's band reaches (the region must hold it)
    span = np.linspace(-run, 1.0 + run, 33)
    top = frame.to_image(span, corner_curve(span, frame.upper) - up_px)
    bottom = frame.to_image(span, corner_curve(span, frame.lower) + down_px)
    x0, y0, x1, y1 = points_box(np.concatenate([top, bottom]), image.shape, pad=2)
    if x1 <= x0 or y1 <= y0:
        return image
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    local = frame.to_local(np.stack([xx, yy], -1))
    uu, v = local[..., 0], local[..., 1]

    def closing(at: np.ndarray):  # the inner lips' edges and how far they close, at u values `at`
        pad = EDGE_PAD * iod * np.sqrt(np.clip(4.0 * at * (1.0 - at), 0.0, 1.0))  # none at the corners
        upper = corner_curve(at, frame.upper) - np.maximum(pad, np.interp(at, u, beyond_up))
        lower = corner_curve(at, frame.lower) + np.maximum(pad, np.interp(at, u, beyond_down))
        opening = np.maximum(lower - upper, 0.0) * ((at > -PAST) & (at < 1.0 + PAST))
        shares = share + (1.0 - share) * (1.0 - smoothstep(opening * (1.0 - share), 0.5 * SLIT, SLIT))
        return upper, lower, opening, shares, opening * shares

    upper, lower, opening, shares, g = closing(uu)
    # each lip's thickness at u (its outer edge's v from its inner curve's, as the edit left them): the span over
    # which the lip stretches, its inner edge moving the whole way and its outer edge OUTER_FOLLOW of it
    thick_up = np.maximum(upper - _outer_v(frame, p, OUTER_UPPER, uu), 1.0)
    thick_lo = np.maximum(_outer_v(frame, p, OUTER_LOWER, uu) - lower, 1.0)
    # the skin beyond the lips follows them less and less, and more and more smoothly along the mouth: with the
    # lips' own profile, which rises from nothing within a px or two of the corners, a moustache's edge moved down
    # as a box with square ends (held-out smiles driven to neutral)
    grid = np.linspace(-0.5, 1.5, 201)
    *_, g_grid = closing(grid)
    smooth = np.interp(uu, grid, cv2.GaussianBlur(g_grid[None], (0, 0), SKIN_SMOOTH / (grid[1] - grid[0]),
                                                  borderType=cv2.BORDER_REPLICATE)[0])
    d_up, d_lo = UPPER_SHARE * g, (1.0 - UPPER_SHARE) * g
    new_up, new_lo = upper + d_up, lower - d_lo  # the lips' inner edges, moved
    skin_up = d_up + UPPER_SHARE * (smooth - g) * smoothstep(new_up - v, 0.0, 0.5 * up_px)
    skin_lo = d_lo + (1.0 - UPPER_SHARE) * (smooth - g) * smoothstep(v - new_lo, 0.0, 0.5 * down_px)
    # in the output the lip spans its thickness and the stretch; its move falls linearly across it (no fold: the
    # move falls by less than the span grows), past the band at its inner edge that the seam's fill covers, which
    # moves whole: teeth the inner points fall short of lie there, and stretched they showed past the fill
    seam_half = max(SEAM_BAND * iod, 2.0)  # the seam fill's half-width, in the middle of the mouth (below)
    follow_up = _follow(new_up - v, np.minimum(seam_half, 0.5 * thick_up), thick_up, d_up)
    follow_lo = _follow(v - new_lo, np.minimum(seam_half, 0.5 * thick_lo), thick_lo, d_lo)
    src = np.where(v <= new_up, v - skin_up * follow_up * (1.0 - smoothstep(new_up - v, 0.0, up_px)),
                   np.where(v >= new_lo, v + skin_lo * follow_lo * (1.0 - smoothstep(v - new_lo, 0.0, down_px)),
                            upper + (v - new_up) * (lower - upper) / np.maximum(new_lo - new_up, 1e-6)))
    moved = np.abs(src - v) > 1e-3
    if not moved.any():
        return image
    xy = frame.to_image(uu, src).astype(np.float32)
    region = image[y0:y1, x0:x1].astype(np.float32)
    out_region = cv2.remap(image, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out_region = np.where(moved[..., None], out_region.astype(np.float32), region)
    meet = 0.5 * (new_up + new_lo)
    # what was squeezed between shut lips (teeth, a grin's dark corners) is filled from the lips about it
    half = seam_half * (1.0 + 2.0 * smoothstep(np.abs(uu - 0.5), 0.35, 0.5))  # 3x at the dark corners
    # a slit shut in a mouth left open: only where it squeezed something; the corners too once it is all but shut
    # (faded in, not switched: a talking mouth's frames cross these thresholds one after another)
    whole = 1.0 - float(smoothstep(float((opening * (1.0 - shares)).max()), SLIT, 2.0 * SLIT))
    shut = np.maximum(smoothstep(shares, 0.9, 1.0) * smoothstep(opening, 0.25 * SLIT, 0.5 * SLIT), whole)
    # within the outer lips (within_lips): past them it inpainted a moustache's edge down over the shut lips
    band = ((np.abs(v - meet) < half) & (uu > -run) & (uu < 1.0 + run)) * within_lips(p, (x0, y0), v.shape)
    out_region = fill_band(out_region, band * shut)
    # the shadow where the lips meet: as deep as they are shut, along the middle of what is left between them
    sigma = max(SEAM_WIDTH * iod, 0.5)
    seam = SEAM * shares * shares * np.exp(-0.5 * ((v - meet) / sigma) ** 2) * smoothstep(opening, 0.0, 2.0)
    out_region = out_region * np.exp(-seam[..., None] * np.asarray(SEAM_CHANNELS, np.float32))
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(np.rint(out_region), 0, 255).astype(np.uint8)
    return out


def _follow(depth: np.ndarray, keep: np.ndarray, thick: np.ndarray, move: np.ndarray) -> np.ndarray:
    """float64 0..1, the arrays' shape: the share of its inner edge's move that a lip's pixel depth px from that
    edge (in the output) takes: all of it over the first keep px, falling linearly to OUTER_FOLLOW at its outer
    edge, where the lip (thick px, its inner edge moved by move px) ends once stretched; OUTER_FOLLOW beyond."""
    span = thick - keep + (1.0 - OUTER_FOLLOW) * move
    return 1.0 - (1.0 - OUTER_FOLLOW) * np.clip((depth - keep) / np.maximum(span, 1e-6), 0.0, 1.0)


def _outer_v(frame, points: np.ndarray, idx: tuple[int, ...], uu: np.ndarray) -> np.ndarray:
    """float64, uu's shape: the v (mouth frame, px down the face) of an outer lip's edge (the polyline through
    points[idx], float (68, 2) px) at each u, held level past its ends."""
    local = frame.to_local(np.asarray(points, np.float64)[list(idx)])
    order = np.argsort(local[:, 0])
    return np.interp(uu, local[order, 0], local[order, 1])


def within_lips(points: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """float32 HxW (shape) 0..1 of a region whose top-left is origin (x, y) in the frame: inside the outer lips
    (landmarks float (68, 2) frame px, 48-59) grown by LIP_PAD px, its edge feathered over a px. The seam's band
    reaches 3x as far at the corners, and above or below the lips there it had filled a moustache's or a beard's
    lower edge down over them: a box with square ends on a shut mouth (held-out smiles driven to neutral)."""
    mask = np.zeros(shape, np.float32)
    outline = np.round((points[48:60] - origin) * 16).astype(np.int32)
    cv2.fillPoly(mask, [outline], 1.0, lineType=cv2.LINE_AA, shift=4)
    grown = cv2.dilate(mask, np.ones((2 * LIP_PAD + 1, 2 * LIP_PAD + 1), np.uint8))
    return cv2.GaussianBlur(grown, (0, 0), 0.7)


def fill_band(region: np.ndarray, band: np.ndarray) -> np.ndarray:
    """float32 HxWx3 RGB region with its pixels in band (float HxW 0..1) filled from the pixels about them (cv2's
    Telea inpainting) by that share; the region as it is where band is 0."""
    hole = (band > 0.0).astype(np.uint8)
    if not hole.any():
        return region
    filled = cv2.inpaint(np.clip(np.rint(region), 0, 255).astype(np.uint8), hole, 2, cv2.INPAINT_TELEA)
    return region + band[..., None].astype(np.float32) * (filled.astype(np.float32) - region)


def opening_beyond(image: np.ndarray, points: np.ndarray, frame, u: np.ndarray, reach: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """float64 (len(u),) twice: px past the upper inner lip's curve (up the face) and the lower one's (down) at each
    u (0..1 along the inner mouth, frame: face/mouth.fit_mouth_frame of points, float (68, 2) px, in the frame uint8
    HxWx3 RGB) whose pixels are not lip (teeth, nearly colourless; a dark inside) and reach the curve unbroken, at
    most reach px, a dark inside up to DARK_REACH / TEETH_REACH of that; in a grey photo (the lips' chroma under 8)
    only the dark inside is told."""
    far = DARK_REACH / TEETH_REACH * reach  # a dark inside is told from lips further
    steps = np.arange(1.0, max(np.ceil(far), 1.0) + 1.0)
    zeros = np.zeros(len(u))
    lips = np.concatenate([points[list(UPPER_LIP)], points[list(LOWER_LIP)]])
    x0, y0, x1, y1 = points_box(lips, image.shape, pad=int(np.ceil(far)) + 2)
    if x1 <= x0 or y1 <= y0:
        return zeros, zeros
    lab = cv2.cvtColor(image[y0:y1, x0:x1].astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    chroma = np.hypot(lab[..., 1], lab[..., 2]).astype(np.float32)
    light = np.ascontiguousarray(lab[..., 0])
    # the lips' own chroma and lightness: in the middle of each lip, between its outer and inner points
    middles = 0.5 * (points[[50, 51, 52]] + points[[61, 62, 63]]), 0.5 * (points[[56, 57, 58]] + points[[65, 66, 67]])
    xy = np.concatenate(middles) - (x0, y0)
    lip = float(np.median(read_at(chroma, xy)))  # under 8: no colour to tell lips by (a grey photo), lightness only
    out = []
    for curve, sign, outer, inner in ((frame.upper, -1.0, [50, 51, 52], [61, 62, 63]),
                                      (frame.lower, 1.0, [56, 57, 58], [65, 66, 67])):
        # each lip's own lightness, read towards its outer edge: the inner points may stop short of a dark inside
        body = points[inner] + LIP_BODY * (points[outer] - points[inner]) - (x0, y0)
        dark_below = NOT_LIP_DARK * float(np.median(read_at(light, body)))
        v = corner_curve(u, curve)[:, None] + sign * steps[None, :]
        at = frame.to_image(np.broadcast_to(u[:, None], v.shape), v) - (x0, y0)
        dark = read_at(light, at) < dark_below
        not_lip = dark | (read_at(chroma, at) < NOT_LIP * lip) if lip >= 8.0 else dark
        run = np.minimum(np.cumprod(not_lip, axis=1).sum(axis=1), reach)  # not-lip px from the curve, unbroken
        run = np.maximum(run, np.minimum(np.cumprod(dark, axis=1).sum(axis=1), far))
        # none at the corners, faded in: cut there, the lips' move stepped, a moustache above moved as a box
        out.append(run * smoothstep(4.0 * u * (1.0 - u), 0.1, 0.5))
    return out[0], out[1]
