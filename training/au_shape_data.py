"""Run-time readings of the shared data for fitting AUs from face shape: AU estimator + landmark model outputs.

For every clip of ../shared/data/videos the `ganimate aus --landmarks` path is run (decode, track, align,
estimate, two-pass landmarks) and the largest face's raw (uncalibrated) AU readings and 68 points are kept
beside OpenFace's labels for the same frames. For the prepared photo crops (landmark_crops' layout) the two
models read the aligned crops directly. Both are what the run time will feed the shape-aware AU reader.

Run: python -m ganimate.training.au_shape_data ../shared/data/videos runs/crops128 -o runs/au_shape
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.config import RunConfig

from .holdout import VIDEO_SUFFIXES, is_heldout, is_heldout_clip


def collect_clips(videos: Path, out: Path) -> None:
    from ganimate.pipeline.context import load_models

    from .video_au_eval import read_clip, read_labels

    run = replace(RunConfig(), infer=replace(RunConfig().infer, calibration=None, precision="f32"))
    models = load_models(run, need_generator=False, need_landmarks=True)
    arrays: dict[str, np.ndarray] = {}
    for path in sorted(p for p in videos.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES):
        label_file = path.with_name(path.stem + ".openface.csv")
        if not label_file.exists():
            continue
        labels = read_labels(label_file)
        frames, aus, points = read_clip(path, run, models, landmarks=True)
        keep = np.array([f in labels for f in frames], dtype=bool)
        print(f"{path.stem}: {len(frames)} frames with a face, {int(keep.sum())} labelled, "
              f"held out {is_heldout_clip(path.stem)}", flush=True)
        arrays[f"{path.stem}/frames"] = frames
        arrays[f"{path.stem}/aus"] = aus.astype(np.float32)
        arrays[f"{path.stem}/points"] = points
        arrays[f"{path.stem}/labels"] = np.stack([labels.get(int(f), np.full(len(AU_NAMES), np.nan)) for f in frames]
                                                ).astype(np.float32) if len(frames) else np.zeros((0, 17), np.float32)
    np.savez_compressed(out / "clips.npz", **arrays)


def collect_photos(data: Path, out: Path, batch: int = 64) -> None:
    """Readings of every photo crop (not clip frames) of a prepared dataset, with its labels and split."""
    from ganimate.infer.estimator import AuEstimator
    from ganimate.infer.landmarks import LandmarkEstimator

    from .dataset import read_aus_csv

    table = read_aus_csv(data / "aus.csv")
    cache = np.load(data / "cache_128.npy", mmap_mode="r")
    photo = np.array([not s.startswith("videos/") for s in table.sources])
    idx = np.flatnonzero(photo & np.isfinite(table.aus).all(axis=1))
    est = AuEstimator.load(None, precision="f32")
    marks = LandmarkEstimator.load(None, precision="f32")
    import cv2

    aus, points = [], []
    for s in range(0, len(idx), batch):
        crops = np.asarray(cache[idx[s:s + batch]])
        small = crops if est.size == crops.shape[1] else np.stack(
            [cv2.resize(c, (est.size, est.size), interpolation=cv2.INTER_AREA) for c in crops])
        aus.append(est.estimate(small))
        lm_in = crops if marks.size == crops.shape[1] else np.stack(
            [cv2.resize(c, (marks.size, marks.size), interpolation=cv2.INTER_AREA) for c in crops])
        points.append(marks.locate(lm_in) * (crops.shape[1] / marks.size))
        if s % (batch * 100) == 0:
            print(f"photos {s}/{len(idx)}", flush=True)
    held = np.array([is_heldout(table.identities[i], table.sources[i]) for i in idx])
    np.savez_compressed(out / "photos.npz", aus=np.concatenate(aus), points=np.concatenate(points),
                        labels=table.aus[idx].astype(np.float32), heldout=held,
                        sources=np.array([table.sources[i] for i in idx]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", type=Path)
    parser.add_argument("data", type=Path, help="prepared photo crops (landmark_crops' output)")
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--only", choices=("clips", "photos"), default=None)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "photos"):
        collect_photos(args.data, args.out)
    if args.only in (None, "clips"):
        collect_clips(args.videos, args.out)


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
