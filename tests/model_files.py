"""Tiny randomly initialised ONNX models made by the project's own export code, cached per session."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

_DIR = Path(tempfile.mkdtemp(prefix="ganimate-test-models-"))


@functools.cache
def identity_generator(size: int = 128) -> Path:
    """A generator whose attention is exactly 1: output == input."""
    from ganimate.export.generator import build_random_generator_onnx

    path = _DIR / f"identity_{size}.onnx"
    build_random_generator_onnx(path, size=size, ngf=8, attention_bias=30.0)
    return path


@functools.cache
def random_generator(size: int = 128) -> Path:
    """A generator with random weights: it changes the face (and nothing we can predict)."""
    from ganimate.export.generator import build_random_generator_onnx

    path = _DIR / f"random_{size}.onnx"
    build_random_generator_onnx(path, size=size, ngf=8, attention_bias=-3.0)
    return path


@functools.cache
def random_estimator(size: int = 128) -> Path:
    import torch

    from ganimate.export.estimator import write_estimator_onnx
    from ganimate.training.estimator_net import EstimatorConfig, build_estimator

    torch.manual_seed(0)
    net = build_estimator(EstimatorConfig(image_size=size, internal_size=64, stem_width=8, widths=(8, 16),
                                          blocks=(1, 1), head_hidden=16))
    path = _DIR / f"estimator_{size}.onnx"
    write_estimator_onnx(net, path)
    return path
