"""Reading an ONNX file's metadata and input shape without the onnx package, checked against onnx itself."""

from __future__ import annotations

import pytest
from model_files import random_generator

from ganimate.infer.models import MODELS_DIR
from ganimate.infer.onnx_meta import NotOnnx, read_onnx_header


def _with_onnx(path):
    onnx = pytest.importorskip("onnx")  # the train extra

    model = onnx.load(str(path), load_external_data=False)
    dims = tuple(d.dim_value if d.HasField("dim_value") else d.dim_param
                 for d in model.graph.input[0].type.tensor_type.shape.dim)
    return {p.key: p.value for p in model.metadata_props}, dims


@pytest.mark.parametrize("path", [*sorted(MODELS_DIR.glob("*.onnx")), "random_generator"], ids=lambda p: str(p)[-24:])
def test_header_equals_what_onnx_reads(path):
    if path == "random_generator":
        pytest.importorskip("torch")  # built by the project's exporter
        path = random_generator()
    meta, dims = read_onnx_header(path)
    assert (meta, dims) == _with_onnx(path)
    assert meta and dims[1] == 3


def test_not_onnx_files_are_refused(tmp_path):
    text = tmp_path / "a.onnx"
    text.write_text("not a model")
    cut = tmp_path / "b.onnx"
    cut.write_bytes((MODELS_DIR / "mtcnn_rnet.onnx").read_bytes()[:5000])
    empty = tmp_path / "c.onnx"
    empty.write_bytes(b"")
    for path in (text, cut, empty):
        with pytest.raises(NotOnnx):
            read_onnx_header(path)
