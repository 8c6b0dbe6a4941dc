"""Export the GANimation generator to ONNX following the runtime model contract.

Contract: inputs `image` float32 N x3xSxS in [-1, 1] and `aus` float32 N x17 in [0, 1] (intensity / 5, AU_NAMES
order); outputs `output` float32 N x3xSxS in [-1, 1] (the composited face) and `attention` float32 N x1xSxS
in [0, 1] (1 = pixel kept from the input). The batch dimension is dynamic, S is fixed. ONNX value names must
be unique, so the composited image cannot also be called `image`: it is `output`.
metadata_props: ganimate.kind=generator, ganimate.image_size, ganimate.au_names (comma-joined),
ganimate.preset, ganimate.steps, ganimate.weights (fp32 | fp16).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from ganimate.atomic import atomic_output
from ganimate.au.names import AU_NAMES, N_AUS
from ganimate.errors import GanimateError
from ganimate.training.checkpoint import load_generator
from ganimate.training.config import ModelConfig
from ganimate.training.networks import Generator

from .parity import check_parity

INPUT_NAMES = ("image", "aus")
OUTPUT_NAMES = ("output", "attention")
FP32_TOLERANCE = 1e-4
FP16_TOLERANCE = 2e-2  # fp16 weights round to ~3 significant digits


@dataclass(frozen=True)
class ExportReport:
    path: Path
    image_size: int
    max_abs_diff: float  # onnxruntime vs PyTorch on random inputs
    fp16_path: Path | None = None
    fp16_max_abs_diff: float | None = None
    opset: int = 17
    steps: int = 0
    preset: str = ""
    seconds: float = 0.0


class _Contract(nn.Module):
    """The generator with the contract's two outputs (the colour map stays inside)."""

    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, image: torch.Tensor, aus: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output, attention, _ = self.generator(image, aus)
        return output, attention


def _torch_export(model: nn.Module, size: int, path: Path, opset: int) -> None:
    dummy = (torch.zeros(1, 3, size, size), torch.full((1, N_AUS), 0.2))
    dynamic = {name: {0: "batch"} for name in INPUT_NAMES + OUTPUT_NAMES}
    with warnings.catch_warnings():
        # The legacy TorchScript exporter is deprecated but faster and simpler for this static graph; the
        # instance-norm warning is expected (instance statistics are always computed from the input).
        warnings.simplefilter("ignore")
        torch.onnx.export(model, dummy, str(path), input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
                          dynamic_axes=dynamic, opset_version=opset, dynamo=False, do_constant_folding=True)


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


def _set_metadata(model: onnx.ModelProto, meta: dict[str, str]) -> None:
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def _write_model(generator: Generator, size: int, out: Path, meta: dict[str, str], opset: int,
                 inputs: tuple[Path, ...], tolerance: float | None, fp16: bool) -> tuple[float, float | None]:
    """Export, stamp metadata, check parity, then rename into place (and the fp16 twin when asked)."""
    wrapper = _Contract(generator.float().cpu().eval())
    out = Path(out)
    fp16_out = fp16_path_for(out)
    with atomic_output(out, inputs=inputs) as tmp:
        _torch_export(wrapper, size, tmp, opset)
        model = onnx.load(str(tmp))
        _set_metadata(model, {**meta, "ganimate.weights": "fp32"})
        onnx.save(model, str(tmp))
        diff = check_parity(tmp, wrapper)
        if tolerance is not None and diff > tolerance:
            raise GanimateError(f"ONNX export of {out.name} differs from PyTorch by {diff:.2e} (> {tolerance:.0e})")
        diff16 = None
        if fp16:
            with atomic_output(fp16_out, inputs=inputs) as tmp16:
                half = fp16_weights(model)
                _set_metadata(half, {**meta, "ganimate.weights": "fp16"})
                onnx.save(half, str(tmp16))
                diff16 = check_parity(tmp16, wrapper)
                if tolerance is not None and diff16 > FP16_TOLERANCE:
                    raise GanimateError(f"fp16 ONNX export differs from PyTorch by {diff16:.2e} (> {FP16_TOLERANCE})")
    return diff, diff16


def fp16_path_for(out: Path) -> Path:
    """model.onnx -> model_fp16.onnx."""
    return out.with_name(f"{out.stem}_fp16{out.suffix or '.onnx'}")


def generator_metadata(image_size: int, preset: str, steps: int) -> dict[str, str]:
    return {
        "ganimate.kind": "generator",
        "ganimate.image_size": str(image_size),
        "ganimate.au_names": ",".join(AU_NAMES),
        "ganimate.preset": preset,
        "ganimate.steps": str(steps),
    }


def export_generator(checkpoint: Path, out: Path, fp16: bool = False, opset: int = 17) -> ExportReport:
    """Export a training checkpoint's generator to out (ONNX), checking parity with onnxruntime.

    fp16: also write OUT_fp16.onnx with float16 weights (float32 inputs and outputs).
    Raises GanimateError when the ONNX model differs from PyTorch by more than 1e-4 (fp32).
    """
    started = time.perf_counter()
    checkpoint = Path(checkpoint)
    generator, config, info = load_generator(checkpoint)
    size = config.model.image_size
    meta = generator_metadata(size, config.preset, info["step"])
    diff, diff16 = _write_model(generator, size, Path(out), meta, opset, (checkpoint,), FP32_TOLERANCE, fp16)
    return ExportReport(Path(out), size, diff, fp16_path_for(Path(out)) if fp16 else None, diff16, opset,
                        info["step"], config.preset, time.perf_counter() - started)


def build_random_generator_onnx(out: Path, size: int = 128, ngf: int = 8, attention_bias: float | None = None,
                                res_blocks: int = 2, seed: int = 0) -> Path:
    """A tiny randomly initialised generator exported by export_generator's code path (runtime tests).

    attention_bias: when given, the attention head's weights are zeroed and its bias set to this value;
    +30 makes attention == 1.0 exactly in float32, so the model returns its input unchanged.
    """
    torch.manual_seed(seed)
    generator = Generator.from_config(ModelConfig(image_size=size, ngf=ngf, res_blocks=res_blocks))
    if attention_bias is not None:
        conv = generator.attention_head[0]
        with torch.no_grad():
            conv.weight.zero_()
            conv.bias.fill_(float(attention_bias))
    meta = generator_metadata(size, "random", 0)
    _write_model(generator, size, Path(out), meta, 17, (), FP32_TOLERANCE, fp16=False)
    return Path(out)
