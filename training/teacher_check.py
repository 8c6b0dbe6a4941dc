"""How far the AU -> landmark teacher moves a face, beside how far the same people's real expressions move it.

Pairs are chosen by the crowd's expression labels (lfw_expressions.csv: a person's first neutral photo and
their expressive photo with the strongest key AU), not by OpenFace's AUs, so the ratio of mean real change
to mean taught change is not shrunk by the AU labels' noise the way a least-squares slope is: it is the
grouping (Wald) estimate of how much the map under- or over-reads. Shapes are face/landmarks.shape_measures
of OpenFace's points in the aligned crops; the real expressive face is laid onto the neutral one by its eyes and
nose first (edit_measures.align_to, as edit_eval lays its faces), since the teacher's motion leaves them in place.

Run: python -m ganimate.training.teacher_check runs/crops128 ../shared/data/faces/lfw_expressions.csv
     [--geometry checkpoints/au_geometry.npz]
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.face.landmarks import JAW, MOUTH, interocular, shape_measures

from .au_geometry import AuGeometry, teacher_points
from .edit_measures import align_to

# the expression compared with neutral, and the AU whose strongest photo stands for it
CONTRASTS: dict[str, str] = {"happiness": "AU12", "surprise": "AU26", "anger": "AU04"}
MEASURES = ("mouth_width", "corner_lift", "lip_gap", "brow_eye", "lid_gap", "corners_up", "upper_lip_up",
            "lower_lip_up", "chin_up", "jaw_slide", "mouth_slide")
# points' rise in the aligned crop (eyes and nose fixed), over the inter-ocular distance: corner_lift is taken
# from the lips' midpoints, so it cannot tell a smile that raises the upper lip from one that drops the jaw
RISES = {"corners_up": (48, 54), "upper_lip_up": (51,), "lower_lip_up": (57,), "chin_up": (8,)}
# points' mean shift to the image's right, over the inter-ocular distance: an AU is bilateral, so a teacher that
# slides the jaw or mouth has learnt a head turn (the real pairs' slide is their photos' own head turns)
SLIDES = {"jaw_slide": JAW, "mouth_slide": MOUTH}


def shape_and_rises(points: np.ndarray) -> dict[str, np.ndarray]:
    """shape_measures plus RISES (minus the mean y of the points) and SLIDES (the mean x), over the inter-ocular
    distance: (N,) each."""
    p = np.asarray(points, np.float64)
    out = dict(shape_measures(p))
    iod = interocular(p)
    out.update({k: -p[:, list(idx), 1].mean(axis=1) / iod for k, idx in RISES.items()})
    out.update({k: p[:, list(idx), 0].mean(axis=1) / iod for k, idx in SLIDES.items()})
    return out


@dataclass(frozen=True)
class Contrast:
    """Means over n pairs of each shape measure's change: real (the person's photos) and taught."""

    n: int
    real: dict[str, float]
    taught: dict[str, float]


def contrast_pairs(identities, expressions, aus: np.ndarray, expression: str, key_au: str) -> list[tuple[int, int]]:
    """(neutral row, expressive row) per person who has both: the first neutral row, the expressive row with the
    highest key_au. identities / expressions: sequences per row (expression None = unlabelled)."""
    k = AU_NAMES.index(key_au)
    by_person: dict[str, dict[str, list[int]]] = {}
    for i, (person, label) in enumerate(zip(identities, expressions, strict=True)):
        if label in ("neutral", expression):
            by_person.setdefault(person, {}).setdefault(label, []).append(i)
    return [(rows["neutral"][0], max(rows[expression], key=lambda i: aus[i, k]))
            for _, rows in sorted(by_person.items()) if "neutral" in rows and expression in rows]


def compare_contrast(points: np.ndarray, aus: np.ndarray, pairs: list[tuple[int, int]], geometry: AuGeometry,
                     size: float, **teacher) -> Contrast:
    """points float (N, 68, 2) crop px, aus float (N, 17) 0..5; teacher: teacher_points' keyword options."""
    if not pairs:
        return Contrast(0, {m: 0.0 for m in MEASURES}, {m: 0.0 for m in MEASURES})
    a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    neutral = np.asarray(points[a], np.float64)
    real = np.stack([align_to(points[j], neutral[i]) for i, j in enumerate(b)])
    taught = teacher_points(neutral, aus[a], aus[b], geometry, size, **teacher)
    m0, mr, mt = shape_and_rises(neutral), shape_and_rises(real), shape_and_rises(taught)
    return Contrast(len(pairs), {m: float(np.mean(mr[m] - m0[m])) for m in MEASURES},
                    {m: float(np.mean(mt[m] - m0[m])) for m in MEASURES})


def read_expressions(path: Path) -> dict[str, str]:
    """lfw_expressions.csv: photo path under faces/ (e.g. lfw/A/A_0001.jpg) -> crowd expression label."""
    with open(path, newline="") as f:
        return {r["path"]: r["expression_muxspace"] for r in csv.DictReader(f)}


def split_expressions(table, labels: dict[str, str], held: bool) -> list[str | None]:
    """Per row of a landmark_crops table (dataset.Rows): its crowd expression label if it is a fully labelled LFW
    photo of the held-out (held) or training split, else None."""
    from .holdout import is_heldout

    return [labels.get(s.removeprefix("faces/"))
            if f.startswith("lfw/") and np.isfinite(a).all() and is_heldout(p, s) == held else None
            for f, a, p, s in zip(table.files, table.aus, table.identities, table.sources, strict=True)]


def main(argv: list[str] | None = None) -> None:
    from .dataset import open_crops_cache, read_aus_csv

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("crops", type=Path, help="a folder written by ganimate.training.landmark_crops")
    ap.add_argument("expressions", type=Path, help="../shared/data/faces/lfw_expressions.csv")
    ap.add_argument("--geometry", type=Path, default=Path("checkpoints/au_geometry.npz"))
    args = ap.parse_args(argv)
    from ganimate.errors import GanimateError

    for path in (args.crops / "landmarks.npy", args.expressions, args.geometry):
        if not path.is_file():
            raise GanimateError(f"not found: {path}")
    table = read_aus_csv(args.crops / "aus.csv")
    points = np.load(args.crops / "landmarks.npy")
    size = float(open_crops_cache(args.crops).shape[1])
    labels = read_expressions(args.expressions)
    geometry = AuGeometry.load(args.geometry)
    for held in (False, True):
        expr = split_expressions(table, labels, held)
        for expression, key in CONTRASTS.items():
            c = compare_contrast(points, table.aus, contrast_pairs(table.identities, expr, table.aus, expression, key),
                                 geometry, size)
            print(f"{'held-out' if held else 'training'} neutral->{expression} ({c.n} people), real / taught:")
            for m in MEASURES:
                ratio = c.taught[m] / c.real[m] if abs(c.real[m]) > 1e-9 else float("nan")
                print(f"  {m:13s} {c.real[m]:+.3f} / {c.taught[m]:+.3f}  ({ratio:.2f})")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
