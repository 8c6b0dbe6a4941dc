"""The warping generator: warp maths, AU geometry, a tiny training run, resume and ONNX export."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnxruntime as ort
import pytest
import torch
from warp_data import write_landmark_dataset

from ganimate.au.names import AU_NAMES
from ganimate.training.au_geometry import AuGeometry, fit_au_geometry, teacher_points
from ganimate.training.checkpoint import load_checkpoint, load_generator
from ganimate.training.config import PRESETS, LossConfig, ModelConfig
from ganimate.training.trainer import train
from ganimate.training.warp_networks import WarpGenerator, sample_at, warp_image

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_warp_image_moves_content_by_the_backward_flow_in_pixels():
    img = torch.zeros(1, 1, 16, 16)
    img[0, 0, 8, 5] = 1.0
    flow = torch.zeros(1, 2, 16, 16)
    flow[:, 0] = -3.0  # output (x, y) takes the input at x - 3: the dot moves 3 px right
    out = warp_image(img, flow)
    assert out[0, 0, 8, 8] == pytest.approx(1.0, abs=1e-5) and out[0, 0, 8, 5] == pytest.approx(0.0, abs=1e-5)
    field = torch.arange(16.0).repeat(16, 1)[None, None]  # value = x
    read = sample_at(field, torch.tensor([[[3.25, 7.0]]]))
    assert read.item() == pytest.approx(3.25, abs=1e-5)


def test_a_fresh_warp_generator_starts_as_a_near_identity():
    g = WarpGenerator(ngf=8, res_blocks=1, image_size=32).eval()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    out, att, colour, flow = g(x, torch.rand(2, 17))
    assert flow.abs().max() == 0 and att.mean() > 0.9
    assert out.shape == colour.shape == x.shape and flow.shape == (2, 2, 32, 32)


def test_au_geometry_recovers_a_planted_motion_and_keeps_regions_apart():
    rng = np.random.default_rng(0)
    n = 400
    aus = rng.uniform(0, 5, (n, 17))
    base = rng.normal(50, 10, (68, 2))
    true = np.zeros((17, 68, 2))
    true[AU_NAMES.index("AU12"), 48] = [-0.01, -0.005]  # lip corner out and up, per intensity unit
    pts = base + 128 * np.tensordot(aus, true, axes=(1, 0)) + rng.normal(0, 0.05, (n, 68, 2))
    geo = fit_au_geometry(aus, pts, np.repeat(np.arange(4), n // 4), 128.0, ridge=1e-3)
    np.testing.assert_allclose(geo.weights[AU_NAMES.index("AU12"), 48], [-0.01, -0.005], atol=5e-4)
    assert np.all(geo.weights[AU_NAMES.index("AU12"), 17:27] == 0)  # a lip AU never moves a brow
    shut = teacher_points(base[None], np.zeros((1, 17)), np.eye(17)[[AU_NAMES.index("AU45")]] * 4, geo, 128)[0]
    np.testing.assert_allclose(shut[37], shut[41], atol=1e-4)  # AU45 4: the lids meet


def _tiny_warp_config(tmp_path, steps=4):
    cfg = PRESETS["warp"]
    geo = tmp_path / "geo.npz"
    AuGeometry(np.zeros((17, 68, 2), np.float32)).save(geo)
    return replace(cfg, model=ModelConfig(image_size=32, ngf=8, res_blocks=1, kind="warp", internal_size=16),
                   loss=replace(cfg.loss, lambda_judge=0.0, judge_checkpoint=None, geometry=str(geo)),
                   optim=replace(cfg.optim, batch_size=8, max_steps=steps), log_every=1, sample_every=0,
                   checkpoint_every=0, exclude_heldout=False, precision="fp32")


def test_tiny_warp_run_trains_resumes_and_exports_with_parity(tmp_path):
    data = write_landmark_dataset(tmp_path / "data")
    cfg = _tiny_warp_config(tmp_path, steps=4)
    ckpt = train(replace(cfg, optim=replace(cfg.optim, max_steps=2)), data, tmp_path / "run", progress=False)
    assert load_checkpoint(ckpt)["step"] == 2
    train(cfg, data, tmp_path / "run", resume=True, progress=False)
    state = load_checkpoint(ckpt)
    assert state["step"] == 4 and state["stats"]["pair_rows"] > 0
    lines = (tmp_path / "run" / "losses.csv").read_text().splitlines()
    assert lines[0].startswith("step,") and len(lines) == 5 and "nan" not in "".join(lines)
    g, loaded, _ = load_generator(ckpt)
    assert isinstance(g, WarpGenerator) and loaded.model.kind == "warp"

    from ganimate.export.generator import export_generator

    report = export_generator(ckpt, tmp_path / "warp.onnx")
    assert report.max_abs_diff < 1e-4
    sess = ort.InferenceSession(str(tmp_path / "warp.onnx"), providers=["CPUExecutionProvider"])
    assert [o.name for o in sess.get_outputs()] == ["output", "attention", "colour", "flow"]
    x = np.random.default_rng(0).uniform(-1, 1, (3, 3, 32, 32)).astype(np.float32)
    outs = sess.run(None, {"image": x, "aus": np.full((3, 17), 0.3, np.float32)})  # any batch size
    with torch.no_grad():
        ref = g(torch.from_numpy(x), torch.full((3, 17), 0.3))
    for o, r in zip(outs, ref, strict=True):
        np.testing.assert_allclose(o, r.numpy(), atol=1e-4)


def test_the_warp_preset_needs_geometry_for_its_landmark_loss():
    from ganimate.errors import GanimateError
    from ganimate.training.config import validate

    cfg = PRESETS["warp"]
    with pytest.raises(GanimateError, match="geometry"):
        validate(replace(cfg, loss=replace(cfg.loss, geometry=None)))
    assert isinstance(cfg.loss, LossConfig)


def test_bad_warp_inputs_are_one_error_and_leave_no_run_folder(tmp_path):
    from ganimate.errors import GanimateError
    from ganimate.training.synthetic import write_synthetic_dataset

    cfg = _tiny_warp_config(tmp_path)
    plain = write_synthetic_dataset(tmp_path / "plain", n=8, size=32)  # no landmarks.npy
    with pytest.raises(GanimateError, match="landmarks.npy"):
        train(cfg, plain, tmp_path / "run1", progress=False)
    data = write_landmark_dataset(tmp_path / "data")
    with pytest.raises(GanimateError, match="AU geometry not found"):
        train(replace(cfg, loss=replace(cfg.loss, geometry=str(tmp_path / "none.npz"))), data, tmp_path / "run2",
              progress=False)
    assert not (tmp_path / "run1").exists() and not (tmp_path / "run2").exists()
