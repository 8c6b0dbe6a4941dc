import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from ganimate.au.names import AU_NAMES
from ganimate.errors import GanimateError
from ganimate.export.estimator import export_estimator
from ganimate.infer.backend import read_model_info
from ganimate.training.estimator_net import EstimatorConfig, build_estimator, save_estimator

TINY = EstimatorConfig(image_size=64, internal_size=48, stem_width=8, widths=(16, 24), blocks=(0, 1), head_hidden=32)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    net = build_estimator(TINY)
    with torch.no_grad():  # non-trivial BatchNorm statistics, so folding them is actually tested
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("ckpt") / "est.pt"
    save_estimator(path, net.eval(), {"step": 123})
    return path, net


def test_export_contract_and_parity(checkpoint, tmp_path):
    path, net = checkpoint
    report = export_estimator(path, tmp_path / "au.onnx")
    assert report.max_abs_diff <= 1e-4 and report.image_size == 64 and report.steps == 123
    model = onnx.load(str(report.path))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["ganimate.kind"] == "au_estimator" and meta["ganimate.image_size"] == "64"
    assert meta["ganimate.au_names"] == ",".join(AU_NAMES)
    info = read_model_info(report.path)
    assert info.kind == "au_estimator" and info.au_names == AU_NAMES and info.image_size == 64
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image"] and [o.name for o in session.get_outputs()] == ["aus"]
    for n in (1, 5):  # dynamic batch
        x = np.random.default_rng(n).uniform(-1, 1, (n, 3, 64, 64)).astype(np.float32)
        (out,) = session.run(None, {"image": x})
        assert out.shape == (n, 17) and out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
        with torch.no_grad():
            ref = net.eval()(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(out, ref, atol=1e-4)


def test_fp16_twin_and_run_folder(checkpoint, tmp_path):
    path, _ = checkpoint
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.pt").write_bytes(path.read_bytes())
    report = export_estimator(run, tmp_path / "au.onnx", fp16=True)
    assert report.fp16_path == tmp_path / "au_fp16.onnx" and report.fp16_path.is_file()
    assert report.fp16_max_abs_diff <= 2e-2
    assert report.fp16_path.stat().st_size < 0.6 * report.path.stat().st_size
    meta = {p.key: p.value for p in onnx.load(str(report.fp16_path)).metadata_props}
    assert meta["ganimate.weights"] == "fp16" and meta["ganimate.kind"] == "au_estimator"


def test_bad_checkpoint(tmp_path):
    (tmp_path / "x.pt").write_bytes(b"junk")
    with pytest.raises(GanimateError):
        export_estimator(tmp_path / "x.pt", tmp_path / "au.onnx")
    with pytest.raises(GanimateError):
        export_estimator(tmp_path / "missing.pt", tmp_path / "au.onnx")
    assert not (tmp_path / "au.onnx").exists()
