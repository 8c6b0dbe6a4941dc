"""Writing a checked ONNX file: export, metadata, parity with PyTorch, optional fp16-weights twin.

Shared by the generator and the AU estimator exporters; only their graphs and metadata differ.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from ganimate.atomic import atomic_output
from ganimate.errors import GanimateError

from .parity import check_parity

FP32_TOLERANCE = 1e-4
FP16_TOLERANCE = 2e-2  # fp16 weights round to ~3 significant digits


def fp16_weights(model: onnx.ModelProto, min_elements: int = 16) -> onnx.ModelProto:
    """Copy of model with float32 initializers stored as float16 and cast back to float32 at load.

    Halves the file; inputs, outputs and arithmetic stay float32, so every runtime accepts it (OpenVINO
    recognises the pattern as compressed weights).
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    casts, keep = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_elements:
            keep.append(init)
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), f"{init.name}__fp16")
        keep.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=f"{init.name}__cast"))
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return out


def fp16_path_for(out: Path) -> Path:
    """model.onnx -> model_fp16.onnx."""
    return out.with_name(f"{out.stem}_fp16{out.suffix or '.onnx'}")


def set_metadata(model: onnx.ModelProto, meta: dict[str, str]) -> None:
    """Replace the model's metadata_props with meta."""
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def write_checked_onnx(module: nn.Module, dummy: tuple[torch.Tensor, ...], input_names: Sequence[str],
                       output_names: Sequence[str], out: Path, meta: dict[str, str], opset: int = 17,
                       inputs: tuple[Path, ...] = (), fp16: bool = False,
                       parity_samples: int = 4,
                       dynamic_axes: dict[str, dict[int, str]] | None = None) -> tuple[float, float | None]:
    """Export module (eval, CPU, float32) to out with a dynamic batch dimension and meta stamped in.

    dynamic_axes: replaces the default {name: {0: "batch"}} for every input and output (e.g. to make the
    spatial size of a fully convolutional net dynamic too); parity then runs at the dummy's sizes.

    The file is renamed into place only when onnxruntime matches PyTorch within FP32_TOLERANCE on
    parity_samples random inputs (and the fp16 twin OUT_fp16.onnx within FP16_TOLERANCE, when asked).
    Returns (max abs diff, fp16 max abs diff or None).
    """
    module = module.float().cpu().eval()
    out = Path(out)
    dynamic = dynamic_axes or {name: {0: "batch"} for name in (*input_names, *output_names)}
    shapes = {name: tuple(t.shape) for name, t in zip(input_names, dummy, strict=True)}
    diff16 = None
    with atomic_output(out, inputs=inputs) as tmp:
        with warnings.catch_warnings():
            # the legacy TorchScript exporter is deprecated but fast and simple for these static graphs
            warnings.simplefilter("ignore")
            torch.onnx.export(module, dummy, str(tmp), input_names=list(input_names),
                              output_names=list(output_names), dynamic_axes=dynamic, opset_version=opset,
                              dynamo=False, do_constant_folding=True)
        model = onnx.load(str(tmp))
        set_metadata(model, {**meta, "ganimate.weights": "fp32"})
        onnx.save(model, str(tmp))
        diff = check_parity(tmp, module, n=parity_samples, shapes=shapes)
        if diff > FP32_TOLERANCE:
            raise GanimateError(
                f"ONNX export of {out.name} differs from PyTorch by {diff:.2e} (> {FP32_TOLERANCE:.0e})"
            )
        if fp16:
            with atomic_output(fp16_path_for(out), inputs=inputs) as tmp16:
                half = fp16_weights(model)
                set_metadata(half, {**meta, "ganimate.weights": "fp16"})
                onnx.save(half, str(tmp16))
                diff16 = check_parity(tmp16, module, n=parity_samples, shapes=shapes)
                if diff16 > FP16_TOLERANCE:
                    raise GanimateError(f"fp16 ONNX export differs from PyTorch by {diff16:.2e} (> {FP16_TOLERANCE})")
    return diff, diff16
