"""How each AU moves the 68 landmarks: a linear map fitted on same-person differences.

Within one person (a clip, or an LFW person with several photos) the change of the landmarks is regressed on
the change of the AUs, each landmark only on the AUs of its facial region (a brow is not moved by a lip AU,
whatever the correlations in the data). Ridge least squares, seconds on a CPU. Each face's points are first
laid onto its person's by the eye corners and nose (LAYING_POINTS): a crop is aligned by five points that
include the mouth corners, so in crop coordinates a smile also moves the frame. Fitted in crop coordinates, the
map's smile raised the upper lip 0.30 and the corners 0.68 of the real rise on training LFW people's neutral ->
happy photos and dropped the chin twice as far; laid, 1.37 and 1.16, the chin kept (training/teacher_check.py).
The fitted motion is then made mirror-symmetric (mirror_symmetric): OpenFace's intensities are bilateral, yet
the raw fit moved AU26's whole jaw to the image's right (1.6-2.0 px per intensity unit at 128 px on the left
side, 0.6-0.8 on the right) and 66% of its motion, 77% of AU17's and 82% of AU20's, was the part a mirror image
reverses: heads that turn as people talk, which laying by a similarity cannot undo. On LFW people's neutral ->
surprise photos it slid the jaw +0.017 inter-ocular distances where the real photos slide it -0.020 (training
people; teacher_check's jaw_slide), and a warp taught that slid the lower face sideways and smeared one cheek's
edge when a mouth opened.
Used as the geometric teacher of the warping generator and as the geometry-only baseline editor.

Units: displacements as a fraction of the crop side (scale-free: multiply by the crop size in px).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face import landmarks as lmk
from ganimate.face.align import estimate_similarity, transform_points

# AUs allowed to move each region (FACS: which muscles act where).
REGION_AUS: tuple[tuple[tuple[int, ...], tuple[str, ...]], ...] = (
    (lmk.BROW_LEFT + lmk.BROW_RIGHT, ("AU01", "AU02", "AU04")),
    (lmk.EYELIDS, ("AU05", "AU06", "AU07", "AU45")),  # eye corners stay: they anchor the alignment
    (lmk.NOSE, ("AU09", "AU10")),
    (lmk.MOUTH, ("AU10", "AU12", "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26")),
    (lmk.JAW, ("AU12", "AU17", "AU20", "AU25", "AU26")),
)


@dataclass(frozen=True)
class AuGeometry:
    """weights: float32 (17, 68, 2): landmark displacement (fraction of the crop side) per AU intensity unit."""

    weights: np.ndarray

    def displacement(self, aus_from: np.ndarray, aus_to: np.ndarray) -> np.ndarray:
        """float32 (..., 68, 2) landmark motion, fraction of the crop side, for AU intensities (..., 17) 0..5."""
        delta = np.asarray(aus_to, np.float32) - np.asarray(aus_from, np.float32)
        return np.tensordot(delta, self.weights, axes=([-1], [0])).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez(path, weights=self.weights, au_names=np.array(AU_NAMES))

    @classmethod
    def load(cls, path: Path) -> AuGeometry:
        with np.load(path) as z:
            if tuple(str(n) for n in z["au_names"]) != AU_NAMES:
                raise ValueError(f"{path}: AU order differs from this version's")
            return cls(z["weights"].astype(np.float32))


def centred_by_group(groups: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Each array minus its group's median, rows of groups with a single member dropped."""
    groups = np.asarray(groups)
    keep = np.zeros(len(groups), dtype=bool)
    out = [np.empty_like(a, dtype=np.float64) for a in arrays]
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        if idx.size < 2:
            continue
        keep[idx] = True
        for a, o in zip(arrays, out, strict=True):
            o[idx] = a[idx] - np.median(a[idx], axis=0)
    return [o[keep] for o in out]


# The points a face is laid onto its person's by: eye corners and the whole nose. Without the nostrils
# (lmk.POSE_POINTS) the lower face floats: the teacher's smile dropped the lower lip 0.56 px at 128 px where
# training LFW people's real smiles keep it (0.09), and lifted the corners 1.17 of the real lift (1.01 with).
LAYING_POINTS = (36, 39, 42, 45) + lmk.NOSE


def mirror_symmetric(weights: np.ndarray) -> np.ndarray:
    """float (..., 68, 2) motions -> the same, each averaged with its mirror image (points swapped left for
    right by lmk.FLIP_PERMUTATION, x reversed): the fit on every face and its mirror image, as the AUs do not
    tell the sides apart. The crop's x axis lies along the eyes, so its mirror axis is the face's."""
    w = np.asarray(weights)
    mirrored = w[..., list(lmk.FLIP_PERMUTATION), :].copy()
    mirrored[..., 0] *= -1.0
    return 0.5 * (w + mirrored)


def laying_similarity(points: np.ndarray, onto: np.ndarray) -> np.ndarray:
    """float64 (2, 3): the similarity that lays the LAYING_POINTS of points (float (68, 2)) onto those of onto."""
    pose = list(LAYING_POINTS)
    return estimate_similarity(np.asarray(points)[pose], np.asarray(onto)[pose])


def laid_by_pose(groups: np.ndarray, points: np.ndarray, rounds: int = 2) -> np.ndarray:
    """float64 (N, 68, 2): each row's points moved by the similarity that lays its LAYING_POINTS (eye corners,
    nose) onto its group's median shape, so that within a group only expression moves them. points: float
    (N, 68, 2); groups: (N,) person keys."""
    groups = np.asarray(groups)
    out = np.asarray(points, np.float64).copy()
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        for _ in range(rounds):  # the median of the laid shapes is a steadier reference than of the raw ones
            ref = np.median(out[idx], axis=0)
            for i in idx:
                out[i] = transform_points(laying_similarity(out[i], ref), out[i])
    return out


