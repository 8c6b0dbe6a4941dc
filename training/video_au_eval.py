"""How well the run-time AU reading follows real video: the `ganimate aus` path on held-out clips.

Each clip is decoded, tracked and read exactly as `ganimate aus` does; the largest face's readings are
compared frame by frame with OpenFace 2.0.6's labels (NAME.openface.csv, dynamic models), pooled over
frames of all clips. Calibrations (ganimate/au/calibrate.py) are applied to the same readings, so the
choice between them is made on one set of runs.

Run: python -m ganimate.training.video_au_eval ../shared/data/videos --au-model M.onnx [--out table.md]
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from ganimate.au.calibrate import CalibrationConfig, calibrate_offline
from ganimate.au.names import AU_NAMES
from ganimate.au.openface_csv import aus_from_row
from ganimate.config import RunConfig

from .estimator_eval import pearson
from .holdout import VIDEO_SUFFIXES, is_heldout_clip

_ALL = tuple(AU_NAMES)
CALIBRATIONS: dict[str, CalibrationConfig | None] = {
    "none": None,
    "p10": CalibrationConfig(percentile=10.0, aus=_ALL),
    "p20": CalibrationConfig(percentile=20.0, aus=_ALL),
    "default": CalibrationConfig(),  # what the run time applies (selected AUs)
}


def read_labels(path: Path) -> dict[int, np.ndarray]:
    """OpenFace CSV -> {1-based frame: float (17,)} for frames with success 1."""
    with open(path, newline="") as f:
        rows = csv.DictReader(f, skipinitialspace=True)
        return {int(r["frame"]): aus.astype(np.float64) for r in rows
                if r["success"].strip() == "1" and (aus := aus_from_row(r)) is not None}


def read_clip(video: Path, run: RunConfig, models, landmarks: bool = False) -> tuple:
    """(frames int (T,), readings float (T, 17), landmarks float32 (T, 68, 2) frame px or None) of the largest
    tracked face, in frame order; the landmarks read as `ganimate aus --landmarks` does, when asked."""
    from ganimate.pipeline.faces import parse_face_choice
    from ganimate.pipeline.progress import frame_progress
    from ganimate.pipeline.source import faces_with_aus
    from ganimate.video.probe import probe_video

    info = probe_video(video)
    crop = replace(run.crop, size=models.estimator.size)
    frames, readings, points = [], [], []
    with frame_progress(False) as progress:
        for frame, crops, aus, *pts in faces_with_aus(video, info, run, models, progress, "AUs", crop,
                                                      parse_face_choice("largest"), landmarks=landmarks):
            if crops:
                frames.append(frame.index + 1)
                readings.append(aus[0])
                if landmarks:
                    points.append(pts[0][0])
    return (np.asarray(frames, dtype=np.int64), np.asarray(readings, dtype=np.float64).reshape(-1, len(AU_NAMES)),
            np.asarray(points, np.float32).reshape(-1, 68, 2) if landmarks else None)


def score(pred: np.ndarray, labels: np.ndarray, baseline: np.ndarray) -> dict:
    """Per-AU r and MAE, mean MAE, and the mean MAE of predicting `baseline` (17,) everywhere."""
    r = pearson(pred, labels)
    mae = np.abs(pred - labels).mean(axis=0)
    base = np.abs(baseline[None] - labels).mean(axis=0)
    return {"r": dict(zip(AU_NAMES, r.tolist(), strict=True)), "mae": dict(zip(AU_NAMES, mae.tolist(), strict=True)),
            "mean_mae": float(mae.mean()), "baseline_mae": float(base.mean()),
            "ratio": float(mae.mean() / max(base.mean(), 1e-9))}


def evaluate_clips(videos: Path, au_model: Path | None, baseline: np.ndarray, clips: list[str] | None = None) -> dict:
    """Scores of every calibration on the held-out clips of `videos` (or the named clip stems)."""
    from ganimate.pipeline.context import load_models

    run = replace(RunConfig(), infer=replace(RunConfig().infer, au_model=au_model, calibration=None))
    models = load_models(run, need_generator=False)
    paths = sorted(p for p in Path(videos).iterdir() if p.suffix.lower() in VIDEO_SUFFIXES
                   and (p.stem in clips if clips else is_heldout_clip(p.stem)))
    preds: dict[str, list[np.ndarray]] = {k: [] for k in CALIBRATIONS}
    labels_all, per_clip = [], {}
    for path in paths:
        labels = read_labels(path.with_name(path.stem + ".openface.csv"))
        frames, readings, _ = read_clip(path, run, models)
        keep = np.array([f in labels for f in frames], dtype=bool)
        if not keep.any():
            continue
        lab = np.stack([labels[f] for f in frames[keep]])
        labels_all.append(lab)
        for name, cfg in CALIBRATIONS.items():
            pred = readings if cfg is None else calibrate_offline(readings, cfg)
            preds[name].append(pred[keep])
        per_clip[path.stem] = int(keep.sum())
    labels_cat = np.concatenate(labels_all)
    out = {"clips": per_clip, "frames": int(len(labels_cat))}
    for name in CALIBRATIONS:
        out[name] = score(np.concatenate(preds[name]), labels_cat, baseline)
    return out


def to_markdown(result: dict, names: tuple[str, ...] = ("AU01", "AU02", "AU04", "AU06", "AU12", "AU25", "AU26",
                                                         "AU45")) -> str:
    cals = [k for k in CALIBRATIONS if k in result]
    lines = ["| AU | " + " | ".join(f"r {c}" for c in cals) + " | " + " | ".join(f"MAE {c}" for c in cals) + " |",
             "|---" * (1 + 2 * len(cals)) + "|"]
    for au in names:
        lines.append(f"| {au} | " + " | ".join(f"{result[c]['r'][au]:.2f}" for c in cals) + " | "
                     + " | ".join(f"{result[c]['mae'][au]:.2f}" for c in cals) + " |")
    lines.append("| mean MAE (17 AUs) | " + " | ".join("" for _ in cals) + " | "
                 + " | ".join(f"{result[c]['mean_mae']:.3f}" for c in cals) + " |")
    lines.append("| / baseline MAE | " + " | ".join("" for _ in cals) + " | "
                 + " | ".join(f"{result[c]['ratio']:.0%}" for c in cals) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", type=Path)
    parser.add_argument("--au-model", type=Path, default=None)
    parser.add_argument("--train-data", type=Path, default=None,
                        help="a prepared dataset: its training rows' mean is the baseline (else 0)")
    parser.add_argument("--clips", nargs="*", default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the table (.md) and numbers (.json)")
    args = parser.parse_args(argv)
    baseline = np.zeros(len(AU_NAMES))
    if args.train_data is not None:
        from .dataset import read_aus_csv
        from .holdout import is_heldout

        table = read_aus_csv(args.train_data / "aus.csv")
        keep = np.array([not is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
        keep &= np.isfinite(table.aus).all(axis=1)
        baseline = table.aus[keep].mean(axis=0)
    result = evaluate_clips(args.videos, args.au_model, baseline, args.clips)
    text = to_markdown(result)
    print(f"{result['frames']} frames of {len(result['clips'])} clips: {result['clips']}")
    print(text)
    if args.out is not None:
        args.out.with_suffix(".md").write_text(text + "\n")
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
