"""Training loop of the warping generator (preset `warp`): supervised motion, learned texture.

Each batch mixes three kinds of rows (shares from the config):
- clip pairs: a frame and another frame of the same clip in the same head pose; the target is the second
  frame's AUs, the second frame itself is the image target (L1) and its landmarks the landmark target;
- identity rows: the input's own AUs; output = input;
- geometry rows: any face and target; the landmark target is where the AU geometry moves the face's own
  landmarks (training/au_geometry.py), and a frozen AU estimator (the judge) reads the expression.
Flow regularisers keep the motion smooth and inside the face; attention regularisers keep the colour map
for what no warp can make. Checkpoints hold state_dicts, optimiser, step, RNG and the config (resumable).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganimate.au.names import AU_NAMES, from_model_scale
from ganimate.errors import GanimateError
from ganimate.face.align import transform_points
from ganimate.face.composite import composite
from ganimate.face.landmarks import BROW_LEFT, BROW_RIGHT, EYELIDS, INNER_LIPS, POSE_POINTS, flip_landmarks
from ganimate.face.paste import make_feather_mask

from .au_geometry import AuGeometry, laying_similarity, teacher_points
from .checkpoint import CHECKPOINT_NAME, build_generator, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .config import TrainConfig, config_to_dict
from .dataset import BatchSampler, FaceDataset, images_to_tensor
from .holdout import VIDEO_SUFFIXES
from .samples import sample_grid, save_png
from .trainer import (
    RunLog,
    StopFlag,
    _judge_input,
    _load_dataset,
    _progress,
    autocast,
    effective_precision,
    load_judge,
    lr_factor,
    schedule,
)
from .warp_networks import sample_at, warp_image

log = logging.getLogger(__name__)

WARP_COLUMNS = ("step", "time", "epoch", "lr", "total", "landmark", "landmark_still", "source_aus", "pair",
                "identity", "judge",
                "flow_tv",
                "flow_outside", "att_mean", "att_tv", "attention_mean", "flow_mean_px", "img_per_s")
_AU45 = AU_NAMES.index("AU45")


def landmark_weights(config: TrainConfig) -> np.ndarray:
    """float32 (68,) weight of each landmark in the landmark loss, from the loss config's group weights."""
    lc = config.loss
    w = np.ones(68, dtype=np.float32)
    w[list(EYELIDS)] = lc.landmark_lid_weight
    w[list(INNER_LIPS)] = lc.landmark_inner_lip_weight
    w[list(BROW_LEFT + BROW_RIGHT)] = lc.landmark_brow_weight
    return w


def taught_pair_lids(points: np.ndarray, goal: np.ndarray, aus: np.ndarray, targets: np.ndarray,
                     pair: np.ndarray, geometry: AuGeometry, size: float,
                     lid_shares: tuple[float, float]) -> np.ndarray:
    """goal (N, 68, 2) px with the eyelid goals of the pair rows whose target closes the eyes (AU45 above the
    source's; aus/targets on the /5 scale) replaced by the teacher's lid rule on the source's own points: the
    second frame's pixels show the closed lid, its OpenFace landmarks mostly do not. Other rows unchanged."""
    rows = np.flatnonzero(pair & (targets[:, _AU45] > aus[:, _AU45]))
    goal = goal.copy()
    if rows.size:
        taught = teacher_points(points[rows], from_model_scale(aus[rows]), from_model_scale(targets[rows]),
                                geometry, size, lid_shares)
        lids = list(EYELIDS)
        goal[np.ix_(rows, lids)] = taught[:, lids]
    return goal


def clip_partners(dataset: FaceDataset, max_px: float = 2.5) -> dict[int, np.ndarray]:
    """For each clip row (dataset position), the other rows of its clip whose rigid landmarks lie within
    max_px (mean, crop px) of its own: same head pose, so the pair differs by expression only."""
    if dataset.landmarks is None:
        return {}
    kinds = np.array(["clip" if Path(src).suffix.lower() in VIDEO_SUFFIXES else "photo" for src in dataset.sources])
    ids = np.array(dataset.identities)
    partners: dict[int, np.ndarray] = {}
    rigid = dataset.landmarks[:, POSE_POINTS]
    for clip in np.unique(ids[kinds == "clip"]):
        rows = np.flatnonzero((kinds == "clip") & (ids == clip))
        d = np.linalg.norm(rigid[rows, None] - rigid[None, rows], axis=-1).mean(-1)
        for k, r in enumerate(rows):
            near = rows[(d[k] < max_px) & (rows != r)]
            if near.size:
                partners[int(r)] = near
    return partners


