"""The mouth reader: a small CNN that reads the 20 mouth points (OpenFace's 48-67) from the mouth's own crop.

The landmark model reads a 128 px face crop through an 80 px inside and pulls every mouth towards half open
(face/mouth_crop.py). This net sees the lips at the face crop's resolution (face/mouth_crop.mouth_matrix: SPAN
inter-ocular distances across 64 px, about the 128 px crop's own scale) and is trained on the prepared face crops
(runs/crops128, `landmark_crops`' layout: OpenFace's points in crop px), cut about the true lips with jitter as wide
as the landmark model's misreading, and a share of each batch from wide-open mouths. At run time it reads the crop
cut about the landmark model's own mouth (infer/landmarks.py) and its points replace the model's.

Run: python -m ganimate.training.mouth_reader runs/crops128 --out runs/mouth [--steps N] [--resume]
     python -m ganimate.training.mouth_reader runs/crops128 --out runs/mouth --eval
A checkpoint holds the config, the weights (state_dict), the optimiser, the step and the seconds trained.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from ganimate.face.align import transform_points
from ganimate.face.landmarks import interocular
from ganimate.face.mouth import mouth_opening
from ganimate.face.mouth_crop import MOUTH, cut_mouth, flip_mouth, mouth_matrix, reread_mouths

from .config import known_fields_from_dict

FORMAT = "ganimate-mouth-reader/1"
INNER = tuple(range(12, 20))  # the inner lips within MOUTH


@dataclass(frozen=True)
class MouthNetConfig:
    """size: the mouth crop's side (px); widths: channels of the strided stages (each halves the side), one
    residual block each; hidden: the head's width on the flattened last map (kept spatial: where a lip lies)."""

    size: int = 64
    stem: int = 32
    widths: tuple[int, ...] = (48, 64, 96, 128)
    hidden: int = 256

    @classmethod
    def from_dict(cls, d: dict) -> MouthNetConfig:
        return known_fields_from_dict(cls, d)


@dataclass(frozen=True)
class MouthTrainConfig:
    """steps, batch, lr (AdamW, warm-up then cosine to lr_end); jitter of the cut (shift: inter-ocular distances
    along the eye line / down the face, sd; scale: log sd; angle: radians sd), colour jitter, flips; open_share
    of each batch from rows whose inner-lip gap (mouth_opening) is at least OPEN; inner: the inner lips' weight in
    the L1 (the others 1)."""

    steps: int = 6000
    batch: int = 128
    lr: float = 2e-3
    lr_end: float = 2e-5
    warmup: int = 200
    weight_decay: float = 1e-4
    shift: tuple[float, float] = (0.04, 0.07)
    scale: float = 0.07
    angle: float = 0.07
    colour: float = 0.2
    open_share: float = 0.15
    inner: float = 2.0
    seed: int = 0
    bf16: bool | None = None  # None: where the CPU has native bf16 (AMX) or on CUDA
    log_every: int = 50
    checkpoint_seconds: float = 120.0


OPEN = 0.25  # inner-lip gap over the inner mouth's width from which a row counts as wide open (open_share)


