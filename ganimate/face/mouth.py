"""The inside of a mouth an edit opens — teeth in a smile — at the frame's own resolution, from its landmarks.

The warping generator opens a mouth by moving the lips apart; what appears between them is the mouth's seam
stretched into vertical streaks, under the 64 px colour map's dark red blur. Real mouths opened in a smile show
the teeth, opened by the jaw the dark inside. A mouth interior map (training/mouth_interior.py)
holds the median appearance of real open mouths — log-RGB relative to the same face's cheek skin, on a grid
spanning the inner lips from corner to corner and from the upper lip's edge to the lower's — for a few
openings, smiling (the teeth) and with the jaw dropped (the cavity). Here it is laid into the opening the edit
made: lit by the face's own cheeks and kept to the hues of its own lips.

Where the opening is: the generator's flow carries the lips' tissue (lip_points, a little inside the lips'
red) to where the lips went; a closed mouth's inner points sit on its seam, which the warp stretches over the
opening, so they would stay in its middle. The same stretch drew the lips themselves taller than they are: each
inner lip is kept to its own thickness from its outer edge (keep_lip_thickness) and the fill takes the rest.

Mouth frame: u runs from the inner-left lip corner (point 60, u = 0) to the right one (64, u = 1), v is the
distance in px perpendicular to that line, positive down the face; t = 0 on the upper inner lip
(60, 61, 62, 63, 64), 1 on the lower (60, 67, 66, 65, 64).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ganimate.face.box import points_box
from ganimate.face.corner_frame import CornerFrame, corner_curve, corner_frame
from ganimate.face.jaw import lay_upper_teeth
from ganimate.face.light import LUMA, skin_highlight
from ganimate.face.ramp import smoothstep

LEFT, RIGHT = 60, 64
UPPER = (61, 62, 63)  # the upper inner lip's points, left to right
LOWER = (67, 66, 65)  # the lower inner lip's
CHEEKS = ((1, 31, 48), (2, 31, 48), (15, 35, 54), (14, 35, 54))  # triangles of skin whose median colours the mouth
# the lips' points a little inside the lips' red, pairs (inner, outer): a closed mouth's inner points all sit on
# its seam, which the warp stretches into the opening, so they follow it into the middle; the lips' own tissue
# goes where the lips go
INNER_OUTER = ((61, 50), (62, 51), (63, 52), (65, 56), (66, 57), (67, 58))
INSET = 0.15  # share of the way from the inner to the outer lip point
GROWN_FROM, GROWN_FULL = 0.02, 0.06  # growth of mouth_opening by the edit at which the fill starts and is whole
FEATHER = 0.06  # mouth widths over which the fill fades in from the inner lips' edges (at least FEATHER_PX)
FEATHER_PX = 0.7  # px: the least fade of the fill's edges, and the whole fade of the teeth a dropped jaw shows
CAST = 0.5  # share of the cheeks' chromaticity (log) that tints the mouth's inside (skin_colour)
SMILE_FROM, SMILE_FULL = 0.5, 2.0  # target AU12 from which the smiling mouth's map takes over, fully at
# lips' pixels whose hues count (CIELAB chroma above), and the percentiles of their hues the inside keeps: the
# middle 60%, since the lips are a small share of the face and their extremes (5-95% until session 12) lay outside
# the hues the face shows (held-out open mouths: foreign hue 0.27 -> 0.25%, 100 faces)
HUE_CHROMA, HUE_RANGE = 8.0, (20.0, 80.0)
# The map's teeth are a median over thousands of mouths: no single tooth, a smooth pale band that a mouth 100 px
# wide shows as a white plate (looked at). Where the map is teeth and the mouth is wide enough for them to show,
# the lines between teeth are drawn in: the upper front teeth's apparent widths in a frontal smile follow the
# dental "golden proportion" (central incisor 1, lateral 0.618, canine 0.382; premolars narrower still), from
# the middle of the inner lips out
TOOTH_WIDTHS = (1.0, 0.618, 0.382, 0.3, 0.25)  # half a smile's teeth, from the middle out, relative to a central
TOOTH_SPAN = 0.95  # share of the inner lips' width the ten teeth span
GAP_SIGMA = 0.12  # the shadow between two teeth: a Gaussian this share of the narrower one's width (at least 0.5 px)
GAP_DEPTH = 0.2  # log-luminance the shadow takes off at its middle (0.35 until session 20: a grille on a girl's laugh)
# inner-lip widths (px) from which the lines fade in, fully at: 30 and 60 until session 36 left LFW's smiles (inner lips
# 35-45 px) an even plate; across the middle of the opening real smiles' luminance changes 0.033 from column to column
# (dlib's points, 46 held-out LFW happy photos), the edits' 0.019 without lines, 0.024 from 20 to 60 px, 0.037 from 20
# to 40 (runs/s36/teeth_stats.py)
TEETH_FROM, TEETH_FULL = 20.0, 40.0
TEETH_LOOK = (0.85, 1.15)  # luminance over the cheeks' at which the map counts as teeth, fully at
# The upper teeth show from the upper lip down to their edge, then the lower teeth: drawn to the whole opening's
# height, the lines turned a tall opening's teeth into a grille (d13, d18 and d19 driven to their own laughs'
# AUs, looked at). A maxillary central incisor's crown is about 1.2 times as long as it is wide (dental
# anatomy's usual 75-85% width-to-length) and a smile shows most of it; a mandibular central incisor is about
# 0.63 as wide as a maxillary one (5.4 against 8.6 mm)
UPPER_CROWN = 1.1  # central incisors' widths from the upper lip down to the upper teeth's edge
LOWER_CROWN = 0.9  # the same below it, the lower teeth's lines
LOWER_WIDTH = 0.63
CROWN_SOFT = 0.15  # central incisors' widths over which the upper lines end and the lower begin
# A face that already shows its teeth keeps them. Laid over by the map, a smiling source's own teeth became
# everyone's median teeth with drawn gaps (s29's girl and a laughing woman driven to open the mouth, looked at);
# the warp alone stretches them into long teeth. A jaw that drops keeps the upper teeth under the upper lip and
# the lower ones on the lower lip and opens the dark inside between: so the input's inside is split at its
# middle, each half keeps its height under its own lip, and the map's cavity (the dropped jaw's) fills between.
OWN_OPEN = (0.11, 0.14)  # the input's inner-lip gap (mouth_opening) over which its inside counts as shown, fully at
OWN_BRIGHT = (0.75, 0.95)  # the middle of that inside's luminance over the cheeks': teeth from, fully at
# and its mean CIELAB chroma: teeth up to, fully below. Teeth are nearly colourless (a smiling girl's and a
# laughing woman's read 7-8); a pink tongue or the lips' tissue in a small parted mouth reads 25-35 (LFW)
OWN_GREY = (22.0, 14.0)
# or, whatever its tint up to OWN_TINT's chroma, plainly brighter than the cheeks (OWN_LIT): a warm light tints teeth
# (d12's cream teeth read chroma 21, a third of LFW's parted smiles 18-28) while lips and a tongue are hardly brighter
# than the skin about them (48 of 1,200 LFW photos with parted lips looked at: lips and tongues 0.75-1.10, teeth
# 1.05-2.1). Read as no teeth, d12's grin was laid over with a flat plate of the map's in a transfer that lowered it
OWN_LIT = (1.1, 1.2)
OWN_TINT = (34.0, 28.0)
OWN_GRID = (48, 96)  # the grid the input's inside is read on: fine enough for a tooth's edge in a large face
# The map's teeth are a median: a grey-pink plate, 12-14 degrees of hue off the cheeks' towards red where real teeth
# lie 2-4 degrees off; so they keep the light's hue, not the lips' (-9 and -5 degrees). And they are as bright as the
# face's light makes real teeth: over the cheeks, real smiles' teeth (the middle of the inner lips, OpenFace's points)
# grow brighter with the skin's highlight (face/light.skin_highlight; 400 LFW training people's smiles: r 0.70) and
# are dimmer in soft room light than under a press photo's flash (training clips d0 and d18 1.21 and 1.33, LFW 1.47).
# One constant lift (0.2 until session 27, from LFW alone) laid the teeth at 1.6 everywhere: a glaring white plate
# in the clips' selfie light (real 1.2). Fitted in logs on the training smiles (LFW and the clips weighted alike),
# the light predicts held-out teeth to a median 7% (LFW, 109 smiles) and 8% (held-out clips d12 and s29, 28
# frames), one constant to 10% and 20%
TEETH_LIGHT = (0.127, 0.726)  # log(teeth over the cheeks) = a + b log(skin highlight over the cheeks)
TEETH_BRIGHT = (1.0, 3.0)  # the least and most the teeth are laid over the cheeks
TEETH_HUE = 1.0  # share of the teeth's own hue kept from the lips' hue range (keep_hues)
JAW_EDGE = 0.03  # share of the opening's height over which the teeth's edge meets the cavity (each side)
SPLIT = (0.5, 0.9)  # the least and most of an inside's height its upper teeth are taken to fill (teeth_split)
# the rows an inside's darkest row splits it at, when it is SPLIT_DIP (luminance over the cheeks') darker than the
# brightest row both above and below it: a dark gap between two rows of teeth
SPLIT_ROWS = (0.25, 0.9)
SPLIT_DIP = 0.15
# a fill brighter than this (its brightest channel, 0..255) rolls off towards white instead of stopping at it: lit
# teeth over light cheeks went past white on 6 of 16 held-out faces (up to 98% of their teeth), a flat white plate
ROLL_KNEE = 220.0
# The ends of an open mouth are dark: the lips meet in a shadow there and the side teeth turn away into it. The fill
# fades in from the lips' edges, and the opening narrows to nothing at its corners, so there it showed the lips the
# warp stretched: pink ends to a plate of teeth. Inside the inner lips, the median luminance over the cheeks of the
# opening's ends (u under 0.12 or over 0.88) of real smiles is 0.60 (LFW training people, OpenFace's points) and
# 0.32 (training clips d0, d13, d18), the edit's 0.74 and 0.79; darkened by CORNER_DARK at the corner, fading out
# over CORNER_REACH of the mouth's width, 0.56 and 0.58 (0.5 over 0.12: 0.65 and 0.69)
CORNER_DARK = 0.7
CORNER_REACH = 0.15
# A smile's teeth meet the upper lip at a sharp edge and are brightest just under it: down the opening, real smiles'
# luminance over the cheeks (dlib's points on 46 held-out LFW happy photos whose mouths are open, median) is 1.00 at the
# upper lip, 1.34 a quarter of the way down, 0.96 at the lower lip. The smiling map, a median of mouths whose lip points
# each sit a little off, rises slowly and peaks halfway (0.96 at its top row, 1.43 at 0.45 of the way), and the fill
# faded in over FEATHER from the upper lip: the edits read 0.68 at the upper lip and peaked half way down, a
# thick upper lip over a low plate (self-reenactments of talking photos: Antony_Leung, Charles_Taylor, looked at). So
# where the look is the smiling map's, the fill meets the upper lip as sharply as the dropped jaw's teeth do, and the
# map's rows are read at t ** SMILE_ROWS (its peak at 0.45 laid 0.27 of the way down)
SMILE_ROWS = 0.6


@dataclass(frozen=True)
class MouthFrame(CornerFrame):
    """The inner lips' frame (CornerFrame from point 60 to 64) and the lips' curves (corner_curve) as (a, b),
    upper and lower."""

    upper: tuple[float, float]
    lower: tuple[float, float]


def _cubic_fit(uv: np.ndarray) -> tuple[float, float]:
    """(a, b) of v = u (1 - u) (a + b u) nearest, by least squares, to three points (float (3, 2) (u, v)): two
    degrees of freedom keep a lip smooth where a point is a px off (an exact fit through three swung wide)."""
    u = np.clip(uv[:, 0], 0.05, 0.95)
    base = u * (1.0 - u)
    coeffs, *_ = np.linalg.lstsq(np.stack([base, base * u], axis=1), uv[:, 1], rcond=None)
    return float(coeffs[0]), float(coeffs[1])


def fit_mouth_frame(points: np.ndarray) -> MouthFrame:
    """The inner lips' frame and curves from float (68, 2) landmarks."""
    p = np.asarray(points, np.float64)
    frame = corner_frame(p[LEFT], p[RIGHT])
    return MouthFrame(frame.origin, frame.along, frame.down, frame.width,
                      _cubic_fit(frame.to_local(p[list(UPPER)])), _cubic_fit(frame.to_local(p[list(LOWER)])))


