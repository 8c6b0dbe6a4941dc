"""ONNX export of the generator: contract, metadata, parity, dynamic batch, fp16 weights, identity model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from ganimate.au.names import AU_NAMES
from ganimate.errors import GanimateError
from ganimate.export.generator import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    build_random_generator_onnx,
    export_generator,
    fp16_path_for,
)
from ganimate.export.parity import check_parity
from ganimate.training.checkpoint import load_generator
from ganimate.training.config import PRESETS
from ganimate.training.networks import Generator
from ganimate.training.synthetic import write_synthetic_dataset
from ganimate.training.trainer import train

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    data = write_synthetic_dataset(root / "ds", n=16, size=32)
    cfg = PRESETS["tiny"]
    cfg = replace(cfg, optim=replace(cfg.optim, max_steps=2, critic_steps=1))
    return train(cfg, data, root / "run", device="cpu", progress=False)


@pytest.fixture(scope="module")
def exported(checkpoint):
    out = checkpoint.parent / "generator.onnx"
    return export_generator(checkpoint, out, fp16=True)


def _run(path, image, aus):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": image, "aus": aus})


def _inputs(n, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, 3, size, size)).astype(np.float32),
            rng.uniform(0, 1, (n, len(AU_NAMES))).astype(np.float32))


def test_report_and_parity(exported, checkpoint):
    assert exported.path.exists() and exported.image_size == 32
    assert exported.max_abs_diff <= 1e-4
    assert exported.steps == 2 and exported.preset == "tiny"
    generator, _, _ = load_generator(checkpoint)
    image, aus = _inputs(3, seed=5)
    out, att = _run(exported.path, image, aus)
    ref_out, ref_att, _ = generator(torch.from_numpy(image), torch.from_numpy(aus))
    assert np.abs(out - ref_out.detach().numpy()).max() <= 1e-4
    assert np.abs(att - ref_att.detach().numpy()).max() <= 1e-4


def test_contract_and_metadata(exported):
    model = onnx.load(str(exported.path))
    onnx.checker.check_model(model)
    assert tuple(i.name for i in model.graph.input) == INPUT_NAMES == ("image", "aus")
    assert tuple(o.name for o in model.graph.output) == OUTPUT_NAMES == ("output", "attention")
    for value in list(model.graph.input) + list(model.graph.output):
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert value.type.tensor_type.shape.dim[0].dim_param  # symbolic batch dimension
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["ganimate.kind"] == "generator" and meta["ganimate.image_size"] == "32"
    assert meta["ganimate.au_names"].split(",") == list(AU_NAMES)
    assert meta["ganimate.preset"] == "tiny" and meta["ganimate.steps"] == "2"


@pytest.mark.parametrize("n", [1, 3])
def test_dynamic_batch(exported, n):
    image, aus = _inputs(n)
    out, att = _run(exported.path, image, aus)
    assert out.shape == (n, 3, 32, 32) and att.shape == (n, 1, 32, 32)
    assert out.dtype == np.float32 and -1 <= out.min() and out.max() <= 1 and 0 <= att.min() and att.max() <= 1
    single = _run(exported.path, image[:1], aus[:1])[0]
    assert np.abs(out[:1] - single).max() <= 1e-5  # batch items are independent


def test_fp16_weights_variant(exported):
    path = exported.fp16_path
    assert path == fp16_path_for(exported.path) and path.exists()
    assert path.stat().st_size < 0.7 * exported.path.stat().st_size
    model = onnx.load(str(path))
    assert any(i.data_type == onnx.TensorProto.FLOAT16 for i in model.graph.initializer)
    assert all(v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
               for v in list(model.graph.input) + list(model.graph.output))
    assert {p.key: p.value for p in model.metadata_props}["ganimate.weights"] == "fp16"
    image, aus = _inputs(2)
    full, half = _run(exported.path, image, aus)[0], _run(path, image, aus)[0]
    assert 0 < np.abs(full - half).max() < 2e-2
    assert exported.fp16_max_abs_diff is not None and exported.fp16_max_abs_diff < 2e-2


def test_parity_detects_a_different_model(exported):
    torch.manual_seed(123)
    other = Generator(ngf=8, res_blocks=1)

    class Contract(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.g = other

        def forward(self, image, aus):
            return self.g(image, aus)[:2]

    assert check_parity(exported.path, Contract()) > 1e-2


def test_identity_generator(tmp_path):
    path = build_random_generator_onnx(tmp_path / "identity.onnx", size=64, ngf=4, attention_bias=30.0)
    image, aus = _inputs(2, size=64)
    out, att = _run(path, image, aus)
    assert np.array_equal(att, np.ones_like(att))
    assert np.array_equal(out, image)
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta["ganimate.kind"] == "generator" and meta["ganimate.image_size"] == "64"
    edit = build_random_generator_onnx(tmp_path / "random.onnx", size=64, ngf=4)
    out2, att2 = _run(edit, image, aus)
    assert att2.max() < 1.0 and np.abs(out2 - image).max() > 1e-3


def test_export_errors(tmp_path, checkpoint):
    with pytest.raises(GanimateError):
        export_generator(tmp_path / "missing.pt", tmp_path / "g.onnx")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(GanimateError):
        export_generator(junk, tmp_path / "g.onnx")
    with pytest.raises(GanimateError):
        export_generator(checkpoint, tmp_path / "no_such_dir" / "g.onnx")
    estimator = tmp_path / "estimator.pt"
    torch.save({"format": "ganimate-au-estimator/1"}, estimator)
    with pytest.raises(GanimateError, match="--estimator"):  # the user is told which export to run
        export_generator(estimator, tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()


def test_parity_failure_leaves_no_file(tmp_path, checkpoint, monkeypatch):
    import ganimate.export.onnx_file as onnx_file  # the shared export-and-check step

    monkeypatch.setattr(onnx_file, "check_parity", lambda *a, **k: 1.0)
    with pytest.raises(GanimateError, match="differs"):
        export_generator(checkpoint, tmp_path / "bad.onnx")
    assert list(tmp_path.iterdir()) == []
