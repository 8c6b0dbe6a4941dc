"""What the inside of an open mouth looks like: the median of real open mouths, smiling and with the jaw dropped.

Every training photo and clip frame whose inner lips are apart (mouth_opening >= MIN_OPENING, and OpenFace reads
its lips parted: AU25 >= LIPS_APART) is resampled onto the mouth grid of ganimate/face/mouth.py (corner to
corner, upper inner lip to lower), in log-RGB relative to the same face's cheek skin (so the light and the
person's complexion are taken out), and the per-pixel median is kept per opening bin for two kinds of mouth:
smiling (AU12 >= SMILING) and opened by the jaw without a smile (AU12 < SPEAKING, AU26 >= JAW_DROPPED).

One look per kind: at the same opening a real open mouth's middle is either dark (the cavity) or bright (the
teeth), rarely between (on the training mouths not smiling, the middle's luminance over the cheeks' is below
0.5 or above 0.9 for 74% of them); a per-pixel median over both is a flat lip-toned plate no real mouth shows
(looked at: the mouth-open edits of session 5 to 9). So each kind keeps only the mouths of its modal look
(smiles: the teeth; a dropped jaw: the cavity — 69% of non-smiling mouths with AU26 2-3 are dark, 17% with AU26
< 1, where lips part over the teeth), and its median is taken over those. A median of hundreds of mouths is
smooth (no single tooth), which at the few px a mouth interior has in most videos reads as teeth or a dark
inside; held-out people and clips are left out. Seconds on a CPU.

Run: python -m ganimate.training.mouth_interior runs/crops128 -o ganimate/models/mouth_interior.npz
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.mouth import MouthInterior, mouth_opening, relative_luminance, sample_mouth, skin_colour

GRID = (12, 32)  # h, w of the mouth grid
MIN_OPENING = 0.06
BIN_EDGES = (0.06, 0.12, 0.18, 0.26, 0.40, np.inf)
SMILING, SPEAKING = 1.5, 1.0  # AU12 at or above: a smile; below: not (in between: left out)
JAW_DROPPED = 1.0  # AU26 at or above (and not smiling): a mouth the jaw opened
DARK, BRIGHT = 0.5, 0.9  # the middle's luminance over the cheeks' below: the cavity; at or above: the teeth
MIDDLE = (slice(4, 8), slice(10, 22))  # the grid's cells whose luminance says dark or bright (GRID 12 x 32)
# AU12 bins in which the refit reports the dark and the bright share: the look flips near AU12 0.5 (43% / 30%
# below, 16% / 60% at 0.5-1), yet the run time blends the two maps over AU12 0.5-2 (face/mouth.SMILE_FROM): a
# share that flips at 0.3-1.0 laid the median teeth, a flat white band at 400 px, into talking mouths (looked at)
LOOK_AU12 = (0.0, 0.5, 1.0, 1.25, 1.5, 2.0, np.inf)
# OpenFace's inner-lip points part on many closed mouths (thick lips, a dark seam): by their gap alone most
# non-smiling "open" training mouths were shut (looked at), and their median was lip tissue, a flat mauve
# inside the edit's opening; its AU25 (lips part), read from the pixels too, keeps the mouths that are open
LIPS_APART = 1.5
MIN_MOUTHS = 60  # a bin's map from fewer mouths of its kind and look is that kind's median over all bins


def relative_mouth(image: np.ndarray, points: np.ndarray, shape: tuple[int, int] = GRID) -> np.ndarray:
    """float32 (h, w, 3): log(RGB + 1) of the mouth's inside (sample_mouth) minus log(cheek RGB + 1)."""
    return (np.log(sample_mouth(image, points, shape) + 1.0) - np.log(skin_colour(image, points) + 1.0)).astype(
        np.float32)


def middle_luminance(mouths: np.ndarray) -> np.ndarray:
    """float (N,): each relative_mouth's (float32 (N, h, w, 3)) mean luminance over the cheeks' in its MIDDLE."""
    return relative_luminance(mouths[:, MIDDLE[0], MIDDLE[1]]).mean(axis=(1, 2))


def modal_look(luminance: np.ndarray) -> np.ndarray:
    """bool (N,): the mouths (middle_luminance float (N,)) of the commoner look, dark (< DARK) or bright (>=
    BRIGHT); those between are neither."""
    dark, bright = luminance < DARK, luminance >= BRIGHT
    return dark if dark.sum() > bright.sum() else bright


