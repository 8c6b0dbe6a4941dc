"""The mouth reader's export (export/mouth_points.py) and its run-time reading (infer/mouth_points.py) against the
PyTorch net's own (training/mouth_reader.read_mouths)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
import torch

from ganimate.infer.backend import read_model_info
from ganimate.infer.mouth_points import MouthReader
from ganimate.training.mouth_reader import FORMAT, MouthNet, MouthNetConfig, read_mouths
from tests.edit_faces import synthetic_landmarks

TINY = MouthNetConfig(size=32, stem=8, widths=(8, 16), hidden=16)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from ganimate.export.mouth_points import export_mouth_points

    torch.manual_seed(0)
    net = MouthNet(TINY)
    with torch.no_grad():  # non-trivial BatchNorm statistics and a head that moves the points
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    net.eval()
    folder = tmp_path_factory.mktemp("mouth")
    ckpt = folder / "checkpoint.pt"
    torch.save({"format": FORMAT, "config": asdict(TINY), "state_dict": net.state_dict(), "step": 7}, ckpt)
    report = export_mouth_points(folder, folder / "mouth.onnx")
    return net, report


def test_the_file_says_what_it_is(exported):
    _, report = exported
    info = read_model_info(report.path)
    assert info.kind == "mouth_points" and info.image_size == TINY.size
    assert info.metadata["ganimate.steps"] == "7" and report.max_abs_diff < 1e-4


@pytest.mark.parametrize("mirror", [False, True])
def test_the_run_time_reads_the_mouth_as_the_net_does(exported, mirror):
    net, report = exported
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 128, 128, 3), dtype=np.uint8)
    points = np.stack([synthetic_landmarks(centre=(64.0 + d, 60.0), scale=1.1, angle_deg=a)
                       for d, a in ((0, 0), (3, 8), (-2, -5))])
    reader = MouthReader(report.path, backend="onnxruntime", threads=1)
    got = reader.refine(images, points, mirror=mirror)
    want = read_mouths(net, images, points, mirror=mirror)
    assert got.shape == (3, 68, 2) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=2e-3)
    np.testing.assert_array_equal(got[:, :48], points[:, :48].astype(np.float32))  # only the mouth is read again
    assert np.abs(got[:, 48:] - points[:, 48:]).max() > 0.1  # and it is read again
