"""Multi-process data-parallel training under `torchrun --nproc_per_node N` (DistributedDataParallel).

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without them training runs in one process. The process
group uses NCCL on CUDA and gloo on CPU. Only rank 0 writes checkpoints, samples and logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def env_dist_info() -> tuple[int, int, int]:
    """(rank, world_size, local_rank) from the torchrun environment; (0, 1, 0) when absent."""
    return (int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
            int(os.environ.get("LOCAL_RANK", 0)))


def setup(device: str) -> DistInfo:
    """Join the process group when launched by torchrun; picks this process's GPU on CUDA."""
    rank, world, local = env_dist_info()
    if device.startswith("cuda") and world > 1:
        device = f"cuda:{local}"
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistInfo(rank, world, local, device)


def teardown(info: DistInfo, finished: bool = True) -> None:
    """Leave the process group. After a run every rank finished, first wait for all of them: gloo torn down by one
    rank while another still flushes its last messages aborted that one ("terminate called without an active
    exception", one run in several of the two-process test on 2 cores). After a failure no barrier: the other
    ranks may never come."""
    if info.enabled and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def wrap(model: nn.Module, info: DistInfo) -> nn.Module:
    """DistributedDataParallel around model when running with several processes; model itself otherwise."""
    if not info.enabled:
        return model
    ids = [torch.device(info.device).index] if info.device.startswith("cuda") else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def any_flag(flag: bool, info: DistInfo) -> bool:
    """True on every rank when flag is True on at least one (e.g. a Ctrl-C seen by one process)."""
    if not info.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=info.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def mean_across(values: dict[str, float], info: DistInfo) -> dict[str, float]:
    """Average float statistics over ranks (for logging)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return {k: float(v) / info.world_size for k, v in zip(keys, t.tolist(), strict=True)}
