"""Export the mouth reader (training/mouth_reader.py) to ONNX.

Contract: input `image` float32 N x3xSxS in [-1, 1] (the mouth crop of face/mouth_crop.py, RGB); output `mouth`
float32 N x20x2: OpenFace's points 48-67 in crop units, x = (px + 0.5) / S. The batch dimension is dynamic, S fixed.
metadata_props: ganimate.kind=mouth_points, ganimate.image_size, ganimate.steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ganimate.training.mouth_reader import load_mouth_net

from .onnx_file import write_checked_onnx


@dataclass(frozen=True)
class MouthExportReport:
    path: Path
    image_size: int
    max_abs_diff: float  # onnxruntime vs PyTorch on random inputs
    steps: int = 0
    seconds: float = 0.0


def export_mouth_points(checkpoint: Path, out: Path, opset: int = 17) -> MouthExportReport:
    """Write a mouth reader checkpoint (file or run folder) to out, checked against PyTorch (GanimateError when
    onnxruntime differs by more than the fp32 tolerance)."""
    started = time.perf_counter()
    checkpoint = Path(checkpoint)
    if checkpoint.is_dir():
        checkpoint = checkpoint / "checkpoint.pt"
    net, state = load_mouth_net(checkpoint)
    size, steps = net.cfg.size, int(state.get("step", 0))
    meta = {"ganimate.kind": "mouth_points", "ganimate.image_size": str(size), "ganimate.steps": str(steps)}
    diff, _ = write_checked_onnx(net, (torch.zeros(1, 3, size, size),), ["image"], ["mouth"], Path(out), meta,
                                 opset, (checkpoint,), False, parity_samples=8)
    return MouthExportReport(Path(out), size, diff, steps, time.perf_counter() - started)
