"""MTCNN export: the shipped ONNX files are what `python -m ganimate.export.mtcnn` writes from facenet-pytorch."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face.detect import MTCNN_FILES
from ganimate.infer.backend import open_session
from ganimate.infer.onnx_meta import read_onnx_header


def _meta(path) -> dict[str, str]:
    return read_onnx_header(path)[0]


def test_shipped_files_carry_kind_source_and_licence():
    for net, path in MTCNN_FILES.items():
        meta = _meta(path)
        assert meta["ganimate.kind"] == f"mtcnn_{net}"
        assert "facenet-pytorch 2.5.3" in meta["ganimate.source"] and "MIT" in meta["ganimate.licence"]


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_pnet_takes_any_size(backend):
    sess = open_session(MTCNN_FILES["pnet"], backend, "cpu", 1, precision="f32")
    for h, w in ((12, 12), (27, 64), (163, 289)):
        out = sess.run({"image": np.zeros((1, 3, h, w), np.float32)})
        oh, ow = -(-(h - 2) // 2) - 4, -(-(w - 2) // 2) - 4  # conv3, ceil-mode pool2, conv3, conv3
        assert out["reg"].shape == (1, 4, oh, ow) and out["prob"].shape == (1, 2, oh, ow)
        np.testing.assert_allclose(out["prob"].sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_export_rewrites_the_shipped_nets(tmp_path):
    pytest.importorskip("facenet_pytorch")
    from ganimate.export.mtcnn import export_mtcnn

    reports = export_mtcnn(tmp_path)
    assert [r.path.name for r in reports] == [p.name for p in MTCNN_FILES.values()]
    rng = np.random.default_rng(0)
    for report, (net, shipped) in zip(reports, MTCNN_FILES.items(), strict=True):
        assert report.max_abs_diff < 1e-4
        assert _meta(report.path) == _meta(shipped)
        size = {"pnet": (40, 52), "rnet": (24, 24), "onet": (48, 48)}[net]
        x = rng.uniform(-1, 1, (3, 3, *size)).astype(np.float32)
        fresh = open_session(report.path, "onnxruntime", "cpu", 1).run({"image": x})
        ship = open_session(shipped, "onnxruntime", "cpu", 1).run({"image": x})
        for name in ship:
            np.testing.assert_allclose(fresh[name], ship[name], atol=1e-6)
