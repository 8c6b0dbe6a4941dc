"""Export the AU estimator to ONNX following the runtime model contract.

Contract: input `image` float32 N x3xSxS in [-1, 1] (aligned crop, RGB); output `aus` float32 N x17 in [0, 1]
(intensity / 5, AU_NAMES order). The batch dimension is dynamic, S is fixed.
metadata_props: ganimate.kind=au_estimator, ganimate.image_size, ganimate.au_names (comma-joined),
ganimate.steps, ganimate.weights (fp32 | fp16).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import onnx
import torch

from ganimate.atomic import atomic_output
from ganimate.au.names import AU_NAMES
from ganimate.errors import GanimateError
from ganimate.training.estimator_net import AUEstimator, load_estimator

from .generator import FP16_TOLERANCE, FP32_TOLERANCE, fp16_path_for, fp16_weights
from .parity import check_parity


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


def estimator_metadata(image_size: int, steps: int, weights: str = "fp32") -> dict[str, str]:
    return {
        "ganimate.kind": "au_estimator",
        "ganimate.image_size": str(image_size),
        "ganimate.au_names": ",".join(AU_NAMES),
        "ganimate.steps": str(steps),
        "ganimate.weights": weights,
    }


def _stamp(model: onnx.ModelProto, meta: dict[str, str]) -> None:
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def _torch_export(net: AUEstimator, path: Path, opset: int) -> None:
    size = net.cfg.image_size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(net, (torch.zeros(1, 3, size, size),), str(path), input_names=["image"],
                          output_names=["aus"], dynamic_axes={"image": {0: "batch"}, "aus": {0: "batch"}},
                          opset_version=opset, dynamo=False, do_constant_folding=True)


def _steps_of(checkpoint: Path) -> int:
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    return int(state.get("step", 0)) if isinstance(state, dict) else 0


def write_estimator_onnx(net: AUEstimator, out: Path, steps: int = 0, fp16: bool = False, opset: int = 17,
                         inputs: tuple[Path, ...] = ()) -> EstimatorExportReport:
    """Export an in-memory estimator to out (and OUT_fp16.onnx when fp16), checking parity with onnxruntime."""
    started = time.perf_counter()
    net = net.float().cpu().eval()
    out = Path(out)
    size = net.cfg.image_size
    diff16, fp16_out = None, fp16_path_for(out) if fp16 else None
    with atomic_output(out, inputs=inputs) as tmp:
        _torch_export(net, tmp, opset)
        model = onnx.load(str(tmp))
        _stamp(model, estimator_metadata(size, steps, "fp32"))
        onnx.save(model, str(tmp))
        diff = check_parity(tmp, net, n=8)
        if diff > FP32_TOLERANCE:
            raise GanimateError(
                f"ONNX export of {out.name} differs from PyTorch by {diff:.2e} (> {FP32_TOLERANCE:.0e})"
            )
        if fp16_out is not None:
            with atomic_output(fp16_out, inputs=inputs) as tmp16:
                half = fp16_weights(model)
                _stamp(half, estimator_metadata(size, steps, "fp16"))
                onnx.save(half, str(tmp16))
                diff16 = check_parity(tmp16, net, n=8)
                if diff16 > FP16_TOLERANCE:
                    raise GanimateError(f"fp16 ONNX export differs from PyTorch by {diff16:.2e} (> {FP16_TOLERANCE})")
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
