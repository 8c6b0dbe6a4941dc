"""GANimation training loop: WGAN-GP critic steps, a generator step every `critic_steps`, logs and checkpoints.

RUN/ (the `out` folder) receives checkpoint.pt, losses.csv, stats.json, samples/step_XXXXXX.png and, when
TensorBoard is installed, tb/. Everything random is a function of (seed, rank, step), and the checkpoint
holds the optimiser states, so a resumed run continues exactly where it stopped.
The first Ctrl-C (SIGINT/SIGTERM) finishes the current step, saves and returns; a second one aborts.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganimate.atomic import atomic_output
from ganimate.errors import GanimateError

from . import distributed as ddp
from . import losses as L
from .checkpoint import CHECKPOINT_NAME, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .config import ModelConfig, TrainConfig, config_to_dict, validate
from .dataset import Batch, BatchSampler, FaceDataset, images_to_tensor
from .networks import Critic, Generator
from .samples import sample_grid, save_png

log = logging.getLogger(__name__)

LOG_COLUMNS = (
    "step", "time", "epoch", "lr", "d_total", "d_wgan", "d_gp", "d_au_real", "g_total", "g_adv", "g_au_fake",
    "g_cycle", "g_att_mean", "g_att_tv", "g_judge", "attention_mean", "img_per_s",
)


# ---------------------------------------------------------------------------------------------- schedule


def schedule(config: TrainConfig, steps_per_epoch: int) -> tuple[int, int]:
    """(GAN steps in total, steps of linear learning-rate decay at the end). One step = one critic batch."""
    o = config.optim
    if o.max_steps is not None:
        total = o.max_steps
        decay = round(total * o.decay_epochs / max(o.epochs + o.decay_epochs, 1))
    else:
        total = (o.epochs + o.decay_epochs) * steps_per_epoch
        decay = o.decay_epochs * steps_per_epoch
    return total, decay


def lr_factor(gan_step: int, total: int, decay: int) -> float:
    """1 until the decay phase, then linearly down to 0 at the last step."""
    if decay <= 0:
        return 1.0
    return float(min(1.0, max(0.0, (total - gan_step) / decay)))


def step_seed(seed: int, rank: int, step: int) -> int:
    return int(np.random.SeedSequence([seed, rank, step]).generate_state(1)[0])


# ----------------------------------------------------------------------------------------------- state


@dataclass
class Models:
    generator: nn.Module  # DDP-wrapped when distributed
    critic: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    scaler_g: torch.amp.GradScaler
    scaler_d: torch.amp.GradScaler
    judge: nn.Module | None = None

    @property
    def g(self) -> Generator:
        return ddp.unwrap(self.generator)

    @property
    def d(self) -> Critic:
        return ddp.unwrap(self.critic)


@dataclass
class Meter:
    """Running sums of loss terms between two log rows."""

    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, values: dict[str, torch.Tensor | float]) -> None:
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + float(v)
            self.counts[k] = self.counts.get(k, 0) + 1

    def means(self) -> dict[str, float]:
        return {k: self.sums[k] / self.counts[k] for k in self.sums}


def build_models(config: TrainConfig, device: str, info: ddp.DistInfo, judge: nn.Module | None) -> Models:
    torch.manual_seed(config.seed)  # same initial weights on every rank (DDP also broadcasts rank 0's)
    g = Generator.from_config(config.model).to(device)
    d = Critic.from_config(config.model).to(device)
    o = config.optim
    opt_g = torch.optim.Adam(g.parameters(), lr=o.lr, betas=(o.beta1, o.beta2))
    opt_d = torch.optim.Adam(d.parameters(), lr=o.lr, betas=(o.beta1, o.beta2))
    kind = torch.device(device).type
    fp16 = config.precision == "fp16"
    return Models(ddp.wrap(g, info), ddp.wrap(d, info), opt_g, opt_d,
                  torch.amp.GradScaler(kind, enabled=fp16), torch.amp.GradScaler(kind, enabled=fp16), judge)


def load_judge(config: TrainConfig, device: str) -> nn.Module | None:
    """The frozen AU estimator used as expression judge, or None when lambda_judge is 0."""
    if config.loss.lambda_judge <= 0:
        return None
    from .estimator_net import load_estimator

    return load_estimator(Path(config.loss.judge_checkpoint), device=device)


def _judge_input(judge: nn.Module, fake: torch.Tensor, jitter: float = 0.0, blur: float = 0.0) -> torch.Tensor:
    """Generated faces as the judge sees them: resized to its crop size (the estimator has a fixed head);
    with jitter > 0 each shifted and scaled at random by up to that fraction of the crop; with blur > 0
    low-passed (sigma in px of the generated face)."""
    size = getattr(getattr(judge, "cfg", None), "image_size", None) or fake.shape[-1]
    fake = L.gaussian_blur(fake, blur)
    if jitter > 0:
        return L.jitter_images(fake, jitter, size)
    if size == fake.shape[-1]:
        return fake
    return F.interpolate(fake, size=(size, size), mode="bilinear", align_corners=False)


# ----------------------------------------------------------------------------------------------- steps


def cpu_has_fast(precision: str) -> bool:
    """Whether oneDNN has native kernels for bf16 / fp16 on this CPU (AVX512-BF16 / AMX / AVX512-FP16).
    Without them low-precision convolutions are emulated: bf16 measured 100x slower than fp32 on an
    AVX2-only AMD EPYC."""
    try:
        if precision == "bf16":
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        return bool(torch.ops.mkldnn._is_mkldnn_fp16_supported())
    except (AttributeError, RuntimeError):  # private API; assume support when it is gone
        return True


def effective_precision(precision: str, device: str) -> str:
    """The precision to train in: bf16/fp16 on a CPU without native kernels falls back to fp32 (warning)."""
    if precision != "fp32" and torch.device(device).type == "cpu" and not cpu_has_fast(precision):
        log.warning("this CPU has no native %s kernels: training in fp32 instead", precision)
        return "fp32"
    return precision


def autocast(config: TrainConfig, device: str) -> contextlib.AbstractContextManager:
    """Mixed-precision region for config.precision (the caller has already applied effective_precision)."""
    if config.precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if config.precision == "bf16" else torch.float16
    return torch.autocast(torch.device(device).type, dtype=dtype)


def _tensors(batch: Batch, device: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (images_to_tensor(batch.images, device), torch.from_numpy(batch.aus).to(device),
            torch.from_numpy(batch.targets).to(device))


def _apply(loss: torch.Tensor, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler) -> None:
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()


def warmup_step(m: Models, config: TrainConfig, real: torch.Tensor, real_aus: torch.Tensor,
                device: str) -> dict[str, torch.Tensor]:
    """Critic AU regression on real faces only (before GAN training)."""
    with autocast(config, device):
        score, aus = m.critic(real)
        au = L.au_regression(aus, real_aus)
        # The zero term keeps the score head in the graph so DDP sees every parameter receive a gradient.
        loss = config.loss.lambda_au * au + 0.0 * score.float().mean()
    _apply(loss, m.opt_d, m.scaler_d)
    return {"d_au_real": au.detach()}


def critic_step(m: Models, config: TrainConfig, real: torch.Tensor, real_aus: torch.Tensor,
                target: torch.Tensor, alpha: torch.Tensor, device: str) -> dict[str, torch.Tensor]:
    """WGAN-GP + AU regression on real faces; real, fake and interpolates go through one critic pass."""
    lw = config.loss
    n = real.shape[0]
    with autocast(config, device):
        with torch.no_grad():
            fake = m.g(real, target)[0].float()
        x_hat = L.interpolate(real, fake, alpha).requires_grad_(True)
        score, aus = m.critic(torch.cat([real, fake, x_hat]))
        s_real, s_fake, s_hat = score.split(n)
        wgan = L.critic_wasserstein(s_real, s_fake)
        au = L.au_regression(aus[:n], real_aus)
        gp = L.gradient_penalty_from(s_hat, x_hat, scale=m.scaler_d.get_scale() if m.scaler_d.is_enabled() else 1.0)
        loss = wgan + lw.lambda_gp * gp + lw.lambda_au * au
    _apply(loss, m.opt_d, m.scaler_d)
    return {"d_total": loss.detach(), "d_wgan": wgan.detach(), "d_gp": gp.detach(), "d_au_real": au.detach()}


def generator_step(m: Models, config: TrainConfig, real: torch.Tensor, real_aus: torch.Tensor,
                   target: torch.Tensor, device: str) -> dict[str, torch.Tensor]:
    """Adversarial + AU + cycle + attention (+ judge) losses; the critic is frozen and used unwrapped."""
    lw = config.loss
    critic = m.d
    critic.requires_grad_(False)
    try:
        with autocast(config, device):
            fake, att, _ = m.generator(real, target)
            score, aus = critic(fake)
            rec, att_rec, _ = m.generator(fake, real_aus)
            adv = L.generator_adversarial(score)
            au = L.au_regression(aus, target)
            cyc = L.cycle_consistency(rec, real)
            att_mean = L.attention_mean(att) + L.attention_mean(att_rec)
            att_tv = L.total_variation(att) + L.total_variation(att_rec)
            loss = (adv + lw.lambda_au * au + lw.lambda_cycle * cyc + lw.lambda_att_mean * att_mean
                    + lw.lambda_att_tv * att_tv)
            terms = {"g_adv": adv, "g_au_fake": au, "g_cycle": cyc, "g_att_mean": att_mean, "g_att_tv": att_tv}
            if m.judge is not None:
                judge = L.expression_judge(m.judge, _judge_input(m.judge, fake, lw.judge_jitter, lw.judge_blur),
                                              target)
                loss = loss + lw.lambda_judge * judge
                terms["g_judge"] = judge
        _apply(loss, m.opt_g, m.scaler_g)
    finally:
        critic.requires_grad_(True)
    out = {k: v.detach() for k, v in terms.items()}
    out["g_total"] = loss.detach()
    out["attention_mean"] = att.detach().float().mean()
    return out


# --------------------------------------------------------------------------------------------- logging


class RunLog:
    """losses.csv (appended; rows after a resumed step are dropped), stats.json and optional TensorBoard."""

    def __init__(self, out: Path, resume_step: int | None, columns: tuple[str, ...] = LOG_COLUMNS):
        self.csv_path, self.json_path = out / "losses.csv", out / "stats.json"
        self.columns = columns
        kept: list[list[str]] = []
        if resume_step is not None and self.csv_path.exists():
            with open(self.csv_path, newline="") as f:
                rows = list(csv.reader(f))
            if rows and tuple(rows[0]) == columns:
                kept = [r for r in rows[1:] if r and int(r[0]) <= resume_step]
        with open(self.csv_path, "w", newline="") as f:
            csv.writer(f).writerows([list(columns), *kept])
        self.tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(out / "tb"))
        except ImportError:  # TensorBoard is optional
            pass

    def write(self, row: dict[str, Any]) -> None:
        with open(self.csv_path, "a", newline="") as f:
            csv.writer(f).writerow([_fmt(row.get(c)) for c in self.columns])
        if self.tb is not None:
            for k, v in row.items():
                if k not in ("step", "time") and isinstance(v, float | int):
                    self.tb.add_scalar(k, v, row["step"])

    def write_stats(self, stats: dict[str, Any]) -> None:
        with atomic_output(self.json_path) as tmp:
            tmp.write_text(json.dumps(stats, indent=1), encoding="utf-8")

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(), disable=not enabled,
    )


def _summary(row: dict[str, Any]) -> str:
    parts = [f"{row['img_per_s']:.1f} img/s"]
    for key, label in (("d_wgan", "w"), ("d_gp", "gp"), ("d_au_real", "au"), ("g_cycle", "cyc"),
                       ("g_judge", "judge"), ("attention_mean", "A")):
        if row.get(key) is not None:
            parts.append(f"{label} {row[key]:.3g}")
    return " ".join(parts)


# ------------------------------------------------------------------------------------------ interrupts


class StopFlag:
    """First SIGINT/SIGTERM sets the flag (the loop saves and stops after the current step); a second aborts."""

    def __init__(self) -> None:
        self.set = False
        self._old: dict[int, Any] = {}

    def _handler(self, signum, frame) -> None:
        if self.set:
            raise KeyboardInterrupt
        self.set = True
        log.warning("interrupted: saving after this step (press Ctrl-C again to abort without saving)")

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


# ------------------------------------------------------------------------------------------------ train


def _resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GanimateError("device cuda requested but no CUDA GPU is available")
    return device


def _load_dataset(config: TrainConfig, data: Path, info: ddp.DistInfo) -> FaceDataset:
    heldout = None
    if config.exclude_heldout:
        try:
            from .holdout import is_heldout as heldout
        except ImportError:
            log.warning("training/holdout.py not available: no identities held out")
    # Rank 0 builds the crop cache first; the others then only memory-map it.
    if not info.is_main:
        ddp.barrier(info)
    dataset = FaceDataset(data, config.model.image_size, heldout=heldout)
    if info.is_main:
        ddp.barrier(info)
    return dataset


def _restore(m: Models, state: dict[str, Any], config: TrainConfig) -> None:
    saved_model = ModelConfig(**state["config"]["model"])
    if saved_model != config.model:
        raise GanimateError(f"cannot resume: the checkpoint's model settings differ ({saved_model})")
    m.g.load_state_dict(state["generator"])
    m.d.load_state_dict(state["critic"])
    m.opt_g.load_state_dict(state["opt_g"])
    m.opt_d.load_state_dict(state["opt_d"])
    for scaler, key in ((m.scaler_g, "scaler_g"), (m.scaler_d, "scaler_d")):
        if scaler.is_enabled() and state.get(key):  # empty when the saved run did not use fp16
            scaler.load_state_dict(state[key])
    set_rng_state(state["rng"])


def _checkpoint_state(m: Models, config: TrainConfig, step: int, epoch: int, stats: dict) -> dict[str, Any]:
    return {
        "generator": m.g.state_dict(), "critic": m.d.state_dict(),
        "opt_g": m.opt_g.state_dict(), "opt_d": m.opt_d.state_dict(),
        "scaler_g": m.scaler_g.state_dict(), "scaler_d": m.scaler_d.state_dict(),
        "step": step, "epoch": epoch, "rng": rng_state(), "config": config_to_dict(config), "stats": stats,
    }


def train(config: TrainConfig, data: Path, out: Path, resume: bool = False, device: str = "cpu",
          progress: bool = True, judge: nn.Module | None = None) -> Path:
    """Train GANimation on a prepared dataset; returns RUN/checkpoint.pt.

    data: a `ganimate prepare` folder. out: the run folder. resume: continue from out/checkpoint.pt
    (starts fresh when there is none). device: cpu | cuda | cuda:N | auto. judge: a frozen AU estimator
    to use instead of loading config.loss.judge_checkpoint (tests). Under torchrun, one process per GPU.
    """
    validate(config, judge_given=judge is not None)
    if config.model.kind == "warp":
        from .warp_trainer import train_warp

        return train_warp(config, Path(data), Path(out), resume, _resolve_device(device), progress, judge)
    device = _resolve_device(device)
    info = ddp.setup(device)
    device = info.device
    finished = False
    try:
        result = _train(config, Path(data), Path(out), resume, device, progress, judge, info)
        finished = True
        return result
    finally:
        ddp.teardown(info, finished)


def _train(config: TrainConfig, data: Path, out: Path, resume: bool, device: str, progress: bool,
           judge: nn.Module | None, info: ddp.DistInfo) -> Path:
    ckpt_path = out / CHECKPOINT_NAME
    if ckpt_path.exists() and not resume:
        raise GanimateError(f"{ckpt_path} exists: pass --resume to continue it, or choose another run folder")
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    dataset = _load_dataset(config, data, info)
    o = config.optim
    sampler = BatchSampler(dataset, o.batch_size, config.seed, o.flip, o.target_noise, info.rank, info.world_size,
                           o.strong_targets)
    gan_total, decay = schedule(config, sampler.steps_per_epoch)
    total = o.au_warmup_steps + gan_total
    if config.loss.lambda_judge <= 0:
        judge = None
    elif judge is None:
        judge = load_judge(config, device)
    else:
        judge = judge.to(device).eval().requires_grad_(False)
    precision = effective_precision(config.precision, device)
    asked = config
    config = replace(config, precision=precision)  # what the steps use; the checkpoint keeps what was asked
    m = build_models(config, device, info, judge)

    start, stats = 0, {"images_seen": 0, "train_seconds": 0.0}
    if resume and ckpt_path.exists():
        state = load_checkpoint(ckpt_path, map_location=device)
        _restore(m, state, config)
        start, stats = int(state["step"]), dict(state.get("stats", stats))
        log.info("resuming %s at step %d of %d", ckpt_path, start, total)
    elif resume:
        log.info("no checkpoint in %s: starting a new run", out)
    stats["precision"] = precision

    runlog = RunLog(out, start) if info.is_main else None
    sample_pos = np.linspace(0, len(dataset) - 1, config.sample_faces).astype(np.int64)
    sample_images = images_to_tensor(dataset.take(sample_pos), device)
    sample_aus = dataset.aus[sample_pos]
    alpha_gen = torch.Generator(device=device)
    images_per_step = o.batch_size * info.world_size

    def save(step: int) -> None:
        if info.is_main:
            save_checkpoint(ckpt_path, _checkpoint_state(m, asked, step, sampler.epoch_of(step), stats))

    def samples(step: int) -> None:
        if info.is_main and config.sample_every:
            save_png(sample_grid(m.g, sample_images, sample_aus), out / "samples" / f"step_{step:06d}.png")

    meter = Meter()
    step = start
    with StopFlag() as stop, _progress(progress and info.is_main) as bar:
        task = bar.add_task("train", total=total, completed=start, info="")
        t_last = time.perf_counter()
        while step < total:
            batch = sampler.batch(step)
            real, real_aus, target = _tensors(batch, device)
            gan_step = step - o.au_warmup_steps
            lr = o.lr * lr_factor(max(gan_step, 0), gan_total, decay)
            for opt in (m.opt_g, m.opt_d):
                for group in opt.param_groups:
                    group["lr"] = lr
            if gan_step < 0:
                meter.add(warmup_step(m, config, real, real_aus, device))
            else:
                alpha_gen.manual_seed(step_seed(config.seed, info.rank, step))
                alpha = torch.rand(real.shape[0], generator=alpha_gen, device=device)
                meter.add(critic_step(m, config, real, real_aus, target, alpha, device))
                if (gan_step + 1) % o.critic_steps == 0:
                    meter.add(generator_step(m, config, real, real_aus, target, device))
            step += 1
            meter.steps += 1
            now = time.perf_counter()
            stats["images_seen"] += images_per_step
            stats["train_seconds"] += now - t_last
            t_last = now
            bar.update(task, completed=step)

            stopping = ddp.any_flag(stop.set, info)
            if step % config.log_every == 0 or step == total or (stopping and meter.steps):
                row = _log_row(meter, step, stats, sampler.epoch_of(step - 1), lr, images_per_step, info)
                stats["latest"] = row
                if runlog is not None:
                    runlog.write(row)
                    runlog.write_stats({**stats, "step": step, "total_steps": total})
                bar.update(task, info=_summary(row))
                meter = Meter()
            if config.sample_every and step % config.sample_every == 0:
                samples(step)
            if config.checkpoint_every and step % config.checkpoint_every == 0 and step < total:
                save(step)
            if stopping:
                break
    save(step)
    if config.sample_every and step % config.sample_every and step > start:
        samples(step)  # the final state, between the regular grids
    if runlog is not None:
        runlog.close()
    if step < total:
        log.warning("stopped at step %d of %d; continue with --resume", step, total)
    return ckpt_path


def _log_row(meter: Meter, step: int, stats: dict, epoch: int, lr: float, images_per_step: int,
             info: ddp.DistInfo) -> dict[str, Any]:
    seconds = max(time.perf_counter() - meter.started, 1e-9)
    means = ddp.mean_across(meter.means(), info)
    row: dict[str, Any] = {"step": step, "time": round(stats["train_seconds"], 2), "epoch": epoch, "lr": lr}
    row.update(means)
    row["img_per_s"] = meter.steps * images_per_step / seconds
    return row
