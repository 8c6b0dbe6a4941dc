"""A person-specific shading net: each face's own log-luminance change per AU unit, learned from same-person pairs.

The linear AU -> shading map (training/au_shading.py) is one change per AU for everyone. On self-reenactment, what
carries a real smile's reading is the appearance of the cheeks and folds, not the mouth's shape or teeth
(docs/edit_eval_session12.md). A mean map has no person's folds to deepen. This net reads a face's band-passed
canonical log-luminance (the shading grid of au_shading.npz) and its 17 AU intensities, and outputs 17 maps on
that grid: the face's own change per unit of each AU. The change for a target is sum(delta AU x map), so a target
equal to the source changes nothing. Nor can the net learn an AU-independent pull towards the average face (a
first version given both AU vectors learned that). It is trained on pairs of one group's rows (a clip's frames,
an LFW person's photos) with an L1 loss over the face region, exposure taken out. Like the linear map, it comes
out weaker than real pairs (noisy AU labels); calibrate_gain measures the factor on crowd-labelled smile pairs,
as shading_check does.

Status: an experiment, not used by the run time. The first run (4,000 steps, 22 min on 2 cores in bf16) predicts
held-out people's real smile shading with r 0.61, the linear map 0.37. In its place, self-reenactment AU12 rose
0.647 -> 0.755, but nose tips turned orange-red (foreign hue 0.56%). It needs a prior against saturated extremes.

Run: python -m ganimate.training.shade_net runs/crops128 --out checkpoints/shade_net.pt [--steps 4000]
     (resumes from --out when it exists)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganimate.au.names import AU_MAX, N_AUS

SRC_SCALE = 10.0  # the band-passed log-luminance (~±0.1) times this is the net's input
OUT_SCALE = 0.05  # the net's raw output times this is log-luminance per AU unit
FORMAT = "ganimate-shade-net/1"


@dataclass(frozen=True)
class ShadeNetConfig:
    channels: int = 16  # at the grid's full resolution; 2x, 3x, 4x at the three coarser levels
    embed: int = 64  # width of the AUs' embedding that modulates every block (FiLM)
    steps: int = 4000
    batch: int = 64
    lr: float = 2e-3  # one-cycle peak
    seed: int = 0


@dataclass(frozen=True)
class ShadeData:
    """maps: float32 (N, G, G) band-passed canonical log-luminance; aus: float32 (N, 17); groups: (N,) group keys;
    held: bool (N,) held-out rows; region: bool (G, G) the face region of the grid."""

    maps: np.ndarray
    aus: np.ndarray
    groups: np.ndarray
    held: np.ndarray
    region: np.ndarray


class _Block(nn.Module):
    """Two 3x3 convolutions with GroupNorm, the first modulated by the AUs' embedding (scale and shift)."""

    def __init__(self, c_in: int, c_out: int, embed: int):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(c_in, c_out, 3, padding=1), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.n1, self.n2 = nn.GroupNorm(4, c_out), nn.GroupNorm(4, c_out)
        self.film = nn.Linear(embed, 2 * c_out)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(emb)[:, :, None, None].chunk(2, 1)
        h = F.silu(self.n1(self.c1(x)) * (1 + scale) + shift)
        return F.silu(self.n2(self.c2(h)))