def fit_au_geometry(aus: np.ndarray, points: np.ndarray, groups: np.ndarray, crop_size: float,
                    ridge: float = 1.0) -> AuGeometry:
    """Fit the map from AU change to landmark change.

    aus: float (N, 17) 0..5; points: float (N, 68, 2) aligned-crop px; groups: (N,) person keys (rows of
    one person are compared with each other only, laid onto each other by their pose points first);
    crop_size: the crops' side in px.
    """
    laid = laid_by_pose(groups, points) / crop_size
    d_aus, d_pts = centred_by_group(groups, np.asarray(aus, np.float64), laid)
    weights = np.zeros((len(AU_NAMES), 68, 2), dtype=np.float64)
    for idx, names in REGION_AUS:
        cols = [AU_NAMES.index(n) for n in names]
        x = d_aus[:, cols]
        y = d_pts[:, list(idx), :].reshape(len(d_pts), -1)
        w = np.linalg.solve(x.T @ x + ridge * np.eye(len(cols)), x.T @ y)  # (k, n_points * 2)
        for k, c in enumerate(cols):
            weights[c, list(idx), :] = w[k].reshape(len(idx), 2)
    return AuGeometry(mirror_symmetric(weights).astype(np.float32))


def fit_from_crops(crops: Path, ridge: float = 1.0) -> AuGeometry:
    """Fit on a landmark_crops folder: clip frames grouped by clip, LFW photos by person, held-out people
    and UTKFace (no identities) left out."""
    from .dataset import open_crops_cache, read_aus_csv
    from .holdout import is_heldout

    table = read_aus_csv(Path(crops) / "aus.csv")
    points = np.load(Path(crops) / "landmarks.npy")
    size = float(open_crops_cache(crops).shape[1])
    kinds = np.array([f.split("/")[0] for f in table.files])
    keep = np.array([k != "utkface" and not is_heldout(i, s)
                     for k, i, s in zip(kinds, table.identities, table.sources, strict=True)])
    keep &= np.isfinite(table.aus).all(axis=1)
    groups = np.array([f"{k}:{i}" for k, i in zip(kinds, table.identities, strict=True)])
    return fit_au_geometry(table.aus[keep], points[keep], groups[keep], size, ridge)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Fit the AU -> landmark motion map on landmark crops.")
    parser.add_argument("crops", type=Path, help="a folder written by ganimate.training.landmark_crops")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output .npz")
    args = parser.parse_args(argv)
    fit_from_crops(args.crops).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)


UPPER_LIDS = (37, 38, 43, 44)
LOWER_LIDS = (41, 40, 47, 46)  # the lower-lid point facing each upper one
_AU45 = AU_NAMES.index("AU45")
_OPENING = [AU_NAMES.index("AU25"), AU_NAMES.index("AU26")]
_BROWS = [AU_NAMES.index("AU01"), AU_NAMES.index("AU02"), AU_NAMES.index("AU04")]


def teacher_points(points: np.ndarray, aus_from: np.ndarray, aus_to: np.ndarray, geometry: AuGeometry,
                   size: float, lid_shares: tuple[float, float] = (0.8, 0.2), open_gain: float = 1.0,
                   brow_gain: float = 1.0, frown_gain: float | None = None) -> np.ndarray:
    """Where the landmarks of a face should go for a target expression: float32 (N, 68, 2) crop px.

    points: float (N, 68, 2) crop px; aus_from / aus_to: float (N, 17) 0..5; size: crop side in px.
    The linear map, except that closing the eyes (AU45 rising) closes each face's own lid gap: the upper lids
    travel lid_shares[0] and the lower lids lid_shares[1] of it, in proportion to the rise over 4. The linear
    map under-reads blinks (OpenFace's own landmarks barely close on labelled blinks), and a gap is a property
    of the face. For the backward flow the shares should not meet (sum < 1): where two goals coincide the flow
    is asked to point both up (to the upper lid) and down (to the lower one) and settles half-way, on the eye.
    open_gain scales the motion the map gives the mouth-opening AUs (AU25, AU26), which it under-reads too;
    brow_gain that of the brow AUs (AU01, AU02, AU04). Both are shrunk by the labels' noise (errors in the
    regressors attenuate a least-squares slope): on training LFW people's neutral -> surprise photos, chosen by
    crowd labels and not by OpenFace's AUs, the map gives half the real inner-lip opening (0.50) and brow lift (0.52).
    frown_gain, when given, scales the brow lowerer's (AU04) instead: on neutral -> anger photos the map gives a
    third of the real brows' fall (0.33).
    """
    p = np.asarray(points, np.float32)
    a, b = np.asarray(aus_from, np.float32), np.asarray(aus_to, np.float32)
    closing = np.clip((b[:, _AU45] - a[:, _AU45]) / 4.0, 0.0, 1.0)
    linear_to = b.copy()
    linear_to[:, _AU45] = np.where(closing > 0, a[:, _AU45], b[:, _AU45])
    groups = ((_OPENING, open_gain), (_BROWS, brow_gain)) if frown_gain is None else \
        ((_OPENING, open_gain), (_BROWS[:2], brow_gain), (_BROWS[2:], frown_gain))
    for cols, gain in groups:
        if gain != 1.0:
            linear_to[:, cols] = a[:, cols] + gain * (linear_to[:, cols] - a[:, cols])
    moved = p + geometry.displacement(a, linear_to) * size
    gap = p[:, LOWER_LIDS] - p[:, UPPER_LIDS]
    upper, lower = lid_shares
    moved[:, UPPER_LIDS] += upper * closing[:, None, None] * gap
    moved[:, LOWER_LIDS] -= lower * closing[:, None, None] * gap
    return moved.astype(np.float32)