def kind_looks(kinds: np.ndarray, luminance: np.ndarray) -> dict[int, np.ndarray]:
    """{kind: bool (N,)} for 0 (the jaw dropped) and 1 (smiling): the mouths of that kind (kinds int (N,)) of its
    modal_look (middle_luminance float (N,))."""
    return {k: (kinds == k) & modal_look(np.where(kinds == k, luminance, np.nan)) for k in (0, 1)}


def fit_interior(mouths: np.ndarray, openings: np.ndarray, kinds: np.ndarray) -> MouthInterior:
    """mouths float32 (N, h, w, 3) relative_mouth; openings float (N,) mouth_opening; kinds int (N,) 1 smiling,
    0 the jaw dropped, -1 neither (left out). Each kind keeps its modal_look; bins of BIN_EDGES with no mouth
    of either kind are dropped."""
    look = kind_looks(kinds, middle_luminance(mouths))
    maps, centres = [], []
    for lo, hi in zip(BIN_EDGES[:-1], BIN_EDGES[1:], strict=True):
        in_bin = (openings >= lo) & (openings < hi)
        if not np.any(in_bin & (kinds >= 0)):
            continue
        pair = []
        for k in (0, 1):
            rows = in_bin & look[k]
            if rows.sum() < MIN_MOUTHS:
                rows = look[k] if look[k].any() else look[1 - k]
            pair.append(np.median(mouths[rows], axis=0))
        maps.append(np.stack(pair))
        centres.append(np.median(openings[in_bin & (kinds >= 0)]))
    return MouthInterior(np.stack(maps).astype(np.float32), np.array(centres, np.float32))


def open_mouths(openings: np.ndarray, au12: np.ndarray, au25: np.ndarray, au26: np.ndarray, heldout: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(rows int (M,), kinds int (M,)): the rows whose mouths are open (mouth_opening >= MIN_OPENING, AU25 >=
    LIPS_APART, labels present, not held out; all arrays float/bool (N,)) and for each 1 smiling (AU12 >=
    SMILING), 0 the jaw dropped without a smile (AU12 < SPEAKING, AU26 >= JAW_DROPPED), -1 neither."""
    with np.errstate(invalid="ignore"):
        keep = (openings >= MIN_OPENING) & (au25 >= LIPS_APART) & np.isfinite(au12) & ~heldout
        rows = np.flatnonzero(keep)
        jaw = (au12[rows] < SPEAKING) & (au26[rows] >= JAW_DROPPED)
    return rows, np.where(au12[rows] >= SMILING, 1, np.where(jaw, 0, -1))


def fit_from_crops(crops: Path, log=print) -> MouthInterior:
    """Fit on a landmark_crops folder's training rows (photos and clip frames), held-out people and clips left
    out."""
    from .dataset import open_crops_cache, read_aus_csv
    from .holdout import is_heldout

    table = read_aus_csv(Path(crops) / "aus.csv")
    points = np.load(Path(crops) / "landmarks.npy")
    cache = open_crops_cache(crops)
    openings = np.array([mouth_opening(p) for p in points])
    heldout = np.array([is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
    au = {n: table.aus[:, AU_NAMES.index(n)] for n in ("AU12", "AU25", "AU26")}
    rows, kinds = open_mouths(openings, au["AU12"], au["AU25"], au["AU26"], heldout)
    mouths = np.stack([relative_mouth(np.asarray(cache[r]), points[r]) for r in rows])
    luminance = middle_luminance(mouths)
    for lo, hi in zip(LOOK_AU12[:-1], LOOK_AU12[1:], strict=True):  # where the look flips (face/mouth.SMILE_FROM)
        sel = (au["AU12"][rows] >= lo) & (au["AU12"][rows] < hi)
        if sel.any():
            log(f"  mouth: AU12 {lo}-{hi}: {int(sel.sum())} open mouths, dark {np.mean(luminance[sel] < DARK):.2f}, "
                f"teeth {np.mean(luminance[sel] >= BRIGHT):.2f}")
    looks = kind_looks(kinds, luminance)
    for k, name in ((1, "smiling"), (0, "jaw dropped")):
        kept = looks[k]
        log(f"  mouth: {int((kinds == k).sum())} open training mouths {name}, {int(kept.sum())} of its look "
            f"({'dark' if luminance[kept].mean() < DARK else 'bright'})")
    return fit_interior(mouths, openings[rows], kinds)


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
