"""Train the AU estimator on a prepared dataset, without the held-out identities.

RUN/ (the `out` folder) receives checkpoint.pt (config, EMA weights as `state_dict` for load_estimator,
plus the raw weights, optimiser, step and seconds trained for resuming), log.csv and stats.json.
Randomness is a function of (seed, step), so a resumed run draws the same batches it would have drawn.
The learning rate follows one cycle (linear warm-up, cosine down to ~0) over the run's budget: max_steps,
max_minutes of training time, whichever ends first. Resuming continues towards the same budget; give a
larger one to train longer.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ganimate.atomic import atomic_output
from ganimate.au.names import AU_NAMES
from ganimate.errors import GanimateError
from ganimate.face.landmarks import EYELIDS, INNER_LIPS, flip_landmarks, normalised_error, shape_measures

from .dataset import BatchSampler, FaceDataset, images_to_tensor, read_aus_csv
from .estimator_net import AUEstimator, EstimatorConfig, build_estimator, config_from_checkpoint
from .holdout import is_heldout
from .trainer import StopFlag

# rows whose eyes count as (nearly) shut: OpenFace's AU45 at least SHUT_AU45 (of 5), or their lid gap (its 68 points,
# landmarks.shape_measures) under SHUT_LID of the data's median
SHUT_AU45 = 1.5
SHUT_LID = 0.6
# rows whose mouths are wide open: OpenFace's inner-lip gap (landmarks.shape_measures, inter-ocular distances) at least
# OPEN_GAP; the landmark model read the held-out ones (gap >= 0.15) at 0.63 of their gap (session 26)
OPEN_GAP = 0.12
CHECKPOINT_NAME = "checkpoint.pt"
FORMAT = "ganimate-au-estimator/1"
LOG_COLUMNS = ("step", "epoch", "seconds", "lr", "loss", "mae", "img_per_s", "val_mae", "val_nme")


@dataclass(frozen=True)
class EstimatorTrainConfig:
    """Optimisation and augmentation settings.

    intensity_weight: per-element loss weight 1 + w * label (label on the /5 scale), so the rare strong
    activations are not drowned by the many zeros. shift/scale: affine jitter as a fraction of the crop;
    rotate: degrees. brightness/contrast/saturation: colour jitter amplitudes (multiplicative, +-).
    bf16: autocast to bfloat16; None = only where the CPU has native bf16 units or on CUDA (on AVX2-only
    CPUs emulated bf16 measured ~4x slower than fp32).
    """

    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup: float = 0.03  # fraction of the budget
    warmup_steps: int = 100  # at least this many steps of warm-up (short runs)
    clip_grad: float = 2.0  # max global gradient norm
    intensity_weight: float = 1.0
    ema_decay: float = 0.998
    flip: bool = True
    shift: float = 0.04
    scale: float = 0.04
    rotate: float = 6.0
    brightness: float = 0.25
    contrast: float = 0.25
    saturation: float = 0.3
    bf16: bool | None = None
    landmark_weight: float = 2.0  # L1 on landmark coordinates in crop units, when the net has a landmark head
    # the eyelids' points' weight in that L1 beside the other points' 1 (the mean weight kept at 1): eight lid points
    # of 68 barely weigh, and the landmark model read shut eyes nearly as open ones
    lid_weight: float = 1.0
    # share of each batch drawn from rows whose eyes are (nearly) shut (shut_rows): 90 of 35,493 photos read
    # AU45 >= 2
    shut_share: float = 0.0
    # the inner lips' points' weight in the landmark L1, as lid_weight, and the share of each batch drawn from rows
    # whose mouths are wide open (open_rows): the landmark model read wide-open mouths as two thirds open
    lip_weight: float = 1.0
    open_share: float = 0.0
    seed: int = 0
    log_every: int = 25
    checkpoint_seconds: float = 120.0
    val_rows: int = 1024  # held-out crops scored now and then for the log only (never for choices)
    val_seconds: float = 180.0


def _lr_at(progress: float, step: int, cfg: EstimatorTrainConfig) -> float:
    """One-cycle schedule: linear warm-up then cosine to 1% of the peak; progress in [0, 1] of the budget."""
    warm = min(1.0, max(progress / cfg.warmup if cfg.warmup > 0 else 1.0, 0.01))
    if cfg.warmup_steps > 0:
        warm = min(warm, max(step / cfg.warmup_steps, 0.01))
    if warm < 1.0:
        return cfg.lr * warm
    p = min(1.0, (progress - cfg.warmup) / max(1e-9, 1.0 - cfg.warmup))
    return cfg.lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * p)))


def colour_matrix(saturation: float, contrast: float, brightness: float, grey_mean: float) -> np.ndarray:
    """float32 (3, 4) affine colour map [M | offset] for RGB in 0..255, equal to, in order:
    saturation (blend with the pixel's grey), contrast (blend with the image's grey mean) and brightness
    (scale), each a factor around 1. One matrix per image keeps the jitter to a single cheap pass."""
    sat = saturation * np.eye(3) + (1.0 - saturation) / 3.0 * np.ones((3, 3))
    m = brightness * contrast * sat  # saturation keeps the grey mean, so contrast pivots on the input's
    offset = brightness * (1.0 - contrast) * grey_mean * np.ones((3, 1))
    return np.hstack([m, offset]).astype(np.float32)


def augment(images: np.ndarray, out_size: int, cfg: EstimatorTrainConfig, rng: np.random.Generator,
            landmarks: np.ndarray | None = None) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Random affine (shift, scale, rotation about the centre) and colour jitter of a batch, resized.

    images: uint8 B x S x S x 3 RGB (already flipped, if at all). Returns float32 B x 3 x out_size x out_size
    in [-1, 1]. Warping straight to the network's internal size saves its resize (the same bilinear
    sampling as the in-network resize at run time). AU labels stay valid: the jitter leaves the expression.
    Done per image with OpenCV on uint8 (saturating): ~10x faster than the same maths as torch batch ops here.
    landmarks: float (B, L, 2) in the input crops' px: then returns (images, landmarks moved with them, float32
    B x L x 2 in crop units (x + 0.5) / out_size, the convention of the estimator's landmark head).
    """
    b, s = images.shape[0], images.shape[1]
    out = np.empty((b, out_size, out_size, 3), dtype=np.uint8)
    moved = None if landmarks is None else np.empty((b, landmarks.shape[1], 2), dtype=np.float32)
    angle = rng.uniform(-cfg.rotate, cfg.rotate, b)
    zoom = (out_size / s) * (1.0 + rng.uniform(-cfg.scale, cfg.scale, b))
    shift = rng.uniform(-cfg.shift, cfg.shift, (b, 2)) * out_size
    jitter = 1.0 + rng.uniform(-1.0, 1.0, (b, 3)) * np.array([cfg.saturation, cfg.contrast, cfg.brightness])
    for i in range(b):
        # pixel centres at integer coordinates: the image centre is (s - 1) / 2, kept at the output's centre
        m = cv2.getRotationMatrix2D(((s - 1) / 2.0, (s - 1) / 2.0), float(angle[i]), float(zoom[i]))
        m[:, 2] += (out_size - s) / 2.0 + shift[i]
        warped = cv2.warpAffine(images[i], m, (out_size, out_size), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
        if cfg.saturation or cfg.contrast or cfg.brightness:
            grey = sum(cv2.mean(warped)[:3]) / 3.0
            warped = cv2.transform(warped, colour_matrix(*jitter[i], grey))
        out[i] = warped
        if moved is not None:
            moved[i] = (landmarks[i] @ m[:, :2].T + m[:, 2] + 0.5) / out_size
    x = np.ascontiguousarray(out.transpose(0, 3, 1, 2)).astype(np.float32)  # numpy: faster than torch here
    x *= np.float32(1.0 / 127.5)
    x -= np.float32(1.0)
    return torch.from_numpy(x) if moved is None else (torch.from_numpy(x), torch.from_numpy(moved))


def weighted_mse(pred: torch.Tensor, target: torch.Tensor, intensity_weight: float) -> torch.Tensor:
    """Mean of (1 + w * target) * (pred - target)^2; pred, target float (B, 17) on the /5 scale."""
    weight = 1.0 + intensity_weight * target
    return (weight * (pred.float() - target) ** 2).sum() / weight.sum()


def _resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GanimateError("device cuda requested but no CUDA GPU is available")
    if device != "cpu" and not device.startswith("cuda"):
        raise GanimateError(f"unknown device {device!r}; choose auto, cpu or cuda")
    return device


def _use_bf16(cfg: EstimatorTrainConfig, device: str) -> bool:
    if cfg.bf16 is not None:
        return cfg.bf16
    if device.startswith("cuda"):
        return True
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


class _Ema:
    """Exponential moving average of the weights; BatchNorm buffers are copied, not averaged."""

    def __init__(self, model: AUEstimator, decay: float):
        self.model = build_estimator(model.cfg).to(next(model.parameters()).device).eval().requires_grad_(False)
        self.model.load_state_dict(model.state_dict())
        self.decay = decay

    @torch.no_grad()
    def update(self, model: AUEstimator, step: int) -> None:
        d = min(self.decay, (1.0 + step) / (10.0 + step))  # follow closely while the weights move fast
        for e, p in zip(self.model.parameters(), model.parameters(), strict=True):
            e.lerp_(p, 1.0 - d)
        for e, b in zip(self.model.buffers(), model.buffers(), strict=True):
            e.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(model: AUEstimator, dataset, train_cfg: EstimatorTrainConfig, batches: int = 40,
                          batch_size: int = 128, seed: int = 0) -> AUEstimator:
    """Recompute the BatchNorm statistics of (EMA) weights on augmented training batches, in place.

    The EMA copies the running BatchNorm buffers of the raw weights, which belong to other weights: on
    the landmark run that mismatch cost 1.3 points of NME on held-out people (5.2% vs 4.1% after this)."""
    device = next(model.parameters()).device
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a plain average over the batches
    model.train()
    rng = np.random.default_rng(seed)
    for _ in range(batches):
        pos = rng.choice(len(dataset), size=min(batch_size, len(dataset)), replace=False)
        x = augment(dataset.take(np.sort(pos)), model.cfg.internal_size, train_cfg, rng).to(device)
        if model.cfg.n_landmarks > 0:
            model.raw_and_landmarks(x)
        else:
            model.raw(x)
    for m in norms:
        m.momentum = 0.1
    return model.eval()


def _write_log_header(path: Path, resume_step: int | None) -> None:
    kept: list[list[str]] = []
    if resume_step is not None and path.exists():
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if rows and tuple(rows[0]) == LOG_COLUMNS:
            kept = [r for r in rows[1:] if r and int(r[0]) <= resume_step]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([list(LOG_COLUMNS), *kept])


def _append_log(path: Path, row: dict) -> None:
    with open(path, "a", newline="") as f:
        csv.writer(f).writerow(["" if row.get(c) is None else f"{row[c]:.6g}" if isinstance(row[c], float)
                                else row[c] for c in LOG_COLUMNS])


def _save(path: Path, model: AUEstimator, ema: _Ema, opt: torch.optim.Optimizer, step: int, seconds: float,
          train_cfg: EstimatorTrainConfig, budget: dict, stats: dict) -> None:
    state = {
        "format": FORMAT, "kind": "au_estimator", "config": model.cfg.to_dict(),
        "state_dict": ema.model.state_dict(), "train_state_dict": model.state_dict(),
        "optimizer": opt.state_dict(), "step": step, "seconds": seconds,
        "train_config": asdict(train_cfg), "budget": budget, "stats": stats,
    }
    with atomic_output(path) as tmp:
        torch.save(state, tmp)


class ConcatFaces:
    """Several FaceDatasets served as one (the parts of BatchSampler's interface: len, aus, take)."""

    def __init__(self, parts: Sequence[FaceDataset]):
        self.parts = list(parts)
        self.starts = np.cumsum([0] + [len(p) for p in self.parts])
        self.aus = np.concatenate([p.aus for p in self.parts])
        lms = [p.landmarks for p in self.parts]
        self.landmarks = None if any(lm is None for lm in lms) else np.concatenate(lms)

    def __len__(self) -> int:
        return int(self.starts[-1])

    def take(self, positions: np.ndarray) -> np.ndarray:
        """uint8 B x S x S x 3 crops for positions (B,) over the concatenation, in that order."""
        positions = np.asarray(positions, dtype=np.int64)
        part = np.searchsorted(self.starts, positions, side="right") - 1
        first = self.parts[0].take(positions[:0])
        out = np.empty((len(positions), *first.shape[1:]), dtype=np.uint8)
        for k in np.unique(part):
            sel = part == k
            out[sel] = self.parts[k].take(positions[sel] - self.starts[k])
        return out


def _folders(data: Path | Sequence[Path]) -> list[Path]:
    return [Path(data)] if isinstance(data, str | Path) else [Path(d) for d in data]


def load_faces(data: Path | Sequence[Path], size: int, heldout: Callable[[str, str], bool] | None = None,
               rows: Callable[[Path], np.ndarray | None] | None = None) -> FaceDataset | ConcatFaces:
    """One prepared dataset folder, or several concatenated; folders left without rows are skipped.

    rows: folder -> indices into its aus.csv to keep (None: all).
    """
    parts = []
    for folder in _folders(data):
        chosen = rows(folder) if rows is not None else None
        if chosen is not None and len(chosen) == 0:
            continue
        try:
            parts.append(FaceDataset(folder, size, heldout=heldout, rows=chosen))
        except GanimateError:
            if not (folder / "aus.csv").is_file():
                raise
            # a folder whose rows are all held out (or unlabelled) adds nothing
    if not parts:
        raise GanimateError(f"no usable training rows in {', '.join(str(f) for f in _folders(data))}")
    return parts[0] if len(parts) == 1 else ConcatFaces(parts)


def heldout_rows(folder: Path, n: int | None = None) -> np.ndarray:
    """Indices of labelled held-out rows of folder/aus.csv (n evenly spaced ones when n is given)."""
    table = read_aus_csv(Path(folder) / "aus.csv")
    rows = np.array([i for i, (ident, src) in enumerate(zip(table.identities, table.sources, strict=True))
                     if is_heldout(ident, src) and np.isfinite(table.aus[i]).all()], dtype=np.int64)
    if n is not None and rows.size > n:
        rows = rows[np.unique(np.linspace(0, rows.size - 1, n).astype(np.int64))]
    return rows


def _val_rows(data: Path | Sequence[Path], size: int, n: int) -> FaceDataset | ConcatFaces | None:
    """A fixed, evenly spaced subset of about n held-out crops (None when the data has none)."""
    folders = _folders(data)
    try:
        return load_faces(folders, size, rows=lambda f: heldout_rows(f, max(1, n // len(folders))))
    except GanimateError:
        return None


@torch.no_grad()
def _val_scores(model: AUEstimator, held: FaceDataset | ConcatFaces, device: str,
                batch: int = 128) -> tuple[float, float | None]:
    """(AU MAE on the 0..5 scale, landmark NME or None) of held-out rows."""
    model.eval()
    with_lm = model.cfg.n_landmarks > 0 and held.landmarks is not None
    errs, nmes = [], []
    for i in range(0, len(held), batch):
        pos = np.arange(i, min(i + batch, len(held)))
        x = images_to_tensor(held.take(pos), device)
        if with_lm:
            pred, lm = model.read_face(x)
            size = x.shape[-1]
            nmes.append(normalised_error(lm.float().cpu().numpy() * size - 0.5, held.landmarks[pos]))
        else:
            pred = model(x)
        errs.append(np.abs(pred.float().cpu().numpy() - held.aus[pos]))
    return float(np.concatenate(errs).mean() * 5.0), (float(np.concatenate(nmes).mean()) if nmes else None)


def _landmark_targets(dataset, batch, size: int) -> np.ndarray:
    """The batch's landmarks (crop px of the S crop), mirrored where the sampler flipped the image."""
    lm = np.array(dataset.landmarks[batch.positions], dtype=np.float32)
    if batch.flipped is not None and batch.flipped.any():
        lm[batch.flipped] = flip_landmarks(lm[batch.flipped], size)
    return lm


def shut_rows(dataset) -> np.ndarray:
    """int64 (K,) the dataset positions whose eyes are (nearly) shut (SHUT_AU45, SHUT_LID); none without
    landmarks."""
    au45 = dataset.aus[:, AU_NAMES.index("AU45")] * 5.0
    shut = au45 >= SHUT_AU45
    if dataset.landmarks is not None:
        gap = shape_measures(np.asarray(dataset.landmarks, np.float64))["lid_gap"]
        shut |= gap < SHUT_LID * np.median(gap)
    return np.flatnonzero(shut).astype(np.int64)


def open_rows(dataset) -> np.ndarray:
    """int64 (K,) the dataset positions whose mouths are wide open (OPEN_GAP); none without landmarks."""
    if dataset.landmarks is None:
        return np.zeros(0, np.int64)
    gap = shape_measures(np.asarray(dataset.landmarks, np.float64))["lip_gap"]
    return np.flatnonzero(gap >= OPEN_GAP).astype(np.int64)


def focus_rows(dataset, train_cfg) -> tuple[np.ndarray | None, float]:
    """(the rows a share of each batch is drawn from, that share): shut eyes (shut_share) and wide-open mouths
    (open_share) together; (None, 0) for neither."""
    parts = [rows(dataset) for rows, share in ((shut_rows, train_cfg.shut_share), (open_rows, train_cfg.open_share))
             if share > 0.0]
    if not parts:
        return None, 0.0
    return np.unique(np.concatenate(parts)), float(train_cfg.shut_share + train_cfg.open_share)


def point_weights(n_landmarks: int, lid_weight: float, lip_weight: float = 1.0) -> np.ndarray:
    """float32 (n_landmarks,) each point's weight in the landmark L1: lid_weight on the eyelids (EYELIDS, 68-point
    layout), lip_weight on the inner lips (INNER_LIPS), 1 elsewhere, scaled to a mean of 1."""
    w = np.ones(n_landmarks, np.float32)
    if n_landmarks == 68:
        w[list(EYELIDS)] = lid_weight
        w[list(INNER_LIPS)] = lip_weight
    return (w / w.mean()).astype(np.float32)


def train_estimator(
    data: Path | Sequence[Path],
    out: Path,
    cfg: EstimatorConfig | None = None,
    train_cfg: EstimatorTrainConfig | None = None,
    max_minutes: float | None = 20.0,
    max_steps: int | None = None,
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
    threads: int = 0,
    init_from: Path | None = None,
) -> Path:
    """Train (or resume) an AU estimator on the prepared dataset `data` (a folder, or several); returns
    out/checkpoint.pt.

    Held-out identities (training/holdout.py) are excluded. Budget: max_minutes of training time and/or
    max_steps batches, whichever is reached first (at least one must be given). On resume, cfg and
    train_cfg come from the checkpoint. SIGINT/SIGTERM: save after the current step and return.
    threads: torch CPU threads (0 = torch's default). On a CPU shared with other jobs, 1 thread measured
    5-10x faster than 2 (two threads wait on each other at every op when a core is taken).
    init_from: a checkpoint whose (EMA) weights and model config a new run starts from, with a fresh optimiser and
    schedule under train_cfg (a fine-tune); not with resume.
    """
    if max_minutes is None and max_steps is None:
        raise GanimateError("give a training budget: max_minutes and/or max_steps")
    out = Path(out)
    device = _resolve_device(device)
    if threads > 0:
        torch.set_num_threads(threads)
    ckpt_path = out / CHECKPOINT_NAME
    state = None
    if resume:
        if not ckpt_path.is_file():
            raise GanimateError(f"nothing to resume: {ckpt_path} not found")
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        if state.get("format") != FORMAT:
            raise GanimateError(f"{ckpt_path} is not an AU estimator training checkpoint")
        cfg = config_from_checkpoint(state)
        train_cfg = EstimatorTrainConfig(**state["train_config"])
    elif ckpt_path.exists():
        raise GanimateError(f"{ckpt_path} exists: pass resume to continue it, or choose another folder")
    start = None
    if init_from is not None:
        if resume:
            raise GanimateError("init_from starts a new run: not with resume")
        start = torch.load(init_from, map_location="cpu", weights_only=True)
        if start.get("format") != FORMAT:
            raise GanimateError(f"{init_from} is not an AU estimator training checkpoint")
        cfg = config_from_checkpoint(start)
    cfg = cfg or EstimatorConfig()
    train_cfg = train_cfg or EstimatorTrainConfig()
    out.mkdir(parents=True, exist_ok=True)

    dataset = load_faces(data, cfg.image_size, heldout=is_heldout)
    focus, focus_share = focus_rows(dataset, train_cfg)
    sampler = BatchSampler(dataset, train_cfg.batch_size, seed=train_cfg.seed, flip=train_cfg.flip, focus=focus,
                           focus_share=focus_share)
    held = _val_rows(data, cfg.image_size, train_cfg.val_rows) if train_cfg.val_rows > 0 else None

    torch.manual_seed(train_cfg.seed)
    model = build_estimator(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg.lr, weight_decay=train_cfg.weight_decay)
    ema = _Ema(model, train_cfg.ema_decay)
    step, seconds = 0, 0.0
    if start is not None:  # a fine-tune: the other run's EMA weights, for the raw and the EMA model alike
        model.load_state_dict(start["state_dict"])
        ema.model.load_state_dict(start["state_dict"])
    elif state is None:  # start from the mean label: the first steps need not learn it
        with torch.no_grad():
            mean = torch.from_numpy(dataset.aus.mean(axis=0)).clamp(0.01, 0.99)
            model.head[-1].bias.copy_(mean if cfg.output == "clamp" else torch.logit(mean))
            if cfg.n_landmarks > 0 and dataset.landmarks is not None:  # and from the mean face shape
                mean_lm = (dataset.landmarks.mean(axis=0) + 0.5) / cfg.image_size
                model.landmark_head[-1].bias.copy_(torch.from_numpy(mean_lm.reshape(-1).astype(np.float32)))
            ema.model.load_state_dict(model.state_dict())
    else:
        model.load_state_dict(state["train_state_dict"])
        ema.model.load_state_dict(state["state_dict"])
        opt.load_state_dict(state["optimizer"])
        step, seconds = int(state["step"]), float(state["seconds"])
    budget = {"max_minutes": max_minutes, "max_steps": max_steps}
    log_path = out / "log.csv"
    _write_log_header(log_path, step if state is not None else None)
    bf16 = _use_bf16(train_cfg, device)
    amp = torch.autocast(torch.device(device).type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

    def progress_of(step: int, seconds: float) -> float:
        parts = [step / max_steps] if max_steps else []
        if max_minutes is not None:
            parts.append(seconds / (60.0 * max_minutes))
        return min(1.0, max(parts))

    with_landmarks = cfg.n_landmarks > 0
    lm_weights = torch.from_numpy(point_weights(max(cfg.n_landmarks, 1), train_cfg.lid_weight,
                                                train_cfg.lip_weight)).to(device)
    if with_landmarks and dataset.landmarks is None:
        raise GanimateError("the estimator has a landmark head but the data has no landmarks.npy")
    stats = {"train_rows": len(dataset), "heldout_val_rows": len(held) if held is not None else 0,
             "bf16": bf16, "device": device, "focus_rows": int(len(focus)) if focus is not None else 0}
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("[bold]AU estimator"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TextColumn("{task.fields[info]}"), TimeElapsedColumn(), disable=not progress)
    run_loss = run_mae = 0.0
    n_run, t_run, last_ckpt, last_val = 0, time.perf_counter(), time.perf_counter(), -math.inf
    with StopFlag() as stop, bar:
        task = bar.add_task("train", total=1000, info="")
        while progress_of(step, seconds) < 1.0 and not stop.set:
            t0 = time.perf_counter()
            lr = _lr_at(progress_of(step, seconds), step, train_cfg)
            for group in opt.param_groups:
                group["lr"] = lr
            batch = sampler.batch(step)
            seed = int(np.random.SeedSequence([train_cfg.seed, step]).generate_state(1)[0])
            torch.manual_seed(seed + 1)  # dropout masks follow the step too
            aug_rng = np.random.default_rng(seed)
            y = torch.from_numpy(batch.aus).to(device)
            model.train()
            if with_landmarks:
                x, lm_t = augment(batch.images, cfg.internal_size, train_cfg, aug_rng,
                                  landmarks=_landmark_targets(dataset, batch, cfg.image_size))
                with amp:
                    raw, lm_pred = model.raw_and_landmarks(x.to(device))
                pred = raw if cfg.output == "clamp" else torch.sigmoid(raw)
                lm_loss = ((lm_pred.float() - lm_t.to(device)).abs() * lm_weights[:, None]).mean()
                loss = weighted_mse(pred, y, train_cfg.intensity_weight) + train_cfg.landmark_weight * lm_loss
            else:
                x = augment(batch.images, cfg.internal_size, train_cfg, aug_rng).to(device)
                with amp:
                    pred = model.fit_output(x)
                loss = weighted_mse(pred, y, train_cfg.intensity_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), train_cfg.clip_grad)
            opt.step()
            ema.update(model, step)
            step += 1
            seconds += time.perf_counter() - t0
            run_loss += float(loss.detach())
            run_mae += float((pred.detach().float().clamp(0, 1) - y).abs().mean()) * 5.0
            n_run += 1
            now = time.perf_counter()
            val = nme = None
            if held is not None and (now - last_val >= train_cfg.val_seconds or progress_of(step, seconds) >= 1.0):
                val, nme = _val_scores(ema.model, held, device)
                last_val = time.perf_counter()
                stats["val_mae"] = val
                if nme is not None:
                    stats["val_nme"] = nme
            if step % train_cfg.log_every == 0 or val is not None or progress_of(step, seconds) >= 1.0:
                row = {"step": step, "epoch": sampler.epoch_of(step - 1), "seconds": seconds, "lr": lr,
                       "loss": run_loss / n_run, "mae": run_mae / n_run,
                       "img_per_s": n_run * train_cfg.batch_size / max(now - t_run, 1e-9), "val_mae": val,
                       "val_nme": nme}
                _append_log(log_path, row)
                stats.update(step=step, seconds=seconds, loss=row["loss"], mae=row["mae"])
                bar.update(task, completed=1000 * progress_of(step, seconds),
                           info=f"step {step} loss {row['loss']:.4f} MAE {row['mae']:.3f} "
                                f"{row['img_per_s']:.0f} img/s" + (f" val MAE {val:.3f}" if val is not None else "")
                                + (f" NME {nme:.4f}" if nme is not None else ""))
                run_loss = run_mae = 0.0
                n_run, t_run = 0, time.perf_counter()
            if time.perf_counter() - last_ckpt >= train_cfg.checkpoint_seconds:
                _save(ckpt_path, model, ema, opt, step, seconds, train_cfg, budget, stats)
                last_ckpt = time.perf_counter()
    if progress_of(step, seconds) >= 1.0:  # the run is complete: give the EMA weights their own statistics
        recalibrate_batchnorm(ema.model, dataset, train_cfg)
        if held is not None:
            stats["val_mae"], stats["val_nme"] = _val_scores(ema.model, held, device)
    _save(ckpt_path, model, ema, opt, step, seconds, train_cfg, budget, stats)
    with atomic_output(out / "stats.json") as tmp:
        tmp.write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
    return ckpt_path
