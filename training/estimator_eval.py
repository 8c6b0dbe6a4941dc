"""Evaluate an AU estimator (torch checkpoint or exported ONNX) on the held-out rows of a prepared dataset.

Per AU: mean absolute error and Pearson r against the OpenFace labels, beside the trivial baseline that
always predicts the training mean; the mean-MAE ratio (model / baseline, goal <= 0.55) and the r goals.
Plus a sanity check on held-out LFW people: estimated AU06/AU12 on photos labelled "happiness" minus
"neutral" (crowd-sourced labels), beside the same difference in the OpenFace labels.
All intensities are reported on the OpenFace 0..5 scale.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from ganimate.au.names import AU_MAX, AU_NAMES, au_index
from ganimate.errors import GanimateError

from .dataset import FaceDataset, read_aus_csv
from .holdout import VIDEO_SUFFIXES, is_heldout

MAE_RATIO_GOAL = 0.55
R_GOALS: dict[str, float] = {
    "AU06": 0.7, "AU12": 0.7, "AU25": 0.7, "AU26": 0.7, "AU01": 0.6, "AU02": 0.6, "AU04": 0.6, "AU45": 0.6,
}
SANITY_AUS = ("AU06", "AU12")


@dataclass(frozen=True)
class AUScore:
    name: str
    mae: float  # model, 0..5 scale
    baseline_mae: float  # predicting the training mean
    r: float  # Pearson r (NaN when predictions or labels are constant)
    r_clips: float  # Pearson r on video frames only (NaN when none)
    goal_r: float | None

    @property
    def meets_goal(self) -> bool | None:
        return None if self.goal_r is None else bool(np.isfinite(self.r) and self.r >= self.goal_r)


@dataclass(frozen=True)
class ExpressionCheck:
    """Mean AU on held-out LFW "happiness" photos minus "neutral" ones: model vs OpenFace labels."""

    n_happy: int
    n_neutral: int
    model_diff: dict[str, float]
    label_diff: dict[str, float]


@dataclass(frozen=True)
class EstimatorEval:
    model: str
    n_rows: int
    n_frames: int
    scores: tuple[AUScore, ...]
    mae_ratio: float  # mean MAE over AUs / mean baseline MAE over AUs
    expression: ExpressionCheck | None = None
    extra: dict = field(default_factory=dict)

    @property
    def goals_met(self) -> bool:
        return self.mae_ratio <= MAE_RATIO_GOAL and all(s.meets_goal is not False for s in self.scores)

    def to_markdown(self) -> str:
        """The model-card table: per AU, model vs baseline MAE and r, with goals."""
        lines = [
            f"Held-out rows: {self.n_rows} ({self.n_rows - self.n_frames} photos, {self.n_frames} video frames); "
            f"model `{self.model}`.",
            "",
            "| AU | MAE | baseline MAE | r | r (clips) | goal r |",
            "|---|---|---|---|---|---|",
        ]
        for s in self.scores:
            goal = "" if s.goal_r is None else f">= {s.goal_r:.1f} {'met' if s.meets_goal else 'missed'}"
            lines.append(f"| {s.name} | {s.mae:.3f} | {s.baseline_mae:.3f} | {_f(s.r)} | {_f(s.r_clips)} | {goal} |")
        mae = float(np.mean([s.mae for s in self.scores]))
        base = float(np.mean([s.baseline_mae for s in self.scores]))
        lines += [
            f"| mean | {mae:.3f} | {base:.3f} | | | MAE ratio {self.mae_ratio:.1%} (goal <= {MAE_RATIO_GOAL:.0%}) |",
        ]
        if self.expression is not None:
            e = self.expression
            lines += ["", f"LFW held-out people, happiness ({e.n_happy}) minus neutral ({e.n_neutral}):", "",
                      "| AU | model | OpenFace labels |", "|---|---|---|"]
            lines += [f"| {a} | {e.model_diff[a]:+.2f} | {e.label_diff[a]:+.2f} |" for a in e.model_diff]
        return "\n".join(lines) + "\n"


def _f(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.3f}"


def pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Column-wise Pearson r of float (N, K) arrays -> float64 (K,); NaN where a column is constant."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    da, db = a - a.mean(axis=0), b - b.mean(axis=0)
    den = np.sqrt((da**2).sum(axis=0) * (db**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (da * db).sum(axis=0) / den
    return np.where(den > 1e-12, r, np.nan)


def score_predictions(pred: np.ndarray, labels: np.ndarray, train_mean: np.ndarray,
                      is_frame: np.ndarray | None = None) -> tuple[tuple[AUScore, ...], float]:
    """Per-AU scores and the mean-MAE ratio.

    pred, labels: float (N, 17) intensities 0..5. train_mean: float (17,) 0..5 (the baseline's constant
    prediction). is_frame: bool (N,) rows from videos (for r on clips).
    """
    pred, labels = np.asarray(pred, np.float64), np.asarray(labels, np.float64)
    if pred.shape != labels.shape or pred.ndim != 2 or pred.shape[1] != len(AU_NAMES) or len(pred) == 0:
        raise GanimateError(f"predictions {pred.shape} and labels {labels.shape} must both be (N>0, 17)")
    mae = np.abs(pred - labels).mean(axis=0)
    base = np.abs(np.asarray(train_mean, np.float64)[None] - labels).mean(axis=0)
    r = pearson(pred, labels)
    frames = np.zeros(len(pred), bool) if is_frame is None else np.asarray(is_frame, bool)
    r_clips = pearson(pred[frames], labels[frames]) if frames.sum() > 1 else np.full(len(AU_NAMES), np.nan)
    scores = tuple(AUScore(n, float(mae[i]), float(base[i]), float(r[i]), float(r_clips[i]), R_GOALS.get(n))
                   for i, n in enumerate(AU_NAMES))
    ratio = float(mae.mean() / max(base.mean(), 1e-12))
    return scores, ratio


def _lfw_key(source: str) -> str | None:
    """'.../lfw/Person/Person_0001.jpg' -> 'lfw/Person/Person_0001.jpg' (the expressions csv key)."""
    parts = PurePosixPath(str(source).replace("\\", "/")).parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i - 1].lower() == "lfw":
            return "/".join(("lfw", *parts[i:]))
    return None


def read_expressions(path: Path) -> dict[str, str]:
    """lfw_expressions.csv (path, identity, expression_muxspace) -> {'lfw/Person/file.jpg': expression}."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        col = next((c for c in reader.fieldnames or () if c.startswith("expression")), None)
        if col is None or "path" not in (reader.fieldnames or ()):
            raise GanimateError(f"{path}: expected columns path and expression_*")
        return {row["path"].strip(): row[col].strip() for row in reader}