def mouth_opening(points: np.ndarray) -> float:
    """The inner lips' gap (mid upper to mid lower, 62-66) over the inner mouth's width (60-64), from float
    (68, 2) landmarks: 0 for a closed mouth, ~0.2 for a smile showing teeth, ~0.5 for a wide-open jaw."""
    p = np.asarray(points, np.float64)
    return float(np.linalg.norm(p[66] - p[62]) / max(np.linalg.norm(p[RIGHT] - p[LEFT]), 1e-6))


def sample_mouth(image: np.ndarray, points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The inside of the mouth of a face (landmarks float (68, 2) px) in an image (uint8 HxWx3 RGB) resampled
    onto the mouth grid: float32 (h, w, 3) 0..255, pixel (i, j) at u = (j + 0.5) / w, t = (i + 0.5) / h."""
    h, w = shape
    frame = fit_mouth_frame(points)
    u = (np.arange(w) + 0.5) / w
    t = ((np.arange(h) + 0.5) / h)[:, None]
    v = corner_curve(u, frame.upper)[None] + t * (corner_curve(u, frame.lower) - corner_curve(u, frame.upper))[None]
    xy = frame.to_image(np.broadcast_to(u, v.shape), v).astype(np.float32)
    return cv2.remap(np.ascontiguousarray(image), xy[..., 0], xy[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).astype(np.float32)


def skin_colour(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """float32 (3,) the colour a mouth interior map is relative to, for a face (float (68, 2) px) in an image
    (uint8 HxWx3 RGB): the median RGB of its cheeks beside the nose and mouth (CHEEKS), with CAST of its
    chromaticity kept. The inside of a mouth takes the light's brightness and part of its tint, not the skin's
    own tone: teeth under a yellow-skinned face's full tint turned lime (looked at)."""
    p = np.asarray(points, np.float64)
    x0, y0, x1, y1 = points_box(p, image.shape)
    px = np.zeros((0, 3), np.uint8)
    if x1 > x0 and y1 > y0:
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        for tri in CHEEKS:
            cv2.fillConvexPoly(mask, np.round(p[list(tri)] - (x0, y0)).astype(np.int32), 1)
        px = image[y0:y1, x0:x1][mask > 0]
    rgb = np.median(px, axis=0).astype(np.float64) + 1.0 if len(px) else np.full(3, 129.0)
    grey = float(rgb @ LUMA)
    return (grey * (rgb / grey) ** CAST - 1.0).astype(np.float32)


@dataclass(frozen=True)
class MouthInterior:
    """maps: float32 (B, 2, h, w, 3) log(RGB + 1) of open mouths minus log(cheek RGB + 1), on the mouth grid,
    per opening bin (openings: float32 (B,) the bins' median mouth_opening, ascending) and the jaw dropped (0: the
    cavity) / smiling (1: the teeth)."""

    maps: np.ndarray
    openings: np.ndarray

    def appearance(self, opening: float, smile: float) -> np.ndarray:
        """float32 (h, w, 3) log-RGB relative to the cheeks for a mouth this open, smile 0..1 of the way from the
        dropped jaw's map to the smiling one's; openings between the bins interpolated, beyond them clamped."""
        o = self.openings
        k = int(np.clip(np.searchsorted(o, opening) - 1, 0, len(o) - 2)) if len(o) > 1 else 0
        f = float(np.clip((opening - o[k]) / (o[k + 1] - o[k]), 0.0, 1.0)) if len(o) > 1 else 0.0
        by_smile = self.maps[k] * (1.0 - f) + self.maps[min(k + 1, len(o) - 1)] * f
        return (by_smile[0] * (1.0 - smile) + by_smile[1] * smile).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez(path, maps=self.maps, openings=self.openings)

    @classmethod
    def load(cls, path: Path) -> MouthInterior:
        with np.load(path) as z:
            maps, openings = z["maps"].astype(np.float32), z["openings"].astype(np.float32)
        if maps.ndim != 5 or maps.shape[1] != 2 or maps.shape[-1] != 3 or len(openings) != len(maps):
            raise ValueError(f"{path}: not a mouth interior map (maps {maps.shape}, openings {openings.shape})")
        return cls(maps, openings)


def lip_points(points: np.ndarray) -> np.ndarray:
    """float (68, 2) landmarks -> float64 (68, 2) with the inner lips' points INSET into the lips (INNER_OUTER)."""
    p = np.array(points, np.float64)
    for inner, outer in INNER_OUTER:
        p[inner] = p[inner] + INSET * (p[outer] - p[inner])
    return p


def keep_lip_thickness(opened: np.ndarray, lips: np.ndarray, points: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """float64 (68, 2): opened (lip_points carried by the edit, px) with each inner lip point (INNER_OUTER) no
    nearer the opening's middle than its lip's thickness on the input allows: at most where its outer lip point
    went (moved: the 68 points carried, px) plus the vector from that outer point to it on the input (points: the
    68 read on the input; lips: their lip_points). A smooth backward flow opens a mouth by stretching the lips'
    tissue over the gap; the fill began where the stretched tissue ended, so a jaw dropped under a lip twice its
    height (looked at: held-out mouths, an upper lip like a brown band over a thin slot). Lips the edit thinned
    (a smile) keep the points as carried: the opening only grows."""
    out = np.array(opened, np.float64)
    frame = corner_frame(out[LEFT], out[RIGHT])
    for inner, outer in INNER_OUTER:
        thick = np.asarray(moved[outer], np.float64) + (np.asarray(lips[inner]) - np.asarray(points[outer]))
        v_thick, v_now = frame.to_local(thick)[1], frame.to_local(out[inner])[1]
        if (v_thick < v_now) if inner in UPPER else (v_thick > v_now):  # the upper lip's edge up, the lower's down
            out[inner] = thick
    return out


def fill_weight(before: np.ndarray, after: np.ndarray) -> float:
    """How far the edit opened the mouth, 0..1, from its lip_points (float (68, 2) px) read on the input and where
    the edit carried them: 0 for a mouth left as it was, 1 once the inner-lip gap has grown by GROWN_FULL mouth
    widths (the warp stretches a mouth's seam or its own small opening over what it opened: streaks)."""
    return float(smoothstep(mouth_opening(after) - mouth_opening(before), GROWN_FROM, GROWN_FULL))


@dataclass(frozen=True)
class OwnInside:
    """The inside of the input's mouth, for a face that shows its teeth: look float32 (h, w, 3) log(RGB + 1) over
    log(cheek RGB + 1) on the mouth grid (OWN_GRID), as a frame showed it (face/shown_teeth.py); kept 0..1 the
    share of the edited opening's height it fills (that frame's opening over the edit's); teeth 0..1 how plainly,
    how much of the fill it makes; split 0..1 the share of its height, from the upper lip, that the upper teeth
    fill (teeth_split): a jaw that drops opens the cavity there."""

    look: np.ndarray
    kept: float
    teeth: float
    split: float = 0.5


def teeth_shown(inside: np.ndarray, skin: np.ndarray) -> float:
    """0..1: how much an input's inside (sample_mouth on OWN_GRID, float32 (h, w, 3) 0..255) looks like teeth by
    its middle: bright against the cheeks' colour skin (float (3,), OWN_BRIGHT) and nearly colourless (OWN_GREY), or
    plainly brighter than the cheeks and not strongly coloured (OWN_LIT, OWN_TINT)."""
    h, w = OWN_GRID
    middle = inside[h // 3: h - h // 3, w // 3: w - w // 3]
    bright = float((((middle + 1.0) / (skin + 1.0)) @ LUMA).mean())
    lab = cv2.cvtColor(np.clip(middle / 255.0, 0.0, 1.0).astype(np.float32), cv2.COLOR_RGB2LAB)
    chroma = float(np.hypot(lab[..., 1], lab[..., 2]).mean())
    grey = 1.0 - smoothstep(chroma, OWN_GREY[1], OWN_GREY[0])
    lit = smoothstep(bright, *OWN_LIT) * (1.0 - smoothstep(chroma, OWN_TINT[1], OWN_TINT[0]))
    return float(smoothstep(bright, *OWN_BRIGHT)) * float(max(grey, lit))


def _rows_at(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """float (len(t), w, c): grid (float (h, w, c)) read between its rows at t (float (n,), 0 its top edge, 1 its
    bottom), linearly, clamped at the first and last row's centres."""
    h = grid.shape[0]
    rows = np.clip(np.asarray(t) * h - 0.5, 0, h - 1)
    lo = np.floor(rows).astype(int)
    f = (rows - lo)[:, None, None]
    return grid[lo] * (1.0 - f) + grid[np.minimum(lo + 1, h - 1)] * f


def teeth_split(look: np.ndarray, opening: float) -> float:
    """0..1: the share of a mouth's inside, from the upper lip down, that its upper teeth fill, for an inside look
    (float (h, w, 3) log-RGB over the cheeks, on the mouth grid) whose inner-lip gap is opening of its width
    (mouth_opening). Where the middle columns' rows darken between two brighter parts (a gap between the upper and
    the lower teeth: a laugh, a child's lower teeth), at the darkest row in SPLIT_ROWS; else the upper teeth's crown
    (UPPER_CROWN central incisors' widths) over the inside's height, kept to SPLIT. A grin shows its upper teeth from
    lip to lip; split at the middle, a jaw dropped from it opened a dark line through them (d12 by bill_clinton,
    looked at)."""
    h, w = look.shape[:2]
    rows = relative_luminance(np.asarray(look, np.float64)[:, w // 3: w - w // 3]).mean(axis=1)
    t = (np.arange(h) + 0.5) / h
    inner = np.flatnonzero((t >= SPLIT_ROWS[0]) & (t <= SPLIT_ROWS[1]))
    if inner.size:
        k = inner[np.argmin(rows[inner])]
        if min(rows[: k + 1].max(), rows[k:].max()) - rows[k] >= SPLIT_DIP:
            return float(t[k])
    central = TOOTH_SPAN / 2.0 * TOOTH_WIDTHS[0] / float(np.sum(TOOTH_WIDTHS))
    return float(np.clip(UPPER_CROWN * central / max(opening, 1e-6), *SPLIT))


def jaw_look(own: OwnInside, cavity: np.ndarray) -> np.ndarray:
    """float32 (h, w, 3) the inside of a mouth whose jaw opened it further (own.look's grid): the input's inside
    above own.split under the upper lip and the rest on the lower lip, each at its own height (own.kept of the
    opening together), the cavity (float (h', w', 3), a MouthInterior look) between, faded out where it would be
    narrower than its soft edges."""
    h, w = own.look.shape[:2]
    t = (np.arange(h) + 0.5) / h
    kept = max(own.kept, 1e-6)
    top, bottom = kept * own.split, 1.0 - kept * (1.0 - own.split)  # where the cavity opens, and ends
    # the whole cavity map, from under the upper teeth to above the lower ones: its edges are its lit walls
    cav = _rows_at(cv2.resize(np.asarray(cavity, np.float32), (w, h), interpolation=cv2.INTER_LINEAR),
                   (t - top) / max(bottom - top, 1e-6))
    own_rows = _rows_at(own.look, np.where(t < (top + bottom) / 2.0, t / kept, 1.0 - (1.0 - t) / kept))
    # the teeth's edges are soft over JAW_EDGE of the opening: the rows' grid is coarser than a large mouth's px
    inner = np.minimum(smoothstep(t, top - JAW_EDGE, top + JAW_EDGE),
                       1.0 - smoothstep(t, bottom - JAW_EDGE, bottom + JAW_EDGE))
    inner = (inner * smoothstep(bottom - top, 0.0, 2.0 * JAW_EDGE))[:, None, None]
    return (own_rows + inner * (cav - own_rows)).astype(np.float32)


def fill_mouth(image: np.ndarray, points: np.ndarray, weight: float, smile: float,
               interior: MouthInterior, own: OwnInside | None = None) -> np.ndarray:
    """A frame (uint8 HxWx3 RGB) with the inside of a face's mouth (landmarks float (68, 2) frame px, as the
    edit left them) laid over by the interior map at this opening, coloured by the face's cheeks (its teeth as bright
    as real teeth under the face's light, teeth_lift, and kept in that light's hue, a smile's meeting the upper lip
    sharply and brightest under it, SMILE_ROWS; the dark inside in the lips' hues; its ends darkened as the lips'
    shadow darkens real ones, CORNER_DARK), with opacity weight (0..1,
    fill_weight) and smile 0..1 (smile_share): a new frame, bit-exact outside the inner lips. own:
    the input's inside where it showed teeth, laid as a jaw that opened (jaw_look) by its share own.teeth. The map's
    dropped jaw (1 - smile of what is the map's) shows the upper teeth's edge under the upper lip (face/jaw.py)."""
    if weight <= 0.0:
        return image
    frame = fit_mouth_frame(points)
    u = np.linspace(0.0, 1.0, 33)
    outline = np.concatenate([frame.to_image(u, corner_curve(u, frame.upper)),
                              frame.to_image(u, corner_curve(u, frame.lower))])
    x0, y0, x1, y1 = points_box(outline, image.shape, pad=1)
    if x1 <= x0 or y1 <= y0:
        return image
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    uv = frame.to_local(np.stack([xx, yy], axis=-1))
    uu = uv[..., 0]
    top, bottom = corner_curve(np.clip(uu, 0, 1), frame.upper), corner_curve(np.clip(uu, 0, 1), frame.lower)
    height = bottom - top
    t = (uv[..., 1] - top) / np.maximum(height, 1e-6)
    drawn = 1.0 - own.teeth if own is not None else 1.0  # the share of the look that is the map's (its teeth get gaps)
    smiling = drawn * smile  # the share that is the smiling map's: its teeth meet the upper lip sharply (SMILE_ROWS)
    # fade in over FEATHER mouth widths from each lip's edge and each corner: px to the nearest edge, roughly
    feather = max(FEATHER * frame.width, FEATHER_PX)
    below = t * height  # px below the upper lip
    side = np.minimum(np.minimum(uu, 1.0 - uu) * frame.width, (1.0 - t) * height)  # to a corner or the lower lip
    edge = np.minimum(side, below)
    below_lip = np.clip(below / feather, 0.0, 1.0)
    below_lip = below_lip + smiling * (np.clip(below / FEATHER_PX + 0.5, 0.0, 1.0) - below_lip)
    alpha = np.minimum(np.clip(side / feather, 0.0, 1.0), below_lip) * (height > 0.0) * weight
    if not np.any(alpha > 0.0):
        return image
    opening = mouth_opening(points)
    look = interior.appearance(opening, smile)
    if own is not None:
        mh, mw = own.look.shape[:2]
        look = cv2.resize(look, (mw, mh), interpolation=cv2.INTER_LINEAR)
        look = look + own.teeth * (jaw_look(own, interior.appearance(opening, 0.0)) - look)
    mh, mw = look.shape[:2]
    rows = np.clip(t, 0, 1)
    rows = rows + smiling * (rows ** SMILE_ROWS - rows)
    colour_map = cv2.remap(look, (np.clip(uu, 0, 1) * mw - 0.5).astype(np.float32),
                           (rows * mh - 0.5).astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    map_teeth_look = map_teeth(interior, opening)  # the teeth a dropped jaw shows (laid_teeth falls back to them)
    dropped = drawn * (1.0 - smile)  # the share of the look that is the map's dropped jaw
    if dropped > 0.0:
        colour_map, cover = lay_upper_teeth(colour_map, np.clip(uu, 0, 1), uv[..., 1], top, bottom,
                                            central_width(frame.width), map_teeth_look, dropped)
        sharp = np.clip(edge / FEATHER_PX, 0.0, 1.0) * (height > 0.0) * weight  # the teeth meet the upper lip sharply
        alpha = alpha + cover * (sharp - alpha)
    teeth = teeth_share(colour_map)[..., None]
    lines = drawn * tooth_lines(uu, frame.width, colour_map, t * height, height)[..., None]
    skin = skin_colour(image, points)
    lift = teeth_lift(laid_teeth(look, map_teeth_look), skin_highlight(image, points, float(skin @ LUMA)))
    colour_map = colour_map + lift * drawn * teeth
    colour = (skin + 1.0) * np.exp(colour_map) - 1.0
    kept = keep_hues(colour, lip_hues(image, points))
    colour = kept + TEETH_HUE * teeth * (colour - kept)
    colour = roll_off(colour) * np.exp(lines)  # the gaps between teeth after the roll-off: at their full depth
    region = image[y0:y1, x0:x1].astype(np.float32)
    a = alpha[..., None].astype(np.float32)
    out = image.copy()
    laid = region * (1.0 - a) + colour * a
    # the opening's ends in the lips' shadow, whatever shows there (the fill, or the lips it fades to)
    corner = 1.0 - smoothstep(np.minimum(uu, 1.0 - uu), 0.0, CORNER_REACH)
    between = np.clip(np.minimum(t, 1.0 - t) * height / FEATHER_PX + 0.5, 0.0, 1.0) * (height > 0.0)
    laid = laid * (1.0 - CORNER_DARK * weight * corner * between)[..., None]
    out[y0:y1, x0:x1] = np.clip(np.round(laid), 0, 255).astype(np.uint8)
    return out


def central_width(width: float) -> float:
    """px: the upper central incisor's width in a mouth whose inner lips are width px wide (TOOTH_WIDTHS spanning
    TOOTH_SPAN of it)."""
    return float(TOOTH_WIDTHS[0] / np.sum(TOOTH_WIDTHS) * TOOTH_SPAN / 2.0 * width)


def _middle_third(look: np.ndarray) -> np.ndarray:
    """float (k, 3): the px of a mouth interior (look: float (h, w, 3)) in its middle third of rows and columns, where
    its teeth are read."""
    h, w = look.shape[:2]
    return look[h // 3: h - h // 3, w // 3: w - w // 3].reshape(-1, 3)


def map_teeth(interior: MouthInterior, opening: float) -> np.ndarray:
    """float32 (3,) log-RGB over the cheeks: the smiling map's teeth at this opening, the median of its middle
    third (rows and columns)."""
    return np.median(_middle_third(interior.appearance(opening, 1.0)), axis=0).astype(np.float32)


def laid_teeth(look: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """float32 (3,) log-RGB over the cheeks: the teeth of a mouth's inside as it is laid (look: float (h, w, 3) the
    same, before the lift), the median of its middle third's px that are teeth (teeth_share over a half) where they
    are a quarter of it at least; else fallback (map_teeth). A smile under SMILE_FULL mixes the smiling map with
    some of the dropped jaw's dark inside: its teeth are dimmer than the smiling map's, and lifted by as much as
    those they stayed dim, a pale plate (a target AU12 of 1.7: 1.08 of the cheeks' luminance for 1.35)."""
    middle = _middle_third(np.asarray(look, np.float32))
    shown = middle[teeth_share(middle) > 0.5]
    if len(shown) < max(len(middle) // 4, 1):
        return np.asarray(fallback, np.float32)
    return np.median(shown, axis=0).astype(np.float32)


def teeth_brightness(light: float) -> float:
    """Real teeth's luminance over the cheeks' under a light whose skin highlight over the cheeks is light
    (face/light.skin_highlight), TEETH_LIGHT's fit, within TEETH_BRIGHT."""
    a, b = TEETH_LIGHT
    return float(np.clip(np.exp(a + b * np.log(max(light, 1e-6))), *TEETH_BRIGHT))


def teeth_lift(teeth: np.ndarray, light: float) -> float:
    """Log luminance that takes the map's teeth (float (3,) log-RGB over the cheeks, map_teeth) to real teeth's
    brightness under this light (teeth_brightness)."""
    return float(np.log(teeth_brightness(light) / float(relative_luminance(np.asarray(teeth, np.float64)))))


def roll_off(colour: np.ndarray) -> np.ndarray:
    """float (..., 3) RGB 0.. (any brightness) brought under 255 keeping each pixel's chromaticity (clipped channel
    by channel, lit teeth turned yellow-green): a brightest channel over ROLL_KNEE rolls off smoothly towards 255
    (slope 1 at the knee), so what is brighter stays brighter; under it, unchanged."""
    top = np.maximum(colour.max(axis=-1, keepdims=True), 1e-6)
    room = 255.0 - ROLL_KNEE
    rolled = np.where(top > ROLL_KNEE, ROLL_KNEE + room * (1.0 - np.exp(-(top - ROLL_KNEE) / room)), top)
    return colour * (rolled / top)


def relative_luminance(look: np.ndarray) -> np.ndarray:
    """float (...,): the luminance over the cheeks' of a mouth interior's pixels (look: float (..., 3) log-RGB over
    the cheeks, MouthInterior's maps): below 1 darker than the skin (the cavity), above brighter (the teeth)."""
    return np.exp(look) @ LUMA


def _gaps(u: np.ndarray, widths: np.ndarray, width: float) -> np.ndarray:
    """float (H, W) 0..1: the shadows between teeth of these widths (in u, from the middle out, mirrored) at u
    (float (H, W)), 1 on each line between two teeth; width: the inner lips' width, px."""
    half = np.cumsum(widths)
    edges = np.concatenate([[0.5], 0.5 - half[:-1], 0.5 + half[:-1]])  # the middle line and those beside it
    narrower = np.concatenate([widths[:1], widths[1:], widths[1:]])  # the narrower tooth beside each line
    sigma = np.maximum(GAP_SIGMA * narrower, 0.5 / width)
    return np.exp(-0.5 * ((u[..., None] - edges) / sigma) ** 2).max(axis=-1)


def tooth_lines(u: np.ndarray, width: float, look: np.ndarray, depth: np.ndarray | None = None,
                height: np.ndarray | None = None) -> np.ndarray:
    """float32 (H, W) log-luminance to add to a mouth interior (look: float (H, W, 3) log-RGB over the cheeks, as
    laid; u: float (H, W) its pixels' place from the inner-left corner 0 to the right 1; width: the inner lips'
    width, px): 0 or below, the lines between the upper teeth (TOOTH_WIDTHS) where the look is teeth (TEETH_LOOK)
    and the mouth is wide enough (TEETH_FROM, TEETH_FULL). With depth and height (float (H, W), px below the upper
    inner lip and the opening's height there; None: every row is the upper teeth's): the upper teeth's lines end at
    their edge, UPPER_CROWN central incisors' widths down; where the opening reaches past it a shadow marks that
    edge and the lower teeth's narrower lines (LOWER_WIDTH) go on below it for LOWER_CROWN."""
    show = float(smoothstep(width, TEETH_FROM, TEETH_FULL))
    if show <= 0.0:
        return np.zeros(u.shape, np.float32)
    teeth_u = np.asarray(TOOTH_WIDTHS) / np.sum(TOOTH_WIDTHS) * TOOTH_SPAN / 2.0  # each tooth's width in u
    lines = _gaps(u, teeth_u, width)
    if depth is not None and height is not None:
        central = central_width(width)  # px
        crown, soft = UPPER_CROWN * central, max(CROWN_SOFT * central, 0.5)
        past = smoothstep(height, crown + soft, crown + 2.0 * soft)  # the opening reaches below the upper edge
        lower_end = crown + LOWER_CROWN * central
        lower = smoothstep(depth, crown, crown + soft) * (1.0 - smoothstep(depth, lower_end, lower_end + soft))
        edge = np.exp(-0.5 * ((depth - crown) / soft) ** 2)
        lines = np.maximum(lines * (1.0 - smoothstep(depth, crown - soft, crown + soft)),
                           past * np.maximum(edge, _gaps(u, LOWER_WIDTH * teeth_u, width) * lower))
    return (-GAP_DEPTH * show * lines * teeth_share(look)).astype(np.float32)


def teeth_share(look: np.ndarray) -> np.ndarray:
    """float (...,) 0..1: how much each pixel of a mouth interior (look: float (..., 3) log-RGB over the cheeks)
    is teeth, by its luminance over the cheeks' (TEETH_LOOK)."""
    return smoothstep(np.log(relative_luminance(look)), np.log(TEETH_LOOK[0]), np.log(TEETH_LOOK[1]))


def lip_hues(image: np.ndarray, points: np.ndarray) -> tuple[float, float, float] | None:
    """(centre, lo, hi) degrees: the CIELAB hues of a face's lips (between the outer lip points 48-59 and the
    inner 60-67, float (68, 2) px) in an image (uint8 HxWx3 RGB): their circular mean and HUE_RANGE
    percentiles about it; None with too few coloured lip pixels."""
    p = np.asarray(points, np.float64)
    x0, y0, x1, y1 = points_box(p[48:68], image.shape, pad=1)
    if x1 <= x0 or y1 <= y0:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((p[48:60] - (x0, y0)) * 16).astype(np.int32)], 1, shift=4)
    cv2.fillPoly(mask, [np.round((p[60:68] - (x0, y0)) * 16).astype(np.int32)], 0, shift=4)
    lab = cv2.cvtColor(image[y0:y1, x0:x1].astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)[mask > 0]
    coloured = lab[np.hypot(lab[:, 1], lab[:, 2]) > HUE_CHROMA]
    if len(coloured) < 8:
        return None
    hue = np.arctan2(coloured[:, 2], coloured[:, 1])
    centre = float(np.arctan2(np.sin(hue).mean(), np.cos(hue).mean()))
    lo, hi = np.percentile(np.angle(np.exp(1j * (hue - centre))), HUE_RANGE)
    return np.degrees(centre), np.degrees(lo), np.degrees(hi)


def keep_hues(colour: np.ndarray, hues: tuple[float, float, float] | None) -> np.ndarray:
    """float32 HxWx3 RGB 0..255 with each pixel's CIELAB hue clamped into hues ((centre, lo, hi) degrees,
    lip_hues), its lightness and chroma kept: the inside of a mouth in the person's own lips' hues, never a
    pink or red their face does not have (foreign hue 0.39 -> 0.87% on held-out open mouths before). None:
    unchanged."""
    if hues is None:
        return colour
    centre, lo, hi = hues
    lab = cv2.cvtColor(np.clip(colour, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    rel = (np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) - centre + 180.0) % 360.0 - 180.0
    hue = np.radians(np.clip(rel, lo, hi) + centre)
    lab[..., 1], lab[..., 2] = chroma * np.cos(hue), chroma * np.sin(hue)
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB) * 255.0


def smile_share(target_au12: float) -> float:
    """0..1: how far a target AU12 (0..5) takes the mouth from the dropped jaw's map to the smiling one's."""
    return float(smoothstep(float(target_au12), SMILE_FROM, SMILE_FULL))
