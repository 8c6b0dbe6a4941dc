"""How each AU shades the face: a linear map from AU change to log-luminance change, in a mean-shape frame.

A warp moves a face's own pixels but cannot deepen a smile's nasolabial folds, bunch the cheeks under the eyes
or furrow a frowning brow: those are changes of shading. Within one clip (same person, light and camera), and
within one LFW person's photos, each face is warped onto the mean face shape by its own 68 landmarks (so what
remains is shading, not motion); its band-passed log-luminance minus the group's median, with the face's
overall exposure taken out, is regressed per pixel on its AUs minus the group's median, by ridge least
squares, as training/au_geometry.py does for the landmarks. Faces whose head pose strays from the group's
usual one are left out (their shading is the light's, not the muscles'). The clips alone (23 people) gave
a noisier map; with LFW's 1,500 people of several photos the frown reads ~3x stronger and the brows-up
forehead less heavy (docs/edit_eval_shading.md). About a minute on a CPU; the run time applies it with
ganimate/face/shading.py. Label noise shrinks these slopes as it does the landmark map's: the shipped map is this
fit with the smile's and the frown's maps scaled by the gains training/shading_check.py measures on
crowd-labelled real pairs (`--out`).

Units: log-luminance (natural log of Y + 10, Y in 0..255) per AU intensity unit, on a SIDE x SIDE grid whose
coordinates are the mean shape's (mean_points, in px of that grid).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.landmarks import POSE_POINTS
from ganimate.face.ramp import smoothstep
from ganimate.face.shading import SHADING_AUS, AuShading, canonical_coords, extend_points, face_region, triangulate

SIDE = 64
# regressed together: the shaded AUs (SHADING_AUS) and the ones whose motion must not be credited to them
FIT_AUS = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
           "AU20", "AU23", "AU25", "AU26", "AU45")
BAND_SIGMA = 6.0  # px of the 64 px grid: slower changes are the light's
TAPER_PX = 4.0  # px of the 64 px grid over which the maps fade out towards the face's outline and forehead top
HOLE_TAPER_PX = 2.0  # and towards the eyes and lips, where a smile's corners and a lid's fold lie close


def log_luminance(image: np.ndarray) -> np.ndarray:
    """uint8 HxWx3 RGB -> float32 HxW natural log of (Y + 10), Y the Rec. 601 luma in 0..255."""
    y = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.log(y + 10.0)


def canonical_luminance(image: np.ndarray, points: np.ndarray, mean_points: np.ndarray, side: int,
                        triangles: np.ndarray) -> np.ndarray:
    """float32 side x side log-luminance of a face crop (uint8 SxSx3, landmarks float (68, 2) crop px) resampled
    onto the mean shape (mean_points, float (68, 2) px of the side x side grid; triangles of its mesh)."""
    coords = canonical_coords(points, mean_points, side, triangles)
    return cv2.remap(log_luminance(image), coords[..., 0], coords[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def canonical_channels(image: np.ndarray, points: np.ndarray, mean_points: np.ndarray, side: int,
                       triangles: np.ndarray) -> np.ndarray:
    """float32 (3, side, side) natural log of (R + 10), (G + 10), (B + 10) of a face crop (uint8 SxSx3 RGB,
    landmarks float (68, 2) crop px) resampled onto the mean shape, as canonical_luminance."""
    coords = canonical_coords(points, mean_points, side, triangles)
    logs = cv2.remap(np.log(image.astype(np.float32) + 10.0), coords[..., 0], coords[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(logs.transpose(2, 0, 1))


def steady_rows(points: np.ndarray, groups: np.ndarray, max_px: float) -> np.ndarray:
    """bool (N,): rows whose pose landmarks (POSE_POINTS) lie within max_px (mean) of their group's median."""
    keep = np.zeros(len(points), dtype=bool)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        rigid = points[idx][:, POSE_POINTS]
        d = np.linalg.norm(rigid - np.median(rigid, axis=0), axis=-1).mean(-1)
        keep[idx] = d <= max_px
    return keep


def band_pass(maps: np.ndarray, region: np.ndarray, sigma: float) -> np.ndarray:
    """float32 (N, G, G) maps minus their Gaussian blur of sigma px taken over region only (normalised
    convolution): the light's slow changes over the face go, creases and bulges stay."""
    weight = cv2.GaussianBlur(region.astype(np.float32), (0, 0), sigma)
    out = np.empty_like(maps, dtype=np.float32)
    for n, m in enumerate(maps):
        low = cv2.GaussianBlur((m * region).astype(np.float32), (0, 0), sigma) / np.maximum(weight, 1e-6)
        out[n] = (m - low) * region
    return out


