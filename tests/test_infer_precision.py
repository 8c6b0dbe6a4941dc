"""Precision is a setting with bounds that follow from measurement (bench/bench_precision.py).

Measured on a 2-core AMD EPYC with AVX512-BF16, OpenVINO 2026.4, 18 real faces x 4 targets:
- f32: batch 8 vs 1 differs by <= 1.0e-3 grey levels (shipped generator) and 7.3e-3 (the tests' random
  generator); 1 vs 2 threads: identical. F32_TOL leaves a 4x margin for other CPUs' kernels.
- bf16 (shipped generator) vs f32: max 2.45, mean 0.04 grey levels (PSNR 68 dB); bf16 batch 8 vs 1:
  max 2.93, mean 0.02; threads: identical. BF16_MAX / BF16_MEAN leave a 2.7x / 3.7x margin.
- AU estimator bf16 vs f32: max 0.013, mean 0.0018 AU (0..5 scale).
"""

import numpy as np
import pytest
from model_files import random_generator

from ganimate.errors import GanimateError
from ganimate.infer import backend
from ganimate.infer.backend import cpu_has_native_bf16, open_session, resolve_precision
from ganimate.infer.estimator import AuEstimator
from ganimate.infer.generator import Generator
from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, DEFAULT_GENERATOR

F32_TOL = 0.03  # grey levels (of 255), max abs: batch size / thread count in f32
BF16_MAX = 8.0  # grey levels, max abs: bf16 vs f32, and bf16 batch 8 vs 1
BF16_MEAN = 0.15  # grey levels, mean abs
BF16_AU_MAX = 0.05  # AU intensity (0..5), estimator bf16 vs f32

needs_bf16 = pytest.mark.skipif(not cpu_has_native_bf16(),
                                reason="this CPU has no native bf16 units (AVX512-BF16 / AMX): bf16 path not run")


def _real_crops(astronaut, size, n=8):
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.detect import FaceDetector

    face = FaceDetector().detect(astronaut)[0]
    rng = np.random.default_rng(0)
    crops = [warp_face_by_landmarks(astronaut, face.landmarks + rng.normal(0, 2, face.landmarks.shape), size)[0]
             for _ in range(n)]
    return np.stack(crops)


def _targets(n):
    return np.random.default_rng(1).uniform(0, 5, (n, 17)).astype(np.float32)


def _one_by_one(gen, crops, aus):
    return np.concatenate([gen.edit(crops[i:i + 1], aus[i:i + 1])[0] for i in range(len(crops))])


@pytest.mark.parametrize("model", ["shipped", "random"])
@pytest.mark.parametrize("backend_name", ["openvino", "onnxruntime"])
def test_f32_results_do_not_depend_on_batch_size_or_threads(astronaut, model, backend_name):
    path = DEFAULT_GENERATOR if model == "shipped" else random_generator()
    gen = Generator(path, backend=backend_name, device="cpu", precision="f32", threads=2)
    assert gen.session.precision == "f32"
    crops = _real_crops(astronaut, gen.size)
    aus = _targets(len(crops))
    together = gen.edit(crops, aus)[0]
    assert np.abs(together - _one_by_one(gen, crops, aus)).max() <= F32_TOL
    one_thread = Generator(path, backend=backend_name, device="cpu", precision="f32", threads=1)
    assert np.abs(together - one_thread.edit(crops, aus)[0]).max() <= F32_TOL
    # and not by accident: a different target moves the output by far more than the tolerance
    assert np.abs(together - gen.edit(crops, aus[::-1].copy())[0]).max() > 100 * F32_TOL


@needs_bf16
def test_bf16_generator_stays_within_measured_bounds_of_f32(astronaut):
    f32 = Generator(DEFAULT_GENERATOR, backend="openvino", device="cpu", precision="f32")
    bf16 = Generator(DEFAULT_GENERATOR, backend="openvino", device="cpu", precision="bf16", threads=2)
    assert bf16.session.precision == "bf16" and "bf16" in bf16.session.description
    crops = _real_crops(astronaut, f32.size)
    aus = _targets(len(crops))
    ref, got = f32.edit(crops, aus)[0], bf16.edit(crops, aus)[0]
    diff = np.abs(got - ref)
    print(f"bf16 vs f32: max {diff.max():.2f}, mean {diff.mean():.3f} grey levels")
    assert 0 < diff.max() <= BF16_MAX and diff.mean() <= BF16_MEAN  # > 0: bf16 really ran
    alone = np.abs(got - _one_by_one(bf16, crops, aus))
    assert alone.max() <= BF16_MAX and alone.mean() <= BF16_MEAN
    one_thread = Generator(DEFAULT_GENERATOR, backend="openvino", device="cpu", precision="bf16", threads=1)
    threads = np.abs(got - one_thread.edit(crops, aus)[0])
    assert threads.max() <= BF16_MAX and threads.mean() <= BF16_MEAN


@needs_bf16
def test_bf16_estimator_stays_within_measured_bounds_of_f32(astronaut):
    crops = _real_crops(astronaut, 128)
    ref = AuEstimator(DEFAULT_AU_ESTIMATOR, backend="openvino", device="cpu", precision="f32").estimate(crops)
    got = AuEstimator(DEFAULT_AU_ESTIMATOR, backend="openvino", device="cpu", precision="bf16").estimate(crops)
    assert np.abs(got - ref).max() <= BF16_AU_MAX


def test_auto_precision_is_bf16_exactly_where_the_cpu_has_it():
    session = open_session(random_generator(), "openvino", "cpu", precision="auto")
    assert session.precision == ("bf16" if cpu_has_native_bf16() else "f32")
    assert session.precision in session.description


def test_bf16_without_native_units_or_on_onnxruntime_is_a_user_error(monkeypatch):
    with pytest.raises(GanimateError, match="bf16 needs the OpenVINO"):
        open_session(random_generator(), "onnxruntime", "cpu", precision="bf16")
    with pytest.raises(GanimateError, match="precision"):
        open_session(random_generator(), "openvino", "cpu", precision="fp8")
    monkeypatch.setattr(backend, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto") == "f32"
    with pytest.raises(GanimateError, match="no native bf16"):
        resolve_precision("bf16")
