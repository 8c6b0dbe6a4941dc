"""ONNX inference backends behind one small interface.

OpenVINO is the CPU default (bf16 where the CPU has native bf16 units, f32 elsewhere),
onnxruntime with the CUDA execution provider runs on NVIDIA GPUs, and plain onnxruntime on the
CPU is the fallback. All take the same ONNX files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ganimate.errors import GanimateError

BACKENDS = ("auto", "openvino", "onnxruntime")
DEVICES = ("auto", "cpu", "cuda")


class Session(Protocol):
    """A loaded model: named float32 arrays in, named float32 arrays out."""

    description: str

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class ModelInfo:
    """What an ONNX file says about itself (its metadata_props)."""

    kind: str
    image_size: int
    au_names: tuple[str, ...]
    metadata: dict[str, str]


def read_model_info(path: Path) -> ModelInfo:
    """Metadata of a ganimate ONNX model; GanimateError if the file is not one."""
    import onnx

    if not Path(path).is_file():
        raise GanimateError(f"model file not found: {path}")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not an ONNX model"
        raise GanimateError(f"not a readable ONNX model: {path} ({type(exc).__name__})") from None
    meta = {p.key: p.value for p in model.metadata_props}
    try:
        size = int(meta.get("ganimate.image_size", "0"))
    except ValueError:
        size = 0
    if size <= 0:
        dims = model.graph.input[0].type.tensor_type.shape.dim
        size = int(dims[-1].dim_value) if dims and dims[-1].dim_value else 128
    names = tuple(n for n in meta.get("ganimate.au_names", "").split(",") if n)
    return ModelInfo(kind=meta.get("ganimate.kind", "unknown"), image_size=size, au_names=names, metadata=meta)


def cpu_has_native_bf16() -> bool:
    """True when OpenVINO reports bf16 compute on this CPU (AMX or AVX512-BF16)."""
    try:
        import openvino as ov

        caps = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # noqa: BLE001 - no OpenVINO means no bf16 path either
        return False
    return "BF16" in caps


def cuda_available() -> bool:
    """True when onnxruntime can actually run on a CUDA GPU here (not merely built for it)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return False
    return _nvidia_device_present()


def _nvidia_device_present() -> bool:
    return any(Path("/dev").glob("nvidia[0-9]*")) or bool(os.environ.get("GANIMATE_ASSUME_CUDA"))


class OpenVinoSession:
    def __init__(self, path: Path, precision: str = "auto", threads: int = 0):
        import openvino as ov

        core = ov.Core()
        if precision == "auto":
            precision = "bf16" if cpu_has_native_bf16() else "f32"
        config: dict[str, object] = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"}
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = threads
        self._compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._outputs = [(o.get_any_name(), o) for o in self._compiled.outputs]
        self.description = f"OpenVINO CPU {precision}"

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        result = self._request.infer({k: np.ascontiguousarray(v) for k, v in inputs.items()})
        return {name: np.asarray(result[port]) for name, port in self._outputs}


class OrtSession:
    def __init__(self, path: Path, device: str = "cpu", threads: int = 0):
        import onnxruntime as ort

        ort.set_default_logger_severity(3)  # the GPU build logs an error on machines without CUDA
        opts = ort.SessionOptions()
        if threads > 0:
            opts.intra_op_num_threads = threads
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            providers = [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"}), "CPUExecutionProvider"]
        self._session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        used = self._session.get_providers()[0]
        if device == "cuda" and used != "CUDAExecutionProvider":
            raise GanimateError("CUDA was requested but onnxruntime could not use the GPU")
        self._names = [o.name for o in self._session.get_outputs()]
        self.description = f"onnxruntime {'CUDA' if used == 'CUDAExecutionProvider' else 'CPU'} fp32"

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        outs = self._session.run(self._names, {k: np.ascontiguousarray(v) for k, v in inputs.items()})
        return dict(zip(self._names, outs, strict=True))


def open_session(path: Path, backend: str = "auto", device: str = "auto", threads: int = 0) -> Session:
    """Load an ONNX model on the best available backend for (backend, device)."""
    if backend not in BACKENDS:
        raise GanimateError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if device not in DEVICES:
        raise GanimateError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    if not Path(path).is_file():
        raise GanimateError(f"model file not found: {path}")
    if device == "auto":
        device = "cuda" if backend != "openvino" and cuda_available() else "cpu"
    if device == "cuda":
        if backend == "openvino":
            raise GanimateError("the OpenVINO backend runs on the CPU; use --backend onnxruntime for CUDA")
        return OrtSession(path, "cuda", threads)
    if backend in ("auto", "openvino"):
        try:
            return OpenVinoSession(path, threads=threads)
        except ImportError:
            if backend == "openvino":
                raise GanimateError("the openvino package is not installed") from None
    return OrtSession(path, "cpu", threads)


def open_model(path: Path, kind: str, what: str, backend: str = "auto", device: str = "auto",
               threads: int = 0) -> tuple[ModelInfo, Session]:
    """Check a ganimate ONNX file is the right kind of model for our AUs, then load it."""
    from ganimate.au.names import AU_NAMES

    info = read_model_info(path)
    if info.kind not in (kind, "unknown"):
        raise GanimateError(f"{path} is a {info.kind} model, not {what}")
    if info.au_names and tuple(info.au_names) != AU_NAMES:
        raise GanimateError(f"{path} works on other AUs ({','.join(info.au_names)})")
    return info, open_session(path, backend, device, threads)
