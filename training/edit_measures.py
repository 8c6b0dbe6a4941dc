"""What a person sees in an edited face, as numbers: pure functions on images (uint8 HxWx3 RGB) and 68-point
landmarks (float (68, 2) image px). Used by edit_eval."""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face import landmarks as lmk
from ganimate.face.align import estimate_similarity, transform_points

CHROMA_MIN = 8.0  # CIELAB chroma below which a pixel counts as grey (its hue is noise)
HUE_MARGIN_DEG = 10.0
HUE_PERCENTILES = (1.0, 99.0)
# Points that a similarity fit of two faces' landmarks uses: eyes and nose, which expressions barely move
RIGID_POINTS = lmk.EYE_LEFT + lmk.EYE_RIGHT + lmk.NOSE


def hull_mask(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """bool HxW: inside the convex hull of the points (the face region of a 68-landmark set)."""
    mask = np.zeros(shape[:2], np.uint8)
    hull = cv2.convexHull(np.round(np.asarray(points, np.float64)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(bool)


def lab_hue_chroma(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 HxW CIELAB hue angle (degrees, -180..180) and chroma of a uint8 HxWx3 RGB image."""
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    a, b = lab[..., 1], lab[..., 2]
    return np.degrees(np.arctan2(b, a)), np.hypot(a, b)


def _wrap(deg: np.ndarray) -> np.ndarray:
    return (deg + 180.0) % 360.0 - 180.0


def _hue_range(hue: np.ndarray, chroma: np.ndarray, mask: np.ndarray, chroma_min: float,
               percentiles: tuple[float, float]) -> tuple[float, float, float] | None:
    """(centre, lo, hi) degrees: the circular mean of the mask's coloured pixels' hues and their percentile range
    about it; None when the mask has no coloured pixel."""
    ref = hue[mask & (chroma > chroma_min)]
    if ref.size == 0:
        return None
    centre = np.degrees(np.arctan2(np.sin(np.radians(ref)).mean(), np.cos(np.radians(ref)).mean()))
    lo, hi = np.percentile(_wrap(ref - centre), percentiles)
    return float(centre), float(lo), float(hi)


def _outside(hue: np.ndarray, chroma: np.ndarray, hues: tuple[float, float, float], chroma_min: float,
             margin: float) -> np.ndarray:
    """bool HxW: coloured pixels whose hue lies more than margin degrees outside hues (_hue_range)."""
    centre, lo, hi = hues
    rel = _wrap(hue - centre)
    return (chroma > chroma_min) & ((rel < lo - margin) | (rel > hi + margin))


def foreign_pixels(before: np.ndarray, before_mask: np.ndarray, image: np.ndarray,
                   chroma_min: float = CHROMA_MIN, margin: float = HUE_MARGIN_DEG,
                   percentiles: tuple[float, float] = HUE_PERCENTILES) -> np.ndarray | None:
    """bool HxW: the image's coloured pixels (chroma > chroma_min) whose hue lies more than margin degrees outside
    the input face's percentile hue range; None when the input face has no coloured pixel.

    before / image: uint8 HxWx3 RGB; before_mask: bool HxW the input's face region (e.g. hull_mask of its
    landmarks). Hues are taken relative to the input face's circular mean, so a range never breaks at +-180
    degrees."""
    hues = _hue_range(*lab_hue_chroma(before), before_mask, chroma_min, percentiles)
    return None if hues is None else _outside(*lab_hue_chroma(image), hues, chroma_min, margin)


def foreign_hue(before: np.ndarray, before_mask: np.ndarray, after: np.ndarray, after_mask: np.ndarray,
                chroma_min: float = CHROMA_MIN, margin: float = HUE_MARGIN_DEG,
                percentiles: tuple[float, float] = HUE_PERCENTILES, new_only: bool = False) -> float:
    """Fraction of the edited face's coloured pixels (chroma > chroma_min) whose hue is foreign (foreign_pixels);
    0 when either face has no coloured pixel. The masks: bool HxW face regions of each image.

    new_only: count only pixels that were not foreign at the same place in the input (the face's coloured pixels
    still make the whole): what the edit made, without the background that a judge's hull grown over the
    face's edge takes in (a longer face read with an open mouth) or that a warp moves by a px there."""
    h0, c0 = lab_hue_chroma(before)
    h1, c1 = lab_hue_chroma(after)
    hues = _hue_range(h0, c0, before_mask, chroma_min, percentiles)
    face = after_mask & (c1 > chroma_min)
    if hues is None or not face.any():
        return 0.0
    foreign = _outside(h1, c1, hues, chroma_min, margin)
    if new_only:
        foreign &= ~_outside(h0, c0, hues, chroma_min, margin)
    return float(foreign[face].mean())


def outside_change(before: np.ndarray, after: np.ndarray, face: np.ndarray) -> float:
    """Mean |after - before| (0..255, over channels) of the pixels outside the bool HxW face region."""
    diff = np.abs(after.astype(np.float32) - before.astype(np.float32)).mean(axis=2)
    outside = ~face
    return float(diff[outside].mean()) if outside.any() else 0.0


def align_to(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """points (68, 2) moved by the similarity that best fits their eyes and nose onto reference's."""
    m = estimate_similarity(np.asarray(points)[list(RIGID_POINTS)], np.asarray(reference)[list(RIGID_POINTS)])
    return transform_points(m, points)


def way_terms(neutral: np.ndarray, edited: np.ndarray, real: np.ndarray,
              idx: tuple[int, ...] = lmk.MOUTH) -> tuple[float, float]:
    """(projection, squared length) of the edit's mouth motion onto the real expression's.

    All three (68, 2) landmark sets are fitted onto the neutral face by eyes and nose first. The fraction of
    the way from neutral to real is projection / squared length (0: unmoved, 1: where the real one is);
    edit_eval pools both terms over people, so faces whose real expression barely moved weigh little.
    """
    e = align_to(edited, neutral)[list(idx)] - np.asarray(neutral)[list(idx)]
    r = align_to(real, neutral)[list(idx)] - np.asarray(neutral)[list(idx)]
    return float((e * r).sum()), float((r * r).sum())


def way_fraction(neutral: np.ndarray, edited: np.ndarray, real: np.ndarray) -> float:
    """The fraction of the way one face's mouth moves from neutral to real (see way_terms)."""
    dot, norm2 = way_terms(neutral, edited, real)
    return dot / norm2 if norm2 > 0 else 0.0


def laplacian_variance(image: np.ndarray, region: np.ndarray) -> float:
    """Variance of the grey image's Laplacian inside the bool HxW region: its fine detail (sharpness)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float64)
    lap = cv2.Laplacian(grey, cv2.CV_64F, ksize=3)
    return float(lap[region].var()) if region.any() else 0.0


def frame_change(previous: np.ndarray, current: np.ndarray, region: np.ndarray) -> float:
    """Mean |current - previous| (0..255) of two uint8 frames inside the bool HxW region."""
    diff = np.abs(current.astype(np.float32) - previous.astype(np.float32)).mean(axis=2)
    return float(diff[region].mean()) if region.any() else 0.0
