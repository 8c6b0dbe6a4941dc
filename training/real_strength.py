"""What real faces show at the edit targets' intensities: the yardstick for edit_eval's AU-rise and shape goals.

For each single target of edit_eval (generator_eval.TARGETS), the landmark crops' rows that OpenFace reads at
(nearly) the target's intensity are paired with a row of the same person (an LFW person's other photo, a
clip's other frame) that reads under LOW on the target's AUs. For those pairs: the shipped AU estimator's
rise of the key AU (what edit_eval reads on an edit) and the change of the target's shape measure from
OpenFace's 68 points over the inter-ocular distance (face/landmarks.shape_measures). Held-out people are
reported apart from training people, whom the estimator was trained on (its readings there flatter it).

Run: python -m ganimate.training.real_strength runs/crops128 [--pairs 300]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES

LOW = 0.5  # a pair's other row reads under this on each of the target's AUs
STRONG = 0.8  # share of each target intensity a row must reach to count as showing it
# edit_eval's targets, the AU whose rise is read and the shape measure that moves
MEASURES: dict[str, tuple[str, str]] = {
    "smile": ("AU12", "mouth_width"),
    "brows up": ("AU01", "brow_eye"),
    "frown": ("AU04", "brow_eye"),
    "mouth open": ("AU25", "lip_gap"),
    "eyes closed": ("AU45", "lid_gap"),
}


@dataclass(frozen=True)
class Strength:
    """pairs: how many; rise: mean estimated rise of the key AU; labelled: OpenFace's mean rise of it; shape:
    mean change of the shape measure (inter-ocular distances); kinds: pairs per source kind (lfw, clip, ...)."""

    pairs: int
    rise: float
    labelled: float
    shape: float
    kinds: dict[str, int]


def strong_pairs(aus: np.ndarray, people: np.ndarray, keep: np.ndarray, spec: dict[str, float], limit: int,
                 seed: int = 0) -> list[tuple[int, int]]:
    """(low row, strong row) pairs of one person each: strong rows read at least STRONG x each AU of spec
    (name -> intensity), low rows under LOW on all of them; both within keep (bool (N,)); aus float (N, 17),
    people (N,) identity keys. One random low row per strong row; at most limit pairs, shuffled."""
    cols = [AU_NAMES.index(k) for k in spec]
    need = np.array([STRONG * v for v in spec.values()])
    with np.errstate(invalid="ignore"):
        strong = keep & np.all(aus[:, cols] >= need, axis=1)
        low = keep & np.all(aus[:, cols] < LOW, axis=1)
    rng = np.random.default_rng(seed)
    by_person: dict[object, np.ndarray] = {}
    pairs = []
    for r in np.flatnonzero(strong):
        if people[r] not in by_person:
            by_person[people[r]] = np.flatnonzero(low & (people == people[r]))
        cand = by_person[people[r]]
        if len(cand):
            pairs.append((int(rng.choice(cand)), int(r)))
    order = rng.permutation(len(pairs))
    return [pairs[i] for i in order[:limit]]


def measure(pairs: list[tuple[int, int]], key: str, shape: str, aus: np.ndarray, points: np.ndarray,
            readings: np.ndarray, kinds: np.ndarray) -> Strength:
    """Strength of pairs from per-row estimator readings (float (N, 17)), OpenFace aus and points (N, 68, 2)."""
    from ganimate.face.landmarks import shape_measures

    if not pairs:
        return Strength(0, float("nan"), float("nan"), float("nan"), {})
    a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    k = AU_NAMES.index(key)
    change = shape_measures(points[b])[shape] - shape_measures(points[a])[shape]
    names, counts = np.unique(kinds[b], return_counts=True)
    return Strength(len(pairs), float(np.mean(readings[b, k] - readings[a, k])), float(np.mean(aus[b, k] - aus[a, k])),
                    float(np.mean(change)), {str(n): int(c) for n, c in zip(names, counts, strict=True)})


def main(argv: list[str] | None = None) -> None:
    from ganimate.errors import GanimateError
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.infer.estimator import AuEstimator
    from ganimate.infer.models import DEFAULT_AU_ESTIMATOR

    from .dataset import open_crops_cache, read_aus_csv
    from .generator_eval import TARGETS
    from .holdout import is_heldout

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("crops", type=Path, help="a folder written by ganimate.training.landmark_crops")
    ap.add_argument("--pairs", type=int, default=300, help="at most this many pairs per target and split")
    ap.add_argument("--estimator", type=Path, default=Path(DEFAULT_AU_ESTIMATOR))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    for path in (args.crops / "aus.csv", args.crops / "landmarks.npy", args.estimator):
        if not path.is_file():
            raise GanimateError(f"not found: {path}")
    table = read_aus_csv(args.crops / "aus.csv")
    points = np.load(args.crops / "landmarks.npy")
    cache = open_crops_cache(args.crops)
    est = AuEstimator(args.estimator, backend="onnxruntime", device="cpu", threads=args.threads)
    people = np.array(table.identities)
    kinds = np.array([f.split("/")[0] for f in table.files])
    labelled = np.isfinite(table.aus).all(axis=1)
    held = np.array([is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
    readings = np.full(table.aus.shape, np.nan, np.float32)

    def read(rows: np.ndarray) -> None:  # the estimator's crop, cut as edit_eval cuts an edit's
        todo = [r for r in rows if np.isnan(readings[r, 0])]
        for i in range(0, len(todo), 64):
            batch = todo[i:i + 64]
            crops = np.stack([warp_face_by_landmarks(np.asarray(cache[r]), five_points(points[r]), est.size)[0]
                              for r in batch])
            readings[batch] = est.estimate(crops)

    print("| target | people | pairs (kinds) | estimated rise | OpenFace rise | shape change |")
    print("|---|---|---|---|---|---|")
    for name, (key, shape) in MEASURES.items():
        for split, mask in (("held-out", held), ("training", ~held)):
            pairs = strong_pairs(table.aus, people, labelled & mask, TARGETS[name], args.pairs)
            read(np.array(sorted({r for p in pairs for r in p}), int))
            s = measure(pairs, key, shape, table.aus, points, readings, kinds)
            where = ", ".join(f"{k} {v}" for k, v in s.kinds.items())
            print(f"| {name} | {split} | {s.pairs} ({where}) | {key} {s.rise:+.2f} | {s.labelled:+.2f} | "
                  f"{shape} {s.shape:+.3f} |")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