def expression_check(pred: np.ndarray, labels: np.ndarray, sources: list[str],
                     expressions: dict[str, str]) -> ExpressionCheck | None:
    """Happiness minus neutral means of SANITY_AUS for rows whose LFW file has an expression label."""
    expr = np.array([expressions.get(_lfw_key(s) or "", "") for s in sources])
    happy, neutral = expr == "happiness", expr == "neutral"
    if not happy.any() or not neutral.any():
        return None
    idx = [au_index(a) for a in SANITY_AUS]

    def diff(x: np.ndarray) -> dict[str, float]:
        d = x[happy][:, idx].mean(axis=0) - x[neutral][:, idx].mean(axis=0)
        return {a: float(v) for a, v in zip(SANITY_AUS, d, strict=True)}

    return ExpressionCheck(int(happy.sum()), int(neutral.sum()), diff(pred), diff(labels))


def make_predictor(model: Path, backend: str = "onnxruntime", threads: int = 0) -> Callable[[np.ndarray], np.ndarray]:
    """uint8 N x S x S x 3 RGB crops -> float32 (N, 17) 0..5, from a .onnx file or a torch checkpoint."""
    from ganimate.infer.tensors import crops_to_tensor

    model = Path(model)
    if model.suffix.lower() == ".onnx":
        from ganimate.infer.backend import open_session

        session = open_session(model, backend=backend, device="cpu", threads=threads)
        return lambda crops: np.asarray(session.run({"image": crops_to_tensor(crops)})["aus"]) * AU_MAX
    import torch

    from .estimator_net import load_estimator

    net = load_estimator(model)

    def run(crops: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(crops_to_tensor(crops))).numpy() * AU_MAX

    return run