def lay_pair(image: np.ndarray, points: np.ndarray, onto: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A pair's target crop (uint8 SxSx3) and its points (float (68, 2) px) moved by the similarity that lays
    their eye corners and nose (au_geometry.LAYING_POINTS) onto the input's points `onto`: each crop is aligned
    by five points that include the mouth corners, so the target's own crop frame moves with its smile; laid,
    the pair differs by expression only, the motion a flow in the input's frame has to make."""
    m = laying_similarity(points, onto)
    size = image.shape[1], image.shape[0]
    # Lanczos: a bilinear resampling blurs the target, and the pair's L1 would teach the flow to blur alike
    laid = cv2.warpAffine(image, m, size, flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REPLICATE)
    return laid, transform_points(m, points).astype(np.float32)


class WarpBatches:
    """Batches as a pure function of the step (resumable), built on BatchSampler's permutation and targets."""

    def __init__(self, dataset: FaceDataset, config: TrainConfig, geometry: AuGeometry | None):
        o, lc = config.optim, config.loss
        self.dataset, self.geometry, self.seed = dataset, geometry, config.seed
        self.size = config.model.image_size
        self.lid_shares = (lc.teacher_lid_upper, lc.teacher_lid_lower)
        self.gains = {"open_gain": lc.teacher_open_gain, "brow_gain": lc.teacher_brow_gain,
                      "frown_gain": lc.teacher_frown_gain}
        self.pair_lids = lc.pair_lids_from_teacher
        self.sampler = BatchSampler(dataset, o.batch_size, config.seed, o.flip, o.target_noise,
                                    strong_targets=o.strong_targets)
        self.partners = clip_partners(dataset)
        self.pair_rows = np.array(sorted(self.partners), dtype=np.int64)
        b = o.batch_size
        self.n_pair = min(b, round(lc.pair_fraction * b)) if self.pair_rows.size else 0
        self.n_identity = min(b - self.n_pair, round(lc.identity_fraction * b))

    def batch(self, step: int) -> dict[str, np.ndarray]:
        """images (B,S,S,3) uint8, aus/targets (B,17) /5 scale, points/goal_points (B,68,2) px, image_target
        (B,S,S,3) uint8 (rows without one are copies of the input), kind (B,) 0 geometry 1 pair 2 identity."""
        base = self.sampler.batch(step)
        rng = np.random.default_rng([self.seed, step, 11])
        images, aus, targets = base.images.copy(), base.aus.copy(), base.targets.copy()
        points = np.array(self.dataset.landmarks[base.positions], dtype=np.float32)
        points[base.flipped] = flip_landmarks(points[base.flipped], self.size)
        kind = np.zeros(len(images), dtype=np.int64)
        image_target = images.copy()
        goal = points.copy()
        for i in range(self.n_pair):
            src = int(self.pair_rows[rng.integers(self.pair_rows.size)])
            dst = int(rng.choice(self.partners[src]))
            pair_img = self.dataset.take(np.array([src, dst]))
            pair_pts = np.array(self.dataset.landmarks[[src, dst]], dtype=np.float32)
            if rng.random() < 0.5:
                pair_img = pair_img[:, :, ::-1]
                pair_pts = flip_landmarks(pair_pts, self.size)
            images[i] = pair_img[0]
            image_target[i], goal[i] = lay_pair(pair_img[1], pair_pts[1], pair_pts[0])
            points[i] = pair_pts[0]
            aus[i], targets[i] = self.dataset.aus[src], self.dataset.aus[dst]
            kind[i] = 1
        ident = slice(self.n_pair, self.n_pair + self.n_identity)
        targets[ident] = aus[ident]
        kind[ident] = 2
        geo = kind == 0
        if self.geometry is not None and geo.any():
            goal[geo] = teacher_points(points[geo], from_model_scale(aus[geo]), from_model_scale(targets[geo]),
                                       self.geometry, self.size, self.lid_shares, **self.gains)
        if self.geometry is not None and self.pair_lids:
            goal = taught_pair_lids(points, goal, aus, targets, kind == 1, self.geometry, self.size,
                                    self.lid_shares)
        image_target[ident] = images[ident]
        return {"images": images, "aus": aus, "targets": targets.astype(np.float32), "points": points,
                "goal_points": goal, "image_target": image_target, "kind": kind}


def _tv(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels of float N x C x H x W."""
    return (x[..., 1:] - x[..., :-1]).abs().mean() + (x[..., 1:, :] - x[..., :-1, :]).abs().mean()


def warp_losses(g: nn.Module, judge: nn.Module | None, config: TrainConfig, batch: dict[str, np.ndarray],
                outside: torch.Tensor, device: str) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss of one batch and its parts (floats, unweighted)."""
    lc = config.loss
    x = images_to_tensor(batch["images"], device)
    target = torch.from_numpy(batch["targets"]).to(device)
    with autocast(config, device):
        output, attention, _colour, flow = g(x, target)
    output, attention, flow = output.float(), attention.float(), flow.float()
    kind = torch.from_numpy(batch["kind"]).to(device)
    parts: dict[str, torch.Tensor] = {}
    # the flow read where each landmark should end up must point back to where it is now
    goal = torch.from_numpy(batch["goal_points"]).to(device)
    back = torch.from_numpy(batch["points"]).to(device) - goal
    # squared px: an L1 here settles on "move nothing", the median of mostly resting points; a weighted mean
    # over the points (lids, inner lips, brows may weigh more than the resting rest)
    w = torch.from_numpy(landmark_weights(config)).to(device)
    per_point = ((sample_at(flow, goal) - back) ** 2).mean(dim=-1)  # N x 68, mean of x and y
    parts["landmark"] = (per_point * w).mean() / w.mean()
    parts["source_aus"] = F.mse_loss(g.last_source.float(), torch.from_numpy(batch["aus"]).to(device))
    image_target = images_to_tensor(batch["image_target"], device)
    l1 = (output - image_target).abs().mean(dim=(1, 2, 3))
    parts["pair"] = l1[kind == 1].mean() if (kind == 1).any() else output.new_zeros(())
    parts["identity"] = l1[kind == 2].mean() if (kind == 2).any() else output.new_zeros(())
    if judge is not None and lc.lambda_judge > 0:
        # the judge may move the face but not paint it: through attention and colour its gradient is cut,
        # so the colour map learns only from real frames (a first run's judge grew grey-green cheek patches)
        shaped = composite(warp_image(x, flow), attention.detach(), _colour.float().detach())
        read = judge(_judge_input(judge, shaped, lc.judge_jitter, lc.judge_blur))
        parts["judge"] = F.mse_loss(read.float()[kind == 0], target[kind == 0])
    else:
        parts["judge"] = output.new_zeros(())
    parts["flow_tv"] = _tv(flow)
    parts["flow_outside"] = (flow.abs() * outside).mean()
    parts["att_mean"] = (1.0 - attention).mean()
    parts["att_tv"] = _tv(attention)
    weights = {"landmark": lc.lambda_landmark, "source_aus": lc.lambda_source_aus, "pair": lc.lambda_pair,
               "identity": lc.lambda_identity,
               "judge": lc.lambda_judge, "flow_tv": lc.lambda_flow_tv, "flow_outside": lc.lambda_flow_outside,
               "att_mean": lc.lambda_att_mean, "att_tv": lc.lambda_att_tv}
    total = sum(weights[k] * v for k, v in parts.items())
    info = {k: float(v.detach()) for k, v in parts.items()}
    info.update(total=float(total.detach()), attention_mean=float(attention.detach().mean()),
                # the landmark loss of a flow that moves nothing
                landmark_still=float(((back ** 2).mean(dim=-1) * w).mean() / w.mean()),
                flow_mean_px=float(flow.detach().abs().mean()))
    return total, info


def train_warp(config: TrainConfig, data: Path, out: Path, resume: bool, device: str, progress: bool,
               judge: nn.Module | None = None) -> Path:
    """Train (or resume) the warping generator on a landmark-crops dataset; returns RUN/checkpoint.pt."""
    ckpt_path = out / CHECKPOINT_NAME
    if ckpt_path.exists() and not resume:
        raise GanimateError(f"{ckpt_path} exists: pass --resume to continue it, or choose another run folder")
    from . import distributed as ddp

    dataset = _load_dataset(config, data, ddp.DistInfo())
    if dataset.landmarks is None:
        raise GanimateError(f"{data} has no landmarks.npy: the warp preset needs landmark crops "
                            "(python -m ganimate.training.landmark_crops)")
    geometry = None
    if config.loss.geometry:
        if not Path(config.loss.geometry).is_file():
            raise GanimateError(f"AU geometry not found: {config.loss.geometry} "
                                "(python -m ganimate.training.au_geometry CROPS -o FILE.npz)")
        geometry = AuGeometry.load(Path(config.loss.geometry))
    out.mkdir(parents=True, exist_ok=True)  # only once the inputs are known good: no empty run folder
    batches = WarpBatches(dataset, config, geometry)
    total, decay = schedule(config, batches.sampler.steps_per_epoch)
    if judge is None and config.loss.lambda_judge > 0:
        judge = load_judge(config, device)
    elif judge is not None:
        judge = judge.to(device).eval().requires_grad_(False)
    asked = config
    config = replace(config, precision=effective_precision(config.precision, device))
    g = build_generator(config.model).to(device)
    o = config.optim
    basis = [p for n, p in g.named_parameters() if n == "au_flow"]
    rest = [p for n, p in g.named_parameters() if n != "au_flow"]
    # the per-AU flow fields are a linear model: they take a larger step (x30) to learn within the budget
    opt = torch.optim.Adam([{"params": rest, "lr_scale": 1.0}, {"params": basis, "lr_scale": 30.0}],
                           lr=o.lr, betas=(o.beta1, o.beta2))
    step, stats = 0, {"images_seen": 0, "train_seconds": 0.0, "pair_rows": int(batches.pair_rows.size)}
    if resume and ckpt_path.exists():
        state = load_checkpoint(ckpt_path, map_location=device)
        if state["config"]["model"] != config_to_dict(config)["model"]:
            raise GanimateError("cannot resume: the checkpoint's model settings differ")
        g.load_state_dict(state["generator"])
        opt.load_state_dict(state["opt_g"])
        set_rng_state(state["rng"])
        step, stats = int(state["step"]), dict(state.get("stats", stats))
    stats["precision"] = config.precision
    size = config.model.image_size
    outside = torch.from_numpy(1.0 - make_feather_mask(size)).to(device)[None, None]
    runlog = RunLog(out, step, WARP_COLUMNS)
    sample_pos = np.linspace(0, len(dataset) - 1, config.sample_faces).astype(np.int64)
    sample_images = images_to_tensor(dataset.take(sample_pos), device)
    sample_aus = dataset.aus[sample_pos]

    def save(at: int) -> None:
        save_checkpoint(ckpt_path, {"generator": g.state_dict(), "opt_g": opt.state_dict(), "step": at,
                                    "epoch": batches.sampler.epoch_of(at), "rng": rng_state(),
                                    "config": config_to_dict(asked), "stats": stats})

    sums: dict[str, float] = {}
    n, t_row = 0, time.perf_counter()
    with StopFlag() as stop, _progress(progress) as bar:
        task = bar.add_task("train", total=total, completed=step, info="")
        while step < total and not stop.set:
            t0 = time.perf_counter()
            lr = o.lr * lr_factor(step, total, decay)
            for group in opt.param_groups:
                group["lr"] = lr * group["lr_scale"]
            torch.manual_seed(int(np.random.SeedSequence([config.seed, step, 5]).generate_state(1)[0]))
            loss, info = warp_losses(g, judge, config, batches.batch(step), outside, device)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(g.parameters(), 5.0)
            opt.step()
            step += 1
            stats["images_seen"] += o.batch_size
            stats["train_seconds"] += time.perf_counter() - t0
            for k, v in info.items():
                sums[k] = sums.get(k, 0.0) + v
            n += 1
            bar.update(task, completed=step)
            if step % config.log_every == 0 or step == total or stop.set:
                now = time.perf_counter()
                row: dict[str, Any] = {"step": step, "time": round(stats["train_seconds"], 2),
                                       "epoch": batches.sampler.epoch_of(step - 1), "lr": lr,
                                       **{k: v / n for k, v in sums.items()},
                                       "img_per_s": n * o.batch_size / (now - t_row)}
                runlog.write(row)
                stats["latest"] = row
                runlog.write_stats({**stats, "step": step, "total_steps": total})
                bar.update(task, info=f"loss {row['total']:.3f} lm {row['landmark']:.2f}px "
                                      f"pair {row['pair']:.3f} A {row['attention_mean']:.2f} "
                                      f"{row['img_per_s']:.0f} img/s")
                sums, n, t_row = {}, 0, now
            if config.sample_every and step % config.sample_every == 0:
                save_png(sample_grid(g, sample_images, sample_aus), out / "samples" / f"step_{step:06d}.png")
            if config.checkpoint_every and step % config.checkpoint_every == 0:
                save(step)
    save(step)
    runlog.close()
    return ckpt_path



