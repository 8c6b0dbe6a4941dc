"""Several AU estimators averaged into one ONNX file."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ganimate.errors import GanimateError  # noqa: E402
from ganimate.export.ensemble import average_estimators  # noqa: E402
from ganimate.export.estimator import write_estimator_onnx  # noqa: E402
from ganimate.infer.backend import read_model_info  # noqa: E402
from ganimate.infer.estimator import AuEstimator  # noqa: E402
from ganimate.training.estimator_net import EstimatorConfig, build_estimator  # noqa: E402


def _estimator(path, seed, size=64):
    torch.manual_seed(seed)
    net = build_estimator(EstimatorConfig(image_size=size, internal_size=32, stem_width=8, widths=(8, 16),
                                          blocks=(1, 1), head_hidden=16))
    with torch.no_grad():  # outputs spread over [0, 1], so the members differ visibly
        net.head[-1].bias.uniform_(0.2, 0.8)
    write_estimator_onnx(net.eval(), path, steps=100 + seed)
    return path


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    d = tmp_path_factory.mktemp("ens")
    return [_estimator(d / "a.onnx", 0), _estimator(d / "b.onnx", 1), _estimator(d / "c96.onnx", 2, size=96)]


def test_the_average_reads_the_weighted_mean_of_its_members(members, tmp_path):
    a, b, _ = members
    out = tmp_path / "avg.onnx"
    assert average_estimators([a, b], out, [0.25, 0.75]) <= 1e-5
    info = read_model_info(out)
    assert info.kind == "au_estimator" and info.image_size == 64
    crops = np.random.default_rng(0).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    ea, eb, avg = (AuEstimator(p, backend="onnxruntime") for p in (a, b, out))
    ra, rb = ea.estimate(crops), eb.estimate(crops)
    assert np.abs(ra - rb).max() > 0.01  # the members disagree, so the weights matter
    np.testing.assert_allclose(avg.estimate(crops), 0.25 * ra + 0.75 * rb, atol=1e-5)
    # and through OpenVINO, the CPU run time's backend
    np.testing.assert_allclose(AuEstimator(out, backend="openvino", precision="f32").estimate(crops),
                               0.25 * ra + 0.75 * rb, atol=1e-4)


def test_members_that_disagree_or_bad_weights_write_nothing(members, tmp_path):
    a, b, c96 = members
    out = tmp_path / "avg.onnx"
    with pytest.raises(GanimateError, match="image_size"):
        average_estimators([a, c96], out)
    with pytest.raises(GanimateError, match="weights"):
        average_estimators([a, b], out, [0.5, 0.6])
    with pytest.raises(GanimateError, match="at least two"):
        average_estimators([a], out)
    assert not out.exists()