def evaluate_estimator(model: Path, data: Path | Sequence[Path], expressions: Path | None = None,
                       batch_size: int = 64, backend: str = "onnxruntime",
                       image_size: int | None = None) -> EstimatorEval:
    """Score `model` (.onnx or torch checkpoint) on the held-out rows of the prepared dataset `data`
    (a folder, or several whose held-out rows are pooled).

    expressions: lfw_expressions.csv for the happiness-vs-neutral check (skipped when None).
    image_size: crop size the model takes (default: from the ONNX metadata or checkpoint config).
    The baseline predicts the mean label of the non-held-out (training) rows of all folders.
    """
    folders = [Path(data)] if isinstance(data, str | Path) else [Path(d) for d in data]
    size = image_size or _model_size(Path(model))
    predict = make_predictor(Path(model), backend)
    preds, labels, sources, train_labels = [], [], [], []
    seconds = 0.0
    for folder in folders:
        table = read_aus_csv(folder / "aus.csv")
        held = np.array([is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
        labelled = np.isfinite(table.aus).all(axis=1)
        train_labels.append(table.aus[~held & labelled])
        if not (held & labelled).any():
            continue
        dataset = FaceDataset(folder, size, rows=np.flatnonzero(held & labelled))
        started = time.perf_counter()
        preds += [predict(dataset.take(np.arange(i, min(i + batch_size, len(dataset)))))
                  for i in range(0, len(dataset), batch_size)]
        seconds += time.perf_counter() - started
        labels.append(table.aus[dataset.index])
        sources += [table.sources[i] for i in dataset.index]
    if not labels:
        raise GanimateError(f"no labelled held-out rows to evaluate on in {', '.join(map(str, folders))}")
    train = np.concatenate(train_labels)
    train_mean = train.mean(axis=0) if len(train) else np.zeros(len(AU_NAMES))
    pred = np.concatenate(preds).astype(np.float64)
    truth = np.concatenate(labels).astype(np.float64)
    is_frame = np.array([PurePosixPath(s.replace("\\", "/")).suffix.lower() in VIDEO_SUFFIXES for s in sources])
    scores, ratio = score_predictions(pred, truth, train_mean, is_frame)
    check = expression_check(pred, truth, sources, read_expressions(Path(expressions))) if expressions else None
    return EstimatorEval(str(model), len(pred), int(is_frame.sum()), scores, ratio, check,
                         {"crops_per_s": len(pred) / max(seconds, 1e-9), "backend": backend})


def _model_size(model: Path) -> int:
    if model.suffix.lower() == ".onnx":
        from ganimate.infer.backend import read_model_info

        return read_model_info(model).image_size
    from .estimator_net import load_estimator

    return load_estimator(model).cfg.image_size


def measure_speed(onnx_path: Path, backend: str = "openvino", batch: int = 16, threads: int = 2,
                  seconds: float = 3.0) -> float:
    """Crops per second of an ONNX estimator on the CPU (random batches of `batch`, `threads` threads)."""
    from ganimate.infer.backend import open_session, read_model_info

    size = read_model_info(Path(onnx_path)).image_size
    session = open_session(Path(onnx_path), backend=backend, device="cpu", threads=threads)
    x = np.random.default_rng(0).uniform(-1, 1, (batch, 3, size, size)).astype(np.float32)
    for _ in range(3):
        session.run({"image": x})
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        session.run({"image": x})
        n += batch
    return n / (time.perf_counter() - started)