def edge_taper(region: np.ndarray, px: float, hole_px: float | None = None) -> np.ndarray:
    """float32 GxG weight rising (smoothstep) from 0 at region's outline to 1 at px inside, and from 0 at its
    holes' edges to 1 at hole_px (default px) from them; 0 outside region."""
    outside = np.pad(~region, 1, constant_values=True).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)  # the zeros reachable from the border: the outline's outside
    far_out = cv2.distanceTransform((outside != 2).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    far_hole = cv2.distanceTransform((outside != 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    hole = px if hole_px is None else hole_px
    # 0 on the outermost pixels (distance 1)
    t = np.minimum(smoothstep(far_out, 1.0, 1.0 + px), smoothstep(far_hole, 1.0, 1.0 + hole))
    return (t * region).astype(np.float32)


def fit_au_shading(maps: np.ndarray, aus: np.ndarray, groups: np.ndarray, region: np.ndarray,
                   ridge: float = 10.0, smooth: float = 1.0, taper: float = TAPER_PX,
                   hole_taper: float = HOLE_TAPER_PX) -> np.ndarray:
    """float32 (17, side, side) log-luminance change per AU unit, zero outside region and for AUs not in
    SHADING_AUS. maps: float (N, side, side) canonical log-luminance (band-passed); aus: float (N, 17) 0..5;
    groups: (N,) clip keys; region: bool (side, side) where to fit. All FIT_AUS are regressed (the lids', lips'
    and jaw's own motion leaves shading behind that must not be credited to the AUs shaded); each map is then
    made left-right symmetric (a crease is; the light of one clip is not), smoothed by smooth px and faded to 0
    over taper px towards the face's outline and the forehead's top (a map that stopped there unfaded drew a
    hard band across a large face's forehead: s29, 110 px eyes, looked at) and over hole_taper px towards the
    eyes and lips (4 px there too took a tenth of the smile's reading: the folds reach the mouth's corners)."""
    from .au_geometry import centred_by_group

    flat = maps[:, region]
    d_aus, d_maps = centred_by_group(groups, np.asarray(aus, np.float64), flat.astype(np.float64))
    d_maps -= np.median(d_maps, axis=1, keepdims=True)  # the frame's exposure, not its expression
    cols = [AU_NAMES.index(n) for n in FIT_AUS]
    x = d_aus[:, cols]
    w = np.linalg.solve(x.T @ x + ridge * np.eye(len(cols)), x.T @ d_maps)  # (k, pixels)
    out = np.zeros((len(AU_NAMES),) + region.shape, np.float32)
    both = region & region[:, ::-1]
    fade = edge_taper(both, taper, hole_taper) if taper > 0 else both.astype(np.float32)
    for k, c in enumerate(cols):
        if AU_NAMES[c] not in SHADING_AUS:
            continue
        m = np.zeros(region.shape, np.float32)
        m[region] = w[k]
        m = 0.5 * (m + m[:, ::-1]) * both
        if smooth > 0:
            m = cv2.GaussianBlur(m, (0, 0), smooth) / np.maximum(cv2.GaussianBlur(both.astype(np.float32), (0, 0),
                                                                                  smooth), 1e-6) * both
        out[c] = m * fade
    return out


def fit_from_crops(crops: Path, side: int = SIDE, max_pose_px: float = 3.0,
                   kinds: tuple[str, ...] = ("clip", "lfw"), log=print) -> AuShading:
    """Fit on a landmark_crops folder's training rows of these kinds ("clip": clip frames grouped by clip,
    "lfw": LFW photos grouped by person), held-out people and clips left out."""
    from .dataset import open_crops_cache, read_aus_csv
    from .holdout import is_heldout

    table = read_aus_csv(Path(crops) / "aus.csv")
    points = np.load(Path(crops) / "landmarks.npy")
    cache = open_crops_cache(crops)
    size = cache.shape[1]
    clip = np.array([f.split("/")[0] in kinds for f in table.files])
    keep = clip & np.isfinite(table.aus).all(axis=1) & np.array(
        [not is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
    groups = np.array(table.identities)
    keep &= steady_rows(points, groups, max_pose_px)
    rows = np.flatnonzero(keep)
    log(f"  shading: {len(rows)} steady training rows of {int(clip.sum())} ({', '.join(kinds)})")
    mean_points = (points[rows].mean(axis=0) * (side / size)).astype(np.float32)
    triangles = triangulate(extend_points(mean_points))
    maps = np.empty((len(rows), side, side), np.float32)
    for n, r in enumerate(rows):
        maps[n] = canonical_luminance(np.asarray(cache[r]), points[r], mean_points, side, triangles)
        if n % 1000 == 0:
            log(f"  shading: {n}/{len(rows)} frames")
    region = face_region(mean_points, side, triangles)
    maps = band_pass(maps, region, BAND_SIGMA * side / SIDE)
    weights = fit_au_shading(maps, table.aus[rows], groups[rows], region)
    return AuShading(weights, mean_points, triangles)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Fit the AU -> shading map on landmark crops' clip frames.")
    parser.add_argument("crops", type=Path, help="a folder written by ganimate.training.landmark_crops")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output .npz")
    parser.add_argument("--kinds", default="clip,lfw", help="comma-separated row kinds to fit on: clip, lfw")
    args = parser.parse_args(argv)
    fit_from_crops(args.crops, kinds=tuple(args.kinds.split(","))).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
