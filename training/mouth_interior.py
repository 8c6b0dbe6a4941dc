"""What the inside of an open mouth looks like: the median of real open mouths, smiling and speaking.

Every training photo and clip frame whose inner lips are apart (mouth_opening >= MIN_OPENING) is resampled onto
the mouth grid of ganimate/face/mouth.py (corner to corner, upper inner lip to lower), in log-RGB relative to
the same face's cheek skin (so the light and the person's complexion are taken out), and the per-pixel median
is kept per opening bin, for faces smiling (AU12 >= SMILING) and not (AU12 < SPEAKING). Smiles show the
teeth, top and bottom, with dark corners; a mouth opened without a smile shows the teeth's edges and the dark
inside. A median of thousands of mouths is smooth (no single tooth), which at the few px a mouth interior has
in most videos reads as teeth; held-out people and clips are left out. Seconds on a CPU.

Run: python -m ganimate.training.mouth_interior runs/crops128 -o ganimate/models/mouth_interior.npz
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.mouth import MouthInterior, mouth_opening, sample_mouth, skin_colour

GRID = (12, 32)  # h, w of the mouth grid
MIN_OPENING = 0.06
BIN_EDGES = (0.06, 0.12, 0.18, 0.26, 0.40, np.inf)
SMILING, SPEAKING = 1.5, 1.0  # AU12 at or above: a smile; below: not (in between: left out)
MIN_MOUTHS = 60  # a bin's smile or speech map with fewer mouths is the other's


def relative_mouth(image: np.ndarray, points: np.ndarray, shape: tuple[int, int] = GRID) -> np.ndarray:
    """float32 (h, w, 3): log(RGB + 1) of the mouth's inside (sample_mouth) minus log(cheek RGB + 1)."""
    return (np.log(sample_mouth(image, points, shape) + 1.0) - np.log(skin_colour(image, points) + 1.0)).astype(
        np.float32)


def fit_interior(mouths: np.ndarray, openings: np.ndarray, smiles: np.ndarray) -> MouthInterior:
    """mouths float32 (N, h, w, 3) relative_mouth; openings float (N,) mouth_opening; smiles int (N,) 1 smiling,
    0 not, -1 neither (left out). Bins of BIN_EDGES with no mouth at all are dropped."""
    maps, centres = [], []
    for lo, hi in zip(BIN_EDGES[:-1], BIN_EDGES[1:], strict=True):
        in_bin = (openings >= lo) & (openings < hi)
        if not np.any(in_bin & (smiles >= 0)):
            continue
        pair = []
        for s in (0, 1):
            rows = in_bin & (smiles == s)
            if rows.sum() < MIN_MOUTHS:
                rows = in_bin & (smiles >= 0)
            pair.append(np.median(mouths[rows], axis=0))
        maps.append(np.stack(pair))
        centres.append(np.median(openings[in_bin & (smiles >= 0)]))
    return MouthInterior(np.stack(maps).astype(np.float32), np.array(centres, np.float32))


def fit_from_crops(crops: Path, log=print) -> MouthInterior:
    """Fit on a landmark_crops folder's training rows (photos and clip frames), held-out people and clips left
    out."""
    from .dataset import read_aus_csv
    from .holdout import is_heldout

    table = read_aus_csv(Path(crops) / "aus.csv")
    points = np.load(Path(crops) / "landmarks.npy")
    cache = np.load(next(Path(crops).glob("cache_*.npy")), mmap_mode="r")
    au12 = table.aus[:, AU_NAMES.index("AU12")]
    openings = np.array([mouth_opening(p) for p in points])
    keep = (openings >= MIN_OPENING) & np.isfinite(au12) & np.array(
        [not is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
    rows = np.flatnonzero(keep)
    smiles = np.where(au12[rows] >= SMILING, 1, np.where(au12[rows] < SPEAKING, 0, -1))
    log(f"  mouth: {len(rows)} open training mouths ({int((smiles == 1).sum())} smiling, "
        f"{int((smiles == 0).sum())} not)")
    mouths = np.stack([relative_mouth(np.asarray(cache[r]), points[r]) for r in rows])
    return fit_interior(mouths, openings[rows], smiles)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Fit the mouth interior map on landmark crops.")
    parser.add_argument("crops", type=Path, help="a folder written by ganimate.training.landmark_crops")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output .npz")
    args = parser.parse_args(argv)
    interior = fit_from_crops(args.crops)
    interior.save(args.out)
    print(f"wrote {args.out}: openings {np.round(interior.openings, 3).tolist()}")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
