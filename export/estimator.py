"""Export the AU estimator to ONNX following the runtime model contract.

Contract: input `image` float32 N x3xSxS in [-1, 1] (aligned crop, RGB); output `aus` float32 N x17 in [0, 1]
(intensity / 5, AU_NAMES order). The batch dimension is dynamic, S is fixed. An estimator with a landmark
head also outputs `landmarks` float32 N x68x2: the 68 points (OpenFace layout) in crop units, x = (px + 0.5) / S,
and says ganimate.landmarks=68 in its metadata.
metadata_props: ganimate.kind=au_estimator, ganimate.image_size, ganimate.au_names (comma-joined),
ganimate.steps, ganimate.weights (fp32 | fp16).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ganimate.au.names import AU_NAMES
from ganimate.training.estimator_net import AUEstimator, load_estimator

from .onnx_file import fp16_path_for, write_checked_onnx


@dataclass(frozen=True)
class EstimatorExportReport:
    path: Path
    image_size: int
    max_abs_diff: float  # onnxruntime vs PyTorch on random inputs
    fp16_path: Path | None = None
    fp16_max_abs_diff: float | None = None
    opset: int = 17
    steps: int = 0
    seconds: float = 0.0


def estimator_metadata(image_size: int, steps: int) -> dict[str, str]:
    return {
        "ganimate.kind": "au_estimator",
        "ganimate.image_size": str(image_size),
        "ganimate.au_names": ",".join(AU_NAMES),
        "ganimate.steps": str(steps),
    }


def _steps_of(checkpoint: Path) -> int:
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    return int(state.get("step", 0)) if isinstance(state, dict) else 0


class _FaceReader(torch.nn.Module):
    """The estimator with both read-outs as outputs (one backbone pass)."""

    def __init__(self, net: AUEstimator):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net.read_face(image)


class _LandmarksOnly(torch.nn.Module):
    def __init__(self, net: AUEstimator):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net.read_face(image)[1]


def landmark_metadata(image_size: int, steps: int) -> dict[str, str]:
    return {"ganimate.kind": "landmarks", "ganimate.image_size": str(image_size), "ganimate.landmarks": "68",
            "ganimate.steps": str(steps)}


def export_landmarks(checkpoint: Path, out: Path, opset: int = 17) -> EstimatorExportReport:
    """Export only the landmark head of an estimator checkpoint: input `image` as above, output `landmarks`
    float32 N x68x2 in crop units (x = (px + 0.5) / S); ganimate.kind=landmarks."""
    started = time.perf_counter()
    checkpoint = Path(checkpoint)
    if checkpoint.is_dir():
        checkpoint = checkpoint / "checkpoint.pt"
    net = load_estimator(checkpoint)
    if net.cfg.n_landmarks <= 0:
        from ganimate.errors import GanimateError

        raise GanimateError(f"{checkpoint} has no landmark head")
    size, steps = net.cfg.image_size, _steps_of(checkpoint)
    diff, _ = write_checked_onnx(_LandmarksOnly(net), (torch.zeros(1, 3, size, size),), ["image"], ["landmarks"],
                                 Path(out), landmark_metadata(size, steps), opset, (checkpoint,), False,
                                 parity_samples=8)
    return EstimatorExportReport(Path(out), size, diff, None, None, opset, steps, time.perf_counter() - started)


def write_estimator_onnx(net: AUEstimator, out: Path, steps: int = 0, fp16: bool = False, opset: int = 17,
                         inputs: tuple[Path, ...] = ()) -> EstimatorExportReport:
    """Export an in-memory estimator to out (and OUT_fp16.onnx when fp16), checking parity with onnxruntime."""
    started = time.perf_counter()
    out = Path(out)
    size = net.cfg.image_size
    meta = estimator_metadata(size, steps)
    module, outputs = net, ["aus"]
    if net.cfg.n_landmarks > 0:
        module, outputs = _FaceReader(net), ["aus", "landmarks"]
        meta["ganimate.landmarks"] = str(net.cfg.n_landmarks)
    diff, diff16 = write_checked_onnx(module, (torch.zeros(1, 3, size, size),), ["image"], outputs, out,
                                      meta, opset, inputs, fp16, parity_samples=8)
    fp16_out = fp16_path_for(out) if fp16 else None
    return EstimatorExportReport(out, size, diff, fp16_out, diff16, opset, steps, time.perf_counter() - started)


def export_estimator(checkpoint: Path, out: Path, fp16: bool = False, opset: int = 17) -> EstimatorExportReport:
    """Export an AU estimator checkpoint (file or run folder) to ONNX at out.

    fp16: also write OUT_fp16.onnx with float16 weights (float32 input and output).
    Raises GanimateError when onnxruntime and PyTorch differ by more than 1e-4 (fp32) on random inputs.
    """
    checkpoint = Path(checkpoint)
    if checkpoint.is_dir():
        checkpoint = checkpoint / "checkpoint.pt"
    net = load_estimator(checkpoint)
    return write_estimator_onnx(net, out, _steps_of(checkpoint), fp16, opset, (checkpoint,))