class _Block(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                                  nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


class MouthNet(nn.Module):
    """float32 N x 3 x S x S in [-1, 1] -> float32 N x 20 x 2 mouth points in crop units ((px + 0.5) / S)."""

    def __init__(self, cfg: MouthNetConfig = MouthNetConfig()):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = [nn.Conv2d(3, cfg.stem, 3, padding=1, bias=False), nn.BatchNorm2d(cfg.stem),
                                   nn.ReLU(inplace=True)]
        c = cfg.stem
        for w in cfg.widths:
            layers += [nn.Conv2d(c, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                       _Block(w)]
            c = w
        self.features = nn.Sequential(*layers)
        side = cfg.size // 2 ** len(cfg.widths)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c * side * side, cfg.hidden), nn.ReLU(inplace=True),
                                  nn.Linear(cfg.hidden, 2 * len(MOUTH)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.features(x))
        return out.view(-1, len(MOUTH), 2) + 0.5  # the crop's middle to start from


def to_input(crops: np.ndarray) -> torch.Tensor:
    """uint8 N x S x S x 3 RGB -> float32 N x 3 x S x S in [-1, 1] (the ONNX model's own input, as the face models')."""
    return torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def load_mouth_net(path: Path) -> tuple[MouthNet, dict]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a mouth reader checkpoint")
    net = MouthNet(MouthNetConfig.from_dict(state["config"]))
    net.load_state_dict(state["state_dict"])
    return net.eval(), state


class MouthRows:
    """The prepared face crops (uint8 N x 128 x 128 x 3, memory-mapped) with OpenFace's 68 points in their px and
    each row's split."""

    def __init__(self, data: Path):
        from .dataset import read_aus_csv
        from .holdout import is_heldout

        table = read_aus_csv(data / "aus.csv")
        self.held = np.array([is_heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)])
        self.kinds = np.array([s.split("/")[0] for s in table.sources])
        self.points = np.asarray(np.load(data / "landmarks.npy"), np.float64)
        self.crops = np.load(data / "cache_128.npy", mmap_mode="r")
        self.opening = np.array([mouth_opening(p) for p in self.points])


def make_batch(rows: MouthRows, idx: np.ndarray, cfg: MouthTrainConfig, size: int, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 B x S x S x 3 mouth crops, float32 B x 20 x 2 their points in crop units), cut about each row's true
    lips with jitter, colour-jittered, half mirrored."""
    crops = np.empty((len(idx), size, size, 3), np.uint8)
    points = np.empty((len(idx), len(MOUTH), 2), np.float32)
    for k, i in enumerate(idx):
        p = rows.points[i]
        m = mouth_matrix(p, size, rng.normal(0.0, cfg.shift), float(np.exp(rng.normal(0.0, cfg.scale))),
                         float(rng.normal(0.0, cfg.angle)))
        crop = cut_mouth(np.asarray(rows.crops[i]), m, size).astype(np.float32)
        q = transform_points(m, p[list(MOUTH)])
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
            q = flip_mouth(q, size)
        mean = crop.mean()  # contrast about the crop's mean, then brightness and a slight tint per channel
        gain = (1.0 + rng.uniform(-cfg.colour, cfg.colour)) * (1.0 + rng.uniform(-cfg.colour, cfg.colour, 3) / 4)
        crops[k] = np.clip(((crop - mean) * (1.0 + rng.uniform(-cfg.colour, cfg.colour)) + mean) * gain,
                           0, 255).astype(np.uint8)
        points[k] = (q + 0.5) / size
    return crops, points


def _lr(step: int, cfg: MouthTrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
    return cfg.lr_end + 0.5 * (cfg.lr - cfg.lr_end) * (1.0 + math.cos(math.pi * min(t, 1.0)))


def _save(path: Path, net: MouthNet, opt, step: int, seconds: float, cfg: MouthTrainConfig) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"format": FORMAT, "config": asdict(net.cfg), "train": asdict(cfg), "state_dict": net.state_dict(),
                "optimizer": opt.state_dict(), "step": step, "seconds": seconds}, tmp)
    tmp.replace(path)


def train(data: Path, out: Path, cfg: MouthTrainConfig, resume: bool = False, log=print) -> Path:
    """Train (or resume) a mouth reader on the training rows of data; out/checkpoint.pt, out/log.csv."""
    from .trainer import cpu_has_fast

    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.pt"
    rows = MouthRows(data)
    train_rows = np.flatnonzero(~rows.held)
    open_rows = train_rows[rows.opening[train_rows] >= OPEN]
    net = MouthNet()
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, seconds = 0, 0.0
    if resume and ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        net.load_state_dict(state["state_dict"])
        opt.load_state_dict(state["optimizer"])
        step, seconds = int(state["step"]), float(state["seconds"])
    torch.manual_seed(cfg.seed + step)
    bf16 = cfg.bf16 if cfg.bf16 is not None else cpu_has_fast("bf16")
    weights = torch.ones(len(MOUTH))
    weights[list(INNER)] = cfg.inner
    weights = (weights / weights.mean())[None, :, None]
    log_path = out / "log.csv"
    if not log_path.exists() or step == 0:
        log_path.write_text("step,seconds,lr,loss,img_per_s\n")
    size = net.cfg.size
    last_save, started = time.perf_counter(), time.perf_counter() - seconds
    net.train()
    while step < cfg.steps:
        rng = np.random.default_rng(cfg.seed * 1_000_003 + step)
        n_open = int(round(cfg.open_share * cfg.batch)) if len(open_rows) else 0
        idx = np.concatenate([rng.choice(train_rows, cfg.batch - n_open), rng.choice(open_rows, n_open)]
                             if n_open else [rng.choice(train_rows, cfg.batch)])
        t0 = time.perf_counter()
        crops, points = make_batch(rows, idx, cfg, size, rng)
        for g in opt.param_groups:
            g["lr"] = _lr(step, cfg)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            pred = net(to_input(crops))
        loss = ((pred.float() - torch.from_numpy(points)).abs() * weights).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 2.0)
        opt.step()
        step += 1
        if step % cfg.log_every == 0 or step == cfg.steps:
            seconds = time.perf_counter() - started
            with open(log_path, "a") as f:
                f.write(f"{step},{seconds:.1f},{_lr(step, cfg):.3g},{loss.item():.5f},"
                        f"{cfg.batch / max(time.perf_counter() - t0, 1e-6):.0f}\n")
            log(f"step {step} loss {loss.item():.5f} ({seconds:.0f} s)")
        if time.perf_counter() - last_save > cfg.checkpoint_seconds or step == cfg.steps:
            seconds = time.perf_counter() - started
            if step == cfg.steps:
                _recalibrate(net, rows, train_rows, cfg, size)
            _save(ckpt, net, opt, step, seconds, cfg)
            last_save = time.perf_counter()
    return ckpt


@torch.no_grad()
def _recalibrate(net: MouthNet, rows: MouthRows, train_rows: np.ndarray, cfg: MouthTrainConfig, size: int,
                 batches: int = 30) -> None:
    """BatchNorm statistics recomputed on training batches with the final weights (plain mean over batches)."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    net.train()
    rng = np.random.default_rng(12345)
    for _ in range(batches):
        crops, _ = make_batch(rows, rng.choice(train_rows, cfg.batch), cfg, size, rng)
        net(to_input(crops))
    net.eval()


@torch.no_grad()
def read_mouths(net: MouthNet, crops: np.ndarray, points: np.ndarray, mirror: bool = False) -> np.ndarray:
    """float64 (N, 68, 2): points (float (N, 68, 2) px of the face crops uint8 N x H x W x 3) with the mouth read
    again by net in crops cut about them (the run time's refinement, infer/mouth_points.py, in PyTorch)."""
    return reread_mouths(crops, points, net.cfg.size, lambda batch: net(to_input(batch)).numpy(), mirror)


def evaluate(data: Path, checkpoint: Path, mirror: bool = True, log=print) -> dict:
    """Held-out crops: the landmark model's mouth (mirror-averaged, as the run time's lid reads) against the mouth
    reader's on crops cut about it: mouth-point NME (inner lips apart) and the inner-lip gap read over OpenFace's,
    median per band of OpenFace's gap, per source kind."""
    from ganimate.infer.landmarks import LandmarkEstimator

    rows = MouthRows(data)
    net, _ = load_mouth_net(checkpoint)
    model = LandmarkEstimator.load(None, precision="f32", mouth=False)
    idx = np.flatnonzero(rows.held)
    base = np.concatenate([model.locate(np.asarray(rows.crops[idx[s:s + 64]]), mirror=mirror)
                           for s in range(0, len(idx), 64)]).astype(np.float64)
    refined = np.concatenate([read_mouths(net, np.asarray(rows.crops[idx[s:s + 64]]), base[s:s + 64], mirror)
                              for s in range(0, len(idx), 64)])
    truth = rows.points[idx]
    iod = interocular(truth)[:, None]
    res: dict = {}
    for name, pred in (("landmark model", base), ("mouth reader", refined)):
        err = np.linalg.norm(pred - truth, axis=-1) / iod
        gap = np.array([mouth_opening(p) for p in pred])
        r = {"mouth_nme": float(err[:, 48:60].mean()), "inner_nme": float(err[:, 60:68].mean()), "bands": {}}
        for lo, hi in ((0.0, 0.05), (0.05, 0.15), (0.15, 0.25), (0.25, 0.35), (0.35, 1.0)):
            sel = (rows.opening[idx] >= lo) & (rows.opening[idx] < hi)
            if sel.sum():
                r["bands"][f"{lo:.2f}-{hi:.2f}"] = (int(sel.sum()), float(np.median(gap[sel])),
                                                   float(np.median(rows.opening[idx][sel])))
        res[name] = r
        log(f"{name}: outer-lip NME {r['mouth_nme']:.4f}, inner-lip NME {r['inner_nme']:.4f}")
        for band, (n, g, t) in r["bands"].items():
            log(f"   OpenFace gap {band}: n {n:4d}, read {g:.3f} against {t:.3f} ({g / max(t, 1e-6):.2f})")
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m ganimate.training.mouth_reader", description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="prepared crops (landmark_crops' layout: cache_128.npy, landmarks.npy)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=MouthTrainConfig.steps)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--eval", action="store_true", help="only score out/checkpoint.pt on the held-out crops")
    args = ap.parse_args(argv)
    if args.eval:
        evaluate(args.data, args.out / "checkpoint.pt")
        return
    cv2.setNumThreads(1)  # the cuts are small: torch takes the cores
    train(args.data, args.out, MouthTrainConfig(steps=args.steps), resume=args.resume)


if __name__ == "__main__":
    main()

