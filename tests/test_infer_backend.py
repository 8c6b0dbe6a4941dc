import numpy as np
import pytest
from model_files import identity_generator, random_estimator, random_generator

from ganimate.errors import GanimateError
from ganimate.infer.backend import OrtSession, open_session, read_model_info
from ganimate.infer.estimator import AuEstimator
from ganimate.infer.generator import Generator
from ganimate.infer.tensors import crops_to_tensor, tensor_to_crops


def _real_crops(astronaut, n=4, size=128):
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.detect import FaceDetector

    face = FaceDetector().detect(astronaut)[0]
    rng = np.random.default_rng(0)
    crops = []
    for _ in range(n):
        lm = face.landmarks + rng.normal(0, 2, face.landmarks.shape).astype(np.float32)
        crops.append(warp_face_by_landmarks(astronaut, lm, size)[0])
    return np.stack(crops)


def test_tensor_round_trip_is_exact_for_uint8():
    crops = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    x = crops_to_tensor(crops)
    assert x.dtype == np.float32 and x.shape == (2, 3, 8, 8) and x.min() >= -1 and x.max() <= 1
    np.testing.assert_array_equal(np.rint(tensor_to_crops(x)).astype(np.uint8), crops)


def test_model_info_reads_contract_metadata(tmp_path):
    info = read_model_info(random_generator())
    assert info.kind == "generator" and info.image_size == 128 and len(info.au_names) == 17
    bad = tmp_path / "bad.onnx"
    bad.write_text("not a model")
    with pytest.raises(GanimateError, match="not a readable ONNX"):
        read_model_info(bad)
    with pytest.raises(GanimateError, match="not found"):
        read_model_info(tmp_path / "missing.onnx")


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_identity_generator_returns_input_on_every_backend(backend, astronaut):
    gen = Generator(identity_generator(), backend=backend, device="cpu")
    crops = _real_crops(astronaut, 3)
    edited, attention = gen.edit(crops, np.full((3, 17), 2.0, np.float32))
    assert edited.shape == crops.shape and attention.shape == (3, 128, 128)
    np.testing.assert_array_equal(attention, 1.0)
    assert np.abs(edited - crops).max() < 1e-3


def test_backends_agree_with_onnxruntime_fp32_on_real_crops(astronaut):
    """OpenVINO f32 equals onnxruntime up to summation order; bf16 has its own bounds in
    tests/test_infer_precision.py (the tiny random generator moves by up to 7 grey levels in bf16)."""
    crops = _real_crops(astronaut, 4)
    aus = np.random.default_rng(1).uniform(0, 5, (4, 17)).astype(np.float32)
    ref = Generator(random_generator(), backend="onnxruntime", device="cpu").edit(crops, aus)
    ov = Generator(random_generator(), backend="openvino", device="cpu", precision="f32").edit(crops, aus)
    diff = np.abs(ov[0] - ref[0]).max()
    print(f"generator max abs diff OpenVINO f32 vs onnxruntime f32: {diff:.2e} grey levels")
    assert diff <= 0.03  # measured 7e-3 on 18 real faces (bench/bench_precision.py --test-models)
    est_ref = AuEstimator(random_estimator(), backend="onnxruntime", device="cpu").estimate(crops)
    est_ov = AuEstimator(random_estimator(), backend="openvino", device="cpu", precision="f32").estimate(crops)
    assert est_ref.shape == (4, 17) and np.abs(est_ref - est_ov).max() <= 1e-4  # measured 1.2e-7 AU


def test_estimator_refuses_a_generator_file_and_vice_versa():
    with pytest.raises(GanimateError, match="not an AU estimator"):
        AuEstimator(random_generator())
    with pytest.raises(GanimateError, match="not a generator"):
        Generator(random_estimator())


def test_bad_backend_and_device_names_are_user_errors():
    with pytest.raises(GanimateError, match="backend"):
        open_session(random_generator(), backend="tensorflow")
    with pytest.raises(GanimateError, match="device"):
        open_session(random_generator(), device="tpu")
    with pytest.raises(GanimateError, match="OpenVINO"):
        open_session(random_generator(), backend="openvino", device="cuda")


def test_onnxruntime_cpu_session_runs_dynamic_batch():
    s = OrtSession(random_generator(), "cpu")
    for n in (1, 5):
        out = s.run({"image": np.zeros((n, 3, 128, 128), np.float32), "aus": np.zeros((n, 17), np.float32)})
        assert out["attention"].shape == (n, 1, 128, 128)
