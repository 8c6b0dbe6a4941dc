"""ONNX inference backends behind one small interface.

OpenVINO is the CPU default, onnxruntime with the CUDA execution provider runs on NVIDIA GPUs, and
plain onnxruntime on the CPU is the fallback. All take the same ONNX files.

Precision is a setting, not a side effect of the CPU: `f32`, `bf16` (OpenVINO only, CPUs with native
bf16: AVX512-BF16 or AMX) or `auto` (bf16 where the CPU has it, f32 elsewhere). Each session's
`description` names the precision OpenVINO actually compiled with.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ganimate.errors import GanimateError

BACKENDS = ("auto", "openvino", "onnxruntime")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "f32", "bf16")
HINTS = ("LATENCY", "THROUGHPUT")  # OpenVINO PERFORMANCE_HINT


class Session(Protocol):
    """A loaded model: named float32 arrays in, named float32 arrays out."""

    description: str
    precision: str  # "f32" | "bf16": what the backend actually computes in

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class ModelInfo:
    """What an ONNX file says about itself (its metadata_props)."""

    kind: str
    image_size: int
    au_names: tuple[str, ...]
    metadata: dict[str, str]


def read_model_info(path: Path) -> ModelInfo:
    """Metadata of a ganimate ONNX model; GanimateError if the file is not one.

    Read without the onnx package (ganimate.infer.onnx_meta), whose import alone outlasts start-up."""
    from ganimate.infer.onnx_meta import read_onnx_header

    if not Path(path).is_file():
        raise GanimateError(f"model file not found: {path}")
    try:
        meta, dims = read_onnx_header(path)
    except ValueError as exc:  # bad protobuf encoding or text: not an ONNX model
        raise GanimateError(f"not a readable ONNX model: {path} ({type(exc).__name__})") from None
    try:
        size = int(meta.get("ganimate.image_size", "0"))
    except ValueError:
        size = 0
    if size <= 0:
        size = dims[-1] if dims and isinstance(dims[-1], int) and dims[-1] > 0 else 128
    names = tuple(n for n in meta.get("ganimate.au_names", "").split(",") if n)
    return ModelInfo(kind=meta.get("ganimate.kind", "unknown"), image_size=size, au_names=names, metadata=meta)


def import_openvino():
    """The openvino module, imported without its model converter (openvino.tools.ovc).

    openvino's __init__ imports the converter in a try/except ImportError; it and the telemetry it pulls
    in are ~0.1 s of CPU and up to 0.5 s of wall time at start-up, and the runtime only loads ONNX files.
    A later explicit `import openvino.tools.ovc` still works."""
    import sys

    if "openvino" not in sys.modules:
        blocked = "openvino.tools.ovc" not in sys.modules
        if blocked:
            sys.modules["openvino.tools.ovc"] = None  # makes its import raise ImportError
        try:
            import openvino  # noqa: F401
        finally:
            if blocked and sys.modules.get("openvino.tools.ovc", 0) is None:
                del sys.modules["openvino.tools.ovc"]
    return sys.modules["openvino"]


def cpu_has_native_bf16() -> bool:
    """True when OpenVINO reports bf16 compute on this CPU (AMX or AVX512-BF16)."""
    try:
        ov = import_openvino()
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


def resolve_precision(precision: str) -> str:
    """'auto' | 'f32' | 'bf16' -> the precision OpenVINO is asked for on this CPU.

    bf16 on a CPU without native bf16 units would silently run f32 (OpenVINO ignores the hint), so
    asking for it there is an error rather than a setting that does nothing."""
    if precision not in PRECISIONS:
        raise GanimateError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    native = cpu_has_native_bf16()
    if precision == "auto":
        return "bf16" if native else "f32"
    if precision == "bf16" and not native:
        raise GanimateError("bf16 was requested but this CPU has no native bf16 units (AVX512-BF16 or AMX)")
    return precision


class OpenVinoSession:
    def __init__(self, path: Path, precision: str = "auto", threads: int = 0, hint: str = "LATENCY"):
        ov = import_openvino()

        if hint not in HINTS:
            raise GanimateError(f"unknown performance hint {hint!r}; choose one of {', '.join(HINTS)}")
        precision = resolve_precision(precision)
        core = ov.Core()
        config: dict[str, object] = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": hint}
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = threads
        self._compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        # one infer request per calling thread, so one compiled model serves videos tracked in parallel
        self._local = threading.local()
        # every name an output goes by: OpenVINO may fuse the graph's last op and call the output after its own
        # intermediate tensor as well (get_any_name picked '/Reshape_output_0' over the mouth reader's 'mouth')
        self._outputs = [(name, o) for o in self._compiled.outputs for name in sorted(o.get_names())]
        used = self._compiled.get_property("INFERENCE_PRECISION_HINT")  # an ov.Type: what was compiled
        self.precision = used.get_type_name() if hasattr(used, "get_type_name") else str(used)
        self.description = f"OpenVINO CPU {self.precision} {hint}"

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        result = request.infer({k: np.ascontiguousarray(v) for k, v in inputs.items()})
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
        self.precision = "f32"
        self.description = f"onnxruntime {'CUDA' if used == 'CUDAExecutionProvider' else 'CPU'} f32"

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        outs = self._session.run(self._names, {k: np.ascontiguousarray(v) for k, v in inputs.items()})
        return dict(zip(self._names, outs, strict=True))


def default_threads() -> int:
    """CPU threads of a model session when none are asked for: half the cores, at least one.

    The models share the CPU with decoding, tracking and encoding threads. On the loaded 2-core bench
    machine (bench/bench_models.py) one thread a model was faster than two for the shipped models at
    batch 8 (generator bf16 5.7 vs 7.5 ms a crop, f32 10.4 vs 15.5; estimator bf16 0.70 vs 1.27); only
    the paper-size generator in bf16 gained from two (182 vs 213 ms), and it is not the default."""
    return max(1, (os.cpu_count() or 2) // 2)


def open_session(path: Path, backend: str = "auto", device: str = "auto", threads: int = 0,
                 precision: str = "auto", hint: str = "LATENCY") -> Session:
    """Load an ONNX model on the best available backend for (backend, device).

    threads 0 = default_threads(). precision and hint (OpenVINO PERFORMANCE_HINT) apply to OpenVINO;
    onnxruntime runs f32 and refuses an explicit bf16."""
    if backend not in BACKENDS:
        raise GanimateError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if device not in DEVICES:
        raise GanimateError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    if precision not in PRECISIONS:
        raise GanimateError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if not Path(path).is_file():
        raise GanimateError(f"model file not found: {path}")
    if device == "auto":
        device = "cuda" if backend != "openvino" and cuda_available() else "cpu"
    threads = threads if threads > 0 else default_threads()
    if device == "cuda":
        if backend == "openvino":
            raise GanimateError("the OpenVINO backend runs on the CPU; use --backend onnxruntime for CUDA")
        _f32_only(precision, "onnxruntime CUDA")
        return OrtSession(path, "cuda", threads)
    if backend in ("auto", "openvino"):
        try:
            return OpenVinoSession(path, precision=precision, threads=threads, hint=hint)
        except ImportError:
            if backend == "openvino":
                raise GanimateError("the openvino package is not installed") from None
    _f32_only(precision, "onnxruntime")
    return OrtSession(path, "cpu", threads)


def _f32_only(precision: str, what: str) -> None:
    if precision == "bf16":
        raise GanimateError(f"{what} runs f32 here; bf16 needs the OpenVINO backend")


def open_model(path: Path, kind: str, what: str, backend: str = "auto", device: str = "auto",
               threads: int = 0, precision: str = "auto", hint: str = "LATENCY") -> tuple[ModelInfo, Session]:
    """Check a ganimate ONNX file is the right kind of model for our AUs, then load it."""
    from ganimate.au.names import AU_NAMES

    info = read_model_info(path)
    if info.kind not in (kind, "unknown"):
        raise GanimateError(f"{path} is a {info.kind} model, not {what}")
    if info.au_names and tuple(info.au_names) != AU_NAMES:
        raise GanimateError(f"{path} works on other AUs ({','.join(info.au_names)})")
    return info, open_session(path, backend, device, threads, precision, hint)