class ShadeNet(nn.Module):
    """A four-level U-Net on the shading grid (its side divisible by 8)."""

    def __init__(self, channels: int = 16, embed: int = 64):
        super().__init__()
        c = channels
        self.emb = nn.Sequential(nn.Linear(N_AUS, embed), nn.SiLU(), nn.Linear(embed, embed), nn.SiLU())
        self.e1, self.e2 = _Block(2, c, embed), _Block(c, 2 * c, embed)
        self.e3, self.e4 = _Block(2 * c, 3 * c, embed), _Block(3 * c, 4 * c, embed)
        self.d3, self.d2, self.d1 = _Block(7 * c, 3 * c, embed), _Block(5 * c, 2 * c, embed), _Block(3 * c, c, embed)
        self.out = nn.Conv2d(c, N_AUS, 1)

    def maps(self, src: torch.Tensor, region: torch.Tensor, aus: torch.Tensor) -> torch.Tensor:
        """float (N, 17, G, G): each face's log-luminance change per unit of each AU, 0 outside region.
        src: (N, 1, G, G) band-passed canonical log-luminance x SRC_SCALE; region: (G, G) 0/1; aus: (N, 17) / 5."""
        e = self.emb(aus)
        x1 = self.e1(torch.cat([src, region.expand(src.shape[0], 1, -1, -1)], 1), e)
        x2 = self.e2(F.avg_pool2d(x1, 2), e)
        x3 = self.e3(F.avg_pool2d(x2, 2), e)
        x4 = self.e4(F.avg_pool2d(x3, 2), e)
        y = self.d3(torch.cat([F.interpolate(x4, scale_factor=2), x3], 1), e)
        y = self.d2(torch.cat([F.interpolate(y, scale_factor=2), x2], 1), e)
        y = self.d1(torch.cat([F.interpolate(y, scale_factor=2), x1], 1), e)
        return self.out(y) * OUT_SCALE * region

    def forward(self, src: torch.Tensor, region: torch.Tensor, aus: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """float (N, G, G): the change for AU changes delta (N, 17), in intensity units: sum(delta x maps)."""
        return (self.maps(src, region, aus) * delta[:, :, None, None]).sum(1)


def net_inputs(data: ShadeData, i: np.ndarray, j: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(src (N, 1, G, G), aus (N, 17) / AU_MAX, delta (N, 17)) of rows i driven to rows j's AUs."""
    src = torch.from_numpy(np.ascontiguousarray(data.maps[i] * SRC_SCALE, dtype=np.float32))[:, None]
    return (src, torch.from_numpy((data.aus[i] / AU_MAX).astype(np.float32)),
            torch.from_numpy((data.aus[j] - data.aus[i]).astype(np.float32)))


def _with_region(inputs: tuple, region: torch.Tensor) -> tuple:
    src, aus, delta = inputs
    return src, region, aus, delta


def groups_of(data: ShadeData, rows: np.ndarray) -> dict[object, np.ndarray]:
    """The given rows by group, groups of fewer than two rows left out."""
    by: dict[object, list[int]] = {}
    for r in rows:
        by.setdefault(data.groups[r], []).append(int(r))
    return {g: np.array(v) for g, v in by.items() if len(v) >= 2}


def pair_batch(data: ShadeData, by_group: dict, n: int, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, target): n pairs of distinct rows of one group (i uniform over the groups' rows) and float32
    (n, G, G) maps[j] - maps[i] with its median over the region taken out (the exposure), 0 outside it."""
    rows = np.concatenate(list(by_group.values()))
    i = rng.choice(rows, n)
    j = np.empty_like(i)
    for k, r in enumerate(i):
        members = by_group[data.groups[r]]
        j[k] = rng.choice(members[members != r])
    d = data.maps[j].astype(np.float32) - data.maps[i].astype(np.float32)
    d -= np.median(d[:, data.region], axis=1)[:, None, None]
    return i, j, (d * data.region).astype(np.float32)


def l1_over(pred: torch.Tensor, target: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Mean |pred - target| over the region's pixels and the batch."""
    return ((pred - target).abs() * region).sum() / (region.sum() * pred.shape[0])


def train(data: ShadeData, config: ShadeNetConfig, out: Path | None = None, log=print) -> ShadeNet:
    """Train (or resume from out when it holds a checkpoint) to config.steps; checkpoint written to out at the end
    and every 1,000 steps. bf16 autocast on a CPU with native bf16 (AMX or AVX512-BF16), fp32 elsewhere."""
    from ganimate.atomic import atomic_output
    from ganimate.infer.backend import cpu_has_native_bf16

    torch.manual_seed(config.seed)
    net = ShadeNet(config.channels, config.embed)
    opt = torch.optim.AdamW(net.parameters(), config.lr / 2, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=max(config.steps, 1), pct_start=0.1)
    step, rng = 0, np.random.default_rng(config.seed)
    if out is not None and Path(out).is_file():
        state = torch.load(out, map_location="cpu", weights_only=False)
        net.load_state_dict(state["model"]), opt.load_state_dict(state["opt"]), sched.load_state_dict(state["sched"])
        step, rng.bit_generator.state = state["step"], state["rng"]
        log(f"  shade net: resumed at step {step}")
    by_group = groups_of(data, np.flatnonzero(~data.held))
    region = torch.from_numpy(data.region.astype(np.float32))
    bf16 = cpu_has_native_bf16()

    def save() -> None:
        if out is not None:
            with atomic_output(Path(out)) as tmp:
                torch.save({"format": FORMAT, "model": net.state_dict(), "opt": opt.state_dict(),
                            "sched": sched.state_dict(), "step": step, "rng": rng.bit_generator.state,
                            "config": asdict(config)}, tmp)

    t0, first = time.time(), step
    net.train()
    while step < config.steps:
        i, j, target = pair_batch(data, by_group, config.batch, rng)
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            src, aus, delta = net_inputs(data, i, j)
            pred = net(src, region, aus, delta)
        loss = l1_over(pred.float(), torch.from_numpy(target), region)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        if step % 250 == 0 or step == config.steps:
            rate = config.batch * (step - first) / max(time.time() - t0, 1e-9)
            log(f"  shade net: step {step} loss {loss.item():.4f} ({rate:.0f} pairs/s)")
        if step % 1000 == 0:
            save()
    save()
    return net


def build_data(crops: Path, shading, max_pose_px: float = 3.0, log=print) -> ShadeData:
    """The landmark crops' clip and LFW rows, steady in pose within their group, on the shading's grid."""
    from ganimate.face.shading import face_region

    from .au_shading import BAND_SIGMA, SIDE, band_pass, canonical_luminance, steady_rows
    from .dataset import open_crops_cache, read_aus_csv
    from .holdout import is_heldout

    table = read_aus_csv(Path(crops) / "aus.csv")
    points = np.load(Path(crops) / "landmarks.npy")
    cache = open_crops_cache(crops)
    kinds = np.array([f.split("/")[0] for f in table.files])
    groups = np.array(table.identities)
    keep = np.isin(kinds, ["clip", "lfw"]) & np.isfinite(table.aus).all(axis=1)
    keep &= steady_rows(points, groups, max_pose_px)
    rows = np.flatnonzero(keep)
    side = shading.side
    maps = np.stack([canonical_luminance(np.asarray(cache[r]), points[r], shading.mean_points, side,
                                         shading.triangles) for r in rows])
    region = face_region(shading.mean_points, side, shading.triangles)
    maps = band_pass(maps, region, BAND_SIGMA * side / SIDE)
    held = np.array([is_heldout(table.identities[r], table.sources[r]) for r in rows])
    log(f"  shade net: {len(rows)} rows ({int(held.sum())} held-out), {len(np.unique(groups[rows]))} groups")
    return ShadeData(maps.astype(np.float16), table.aus[rows].astype(np.float32), groups[rows], held, region)


def held_out_l1(net: ShadeNet, data: ShadeData, pairs: int = 2048, seed: int = 1) -> tuple[float, float]:
    """(the net's, no change's) mean L1 on held-out pairs."""
    by_group = groups_of(data, np.flatnonzero(data.held))
    if not by_group:
        return float("nan"), float("nan")
    i, j, target = pair_batch(data, by_group, pairs, np.random.default_rng(seed))
    region = torch.from_numpy(data.region.astype(np.float32))
    net.eval()
    with torch.no_grad():
        pred = np.concatenate([net(*_with_region(net_inputs(data, i[k:k + 256], j[k:k + 256]), region)).numpy()
                               for k in range(0, pairs, 256)])
    net.train()
    return float(np.abs(pred - target)[:, data.region].mean()), float(np.abs(target)[:, data.region].mean())


def main(argv: list[str] | None = None) -> None:
    from ganimate.errors import GanimateError
    from ganimate.face.shading import AuShading
    from ganimate.infer.models import DEFAULT_SHADING

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("crops", type=Path, help="a folder written by ganimate.training.landmark_crops")
    ap.add_argument("--out", type=Path, required=True, help="the checkpoint (resumed from when it exists)")
    ap.add_argument("--steps", type=int, default=ShadeNetConfig.steps)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    for path in (args.crops / "aus.csv", args.crops / "landmarks.npy"):
        if not path.is_file():
            raise GanimateError(f"not found: {path}")
    torch.set_num_threads(args.threads)
    data = build_data(args.crops, AuShading.load(Path(DEFAULT_SHADING)))
    net = train(data, ShadeNetConfig(steps=args.steps), args.out)
    l1, zero = held_out_l1(net, data)
    print(f"held-out pairs: L1 {l1:.4f} (no change {zero:.4f}); wrote {args.out}")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)
