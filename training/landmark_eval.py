"""Landmark error (NME) of the shipped landmark model on held-out people: aligned crops and the run-time path.

crops: the held-out rows of a prepared dataset with landmarks (landmark_crops' layout), read on their
aligned crops, against OpenFace's points. clips: the held-out clips of ../shared/data/videos through the
`ganimate aus --landmarks` path (detect, track, two re-aligned passes), the largest face against the
clip's NAME.landmarks.csv. NME: mean point distance over the interocular (outer corners) distance.

Run: python -m ganimate.training.landmark_eval --crops runs/crops128 --videos ../shared/data/videos
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from ganimate.face.landmarks import normalised_error


def crops_nme(data: Path, model: Path | None, mirror: bool, batch: int = 64) -> dict[str, float]:
    """Mean NME over the held-out crops of `data`, pooled and per source folder (faces, videos)."""
    from ganimate.infer.landmarks import LandmarkEstimator

    from .dataset import read_aus_csv
    from .holdout import is_heldout

    table = read_aus_csv(data / "aus.csv")
    idx = np.flatnonzero([is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
    cache = np.load(data / f"cache_{LandmarkEstimator.load(model).size}.npy", mmap_mode="r")
    truth = np.load(data / "landmarks.npy", mmap_mode="r")
    estimator = LandmarkEstimator.load(model, precision="f32")
    pred = np.concatenate([estimator.locate(np.asarray(cache[idx[s:s + batch]]), mirror=mirror)
                           for s in range(0, len(idx), batch)])
    err = normalised_error(pred, np.asarray(truth[idx]))
    kinds = np.array([table.sources[i].split("/")[0] for i in idx])
    out = {"all": float(err.mean()), "n": int(len(idx))}
    out.update({k: float(err[kinds == k].mean()) for k in np.unique(kinds)})
    return out


def read_points(path: Path) -> dict[int, np.ndarray]:
    """NAME.landmarks.csv -> {1-based frame: float (68, 2)} for the rows OpenFace tracked."""
    from ganimate.au.openface_csv import landmarks_from_row

    with open(path, newline="") as f:
        return {int(r["frame"]): p for r in csv.DictReader(f, skipinitialspace=True)
                if (p := landmarks_from_row(r)) is not None}


def clips_nme(videos: Path) -> dict[str, float]:
    """Mean NME per held-out clip (the run-time path, largest face), and their mean and median."""
    from dataclasses import replace

    from ganimate.config import RunConfig
    from ganimate.pipeline.context import load_models

    from .holdout import VIDEO_SUFFIXES, is_heldout_clip
    from .video_au_eval import read_clip

    run = replace(RunConfig(), infer=replace(RunConfig().infer, calibration=None, precision="f32"))
    models = load_models(run, need_generator=False, need_landmarks=True)
    out: dict[str, float] = {}
    for path in sorted(p for p in videos.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and is_heldout_clip(p.stem)):
        truth_file = path.with_name(path.stem + ".landmarks.csv")
        if not truth_file.exists():
            continue
        truth = read_points(truth_file)
        frames, _aus, points = read_clip(path, run, models, landmarks=True)
        keep = [i for i, f in enumerate(frames) if int(f) in truth]
        if keep:
            truth_points = np.stack([truth[int(frames[i])] for i in keep])
            out[path.stem] = float(normalised_error(points[keep], truth_points).mean())
    values = list(out.values())
    out["mean"], out["median"] = float(np.mean(values)), float(np.median(values))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=Path, default=None, help="prepared crops with landmarks.npy")
    parser.add_argument("--videos", type=Path, default=None, help="../shared/data/videos")
    parser.add_argument("--model", type=Path, default=None, help="landmark ONNX (default: the shipped one)")
    args = parser.parse_args(argv)
    if args.crops is not None:
        for mirror in (False, True):
            r = crops_nme(args.crops, args.model, mirror)
            print(f"held-out crops ({r.pop('n')}), mirror {mirror}: " + ", ".join(f"{k} {v:.2%}" for k, v in r.items()))
    if args.videos is not None:
        r = clips_nme(args.videos)
        print("held-out clips, run-time path: " + ", ".join(f"{k} {v:.2%}" for k, v in r.items()))


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
