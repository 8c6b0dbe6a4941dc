"""Export the GANimation generator to ONNX following the runtime model contract.

Contract: inputs `image` float32 N x3xSxS in [-1, 1] and `aus` float32 N x17 in [0, 1] (intensity / 5, AU_NAMES
order); outputs `output` float32 N x3xSxS in [-1, 1] (the composited face) and `attention` float32 N x1xSxS
in [0, 1] (1 = pixel kept from the input). The batch dimension is dynamic, S is fixed. ONNX value names must
be unique, so the composited image cannot also be called `image`: it is `output`.
A warping generator (preset `warp`) adds `colour` float32 N x3xSxS in [-1, 1] and `flow` float32 N x2xSxS
(backward displacement in crop px: output pixel (x, y) takes the input at (x + fx, y + fy)), so the run
time can apply the edit at the face's own resolution; its metadata has ganimate.warp=1.
metadata_props: ganimate.kind=generator, ganimate.image_size, ganimate.au_names (comma-joined),
ganimate.preset, ganimate.steps, ganimate.weights (fp32 | fp16).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ganimate.au.names import AU_NAMES, N_AUS
from ganimate.training.checkpoint import load_generator
from ganimate.training.config import ModelConfig
from ganimate.training.networks import Generator
from ganimate.training.warp_networks import WarpGenerator

from .onnx_file import fp16_path_for, write_checked_onnx

__all__ = ["ExportReport", "build_random_generator_onnx", "build_random_warp_generator_onnx", "export_generator",
           "fp16_path_for", "generator_metadata"]

INPUT_NAMES = ("image", "aus")
OUTPUT_NAMES = ("output", "attention")
WARP_OUTPUT_NAMES = ("output", "attention", "colour", "flow")


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


class _WarpContract(nn.Module):
    """The warping generator with all four outputs."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, image: torch.Tensor, aus: torch.Tensor):
        return tuple(self.generator(image, aus))


def _write_model(generator: nn.Module, size: int, out: Path, meta: dict[str, str], opset: int,
                 inputs: tuple[Path, ...], fp16: bool) -> tuple[float, float | None]:
    dummy = (torch.zeros(1, 3, size, size), torch.full((1, N_AUS), 0.2))
    if isinstance(generator, WarpGenerator):
        return write_checked_onnx(_WarpContract(generator), dummy, INPUT_NAMES, WARP_OUTPUT_NAMES, out,
                                  {**meta, "ganimate.warp": "1"}, opset, inputs, fp16)
    return write_checked_onnx(_Contract(generator), dummy, INPUT_NAMES, OUTPUT_NAMES, out, meta, opset, inputs, fp16)


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
    diff, diff16 = _write_model(generator, size, Path(out), meta, opset, (checkpoint,), fp16)
    return ExportReport(Path(out), size, diff, fp16_path_for(Path(out)) if fp16 else None, diff16, opset,
                        info["step"], config.preset, time.perf_counter() - started)


def build_random_warp_generator_onnx(out: Path, size: int = 64, ngf: int = 8, seed: int = 0,
                                     flow_px: tuple[float, float] | None = None) -> Path:
    """A tiny randomly initialised warping generator through the export path (runtime tests).

    flow_px: when given, the flow head is made to output exactly that constant (x, y) displacement in crop
    px and the attention head exactly 1 (keep the warped input), so the edit is a known shift.
    """
    torch.manual_seed(seed)
    generator = WarpGenerator(ngf=ngf, res_blocks=1, internal_size=size // 2 if size >= 32 else None, image_size=size)
    if flow_px is not None:
        with torch.no_grad():
            head = generator.flow_head[-1]
            head.weight.zero_()
            scale = generator.max_flow * size
            head.bias.copy_(torch.atanh(torch.tensor(flow_px, dtype=torch.float32) / scale))
            generator.attention_head.weight.zero_()
            generator.attention_head.bias.fill_(30.0)
    _write_model(generator.eval(), size, Path(out), generator_metadata(size, "random-warp", 0), 17, (), fp16=False)
    return Path(out)


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
    _write_model(generator, size, Path(out), meta, 17, (), fp16=False)
    return Path(out)
