"""The warping generator: warp maths, AU geometry, a tiny training run, resume and ONNX export."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnxruntime as ort
import pytest
import torch
from warp_data import write_landmark_dataset

from ganimate.au.names import AU_NAMES
from ganimate.training.au_geometry import LAYING_POINTS, AuGeometry, fit_au_geometry, laid_by_pose, teacher_points
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
    true[AU_NAMES.index("AU12"), 48] = [-0.01, -0.005]  # lip corners out and up, per intensity unit
    true[AU_NAMES.index("AU12"), 54] = [0.01, -0.005]
    pts = base + 128 * np.tensordot(aus, true, axes=(1, 0)) + rng.normal(0, 0.05, (n, 68, 2))
    geo = fit_au_geometry(aus, pts, np.repeat(np.arange(4), n // 4), 128.0, ridge=1e-3)
    np.testing.assert_allclose(geo.weights[AU_NAMES.index("AU12"), 48], [-0.01, -0.005], atol=5e-4)
    np.testing.assert_allclose(geo.weights[AU_NAMES.index("AU12"), 54], [0.01, -0.005], atol=5e-4)
    assert np.all(geo.weights[AU_NAMES.index("AU12"), 17:27] == 0)  # a lip AU never moves a brow
    shut = teacher_points(base[None], np.zeros((1, 17)), np.eye(17)[[AU_NAMES.index("AU45")]] * 4, geo, 128)[0]
    np.testing.assert_allclose(shut[37], shut[41], atol=1e-4)  # AU45 4: the lids meet


def test_au_geometry_is_fitted_in_a_frame_the_expression_does_not_move():
    # crops aligned by five points that include the mouth corners shift and scale with a smile: the fit must
    # see the lip corner's motion relative to the eyes and nose, not the crop frame's
    rng = np.random.default_rng(1)
    n = 400
    aus = rng.uniform(0, 5, (n, 17))
    a12 = aus[:, AU_NAMES.index("AU12")]
    base = rng.normal(64, 15, (68, 2))
    true = np.zeros((17, 68, 2))
    true[AU_NAMES.index("AU12"), 48] = [-0.01, -0.005]
    true[AU_NAMES.index("AU12"), 54] = [0.01, -0.005]
    pts = base + 128 * np.tensordot(aus, true, axes=(1, 0)) + rng.normal(0, 0.05, (n, 68, 2))
    scale = 1.0 + 0.004 * a12  # the crop frame follows the smile: a little larger and lower
    framed = (pts - 64.0) * scale[:, None, None] + 64.0 + np.stack([0 * a12, 0.8 * a12], 1)[:, None, :]
    groups = np.repeat(np.arange(4), n // 4)
    geo = fit_au_geometry(aus, framed, groups, 128.0, ridge=1e-3)
    np.testing.assert_allclose(geo.weights[AU_NAMES.index("AU12"), 48], [-0.01, -0.005], atol=5e-4)
    # laid by the rigid points, the eyes and nose of one person's rows agree again (to the noise)
    rigid = laid_by_pose(groups, framed)[groups == 0][:, list(LAYING_POINTS)]
    assert np.abs(rigid - np.median(rigid, axis=0)).max() < 0.3
    assert np.abs(framed[groups == 0][:, list(LAYING_POINTS)] - np.median(rigid, axis=0)).max() > 2.0


def test_au_geometry_keeps_a_jaw_drop_and_drops_the_sideways_slide_of_a_turning_head():
    # talking heads turn: in the data the jaw slides one way as the mouth opens; the AUs are bilateral
    from ganimate.face import landmarks as lmk

    rng = np.random.default_rng(2)
    n = 400
    aus = rng.uniform(0, 5, (n, 17))
    base = rng.normal(64, 15, (68, 2))
    a26 = AU_NAMES.index("AU26")
    true = np.zeros((17, 68, 2))
    true[a26, 8] = [0.0, 0.01]  # the chin drops
    true[a26, list(lmk.JAW), 0] += 0.006  # and the whole jaw slides right with the turn
    pts = base + 128 * np.tensordot(aus, true, axes=(1, 0)) + rng.normal(0, 0.05, (n, 68, 2))
    geo = fit_au_geometry(aus, pts, np.repeat(np.arange(4), n // 4), 128.0, ridge=1e-3)
    w = geo.weights[a26]
    np.testing.assert_allclose(w[8], [0.0, 0.01], atol=5e-4)
    assert abs(w[list(lmk.JAW), 0].mean()) < 5e-4  # no net slide
    np.testing.assert_allclose(w[0, 0], -w[16, 0], atol=1e-6)  # mirror points move as mirror images


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


@pytest.mark.parametrize(("level", "side"), [(1, 16), (2, 8), (4, 4)])
def test_each_flow_level_predicts_at_its_side_and_returns_crop_px_flow(level, side):
    g = WarpGenerator(ngf=8, res_blocks=1, image_size=32, internal_size=16, flow_level=level).eval()
    assert g.au_flow.shape == (17, 2, side, side)
    with torch.no_grad():
        g.au_flow[AU_NAMES.index("AU45"), 1] = 0.0
        g.au_flow[AU_NAMES.index("AU45"), 1, side // 2:] = 1.0  # a step in y at the middle row of cells
        target = torch.zeros(1, 17)
        target[0, AU_NAMES.index("AU45")] = 1.0
        g.source_head[-2].weight.zero_()
        g.source_head[-2].bias.fill_(-30.0)  # reads the source as neutral: the change is the target
        flow = g(torch.zeros(1, 3, 32, 32), target)[3]
    assert flow.shape == (1, 2, 32, 32)
    col = flow[0, 1, :, 5]
    top = float(torch.tanh(torch.tensor(1.0)) * g.max_flow * 32)
    assert col[-1] == pytest.approx(top, rel=1e-4) and col[0] == pytest.approx(0.0, abs=1e-6)
    # the step is as sharp as the cells: the rows where the flow is neither 0 nor full are one cell's worth
    ramp = int(((col > 1e-3) & (col < top - 1e-3)).sum())
    assert ramp <= 32 // side


def test_an_unknown_flow_level_is_refused():
    with pytest.raises(ValueError, match="flow_level"):
        WarpGenerator(ngf=8, res_blocks=1, image_size=32, flow_level=3)


def test_refine_warp_flow_keeps_the_motion_and_resumes_at_the_finer_level(tmp_path):
    from ganimate.errors import GanimateError
    from ganimate.training.checkpoint import refine_warp_flow, save_checkpoint

    data = write_landmark_dataset(tmp_path / "data")
    cfg = _tiny_warp_config(tmp_path, steps=2)
    cfg = replace(cfg, model=replace(cfg.model, flow_level=2))
    ckpt = train(cfg, data, tmp_path / "run2", progress=False)
    state = load_checkpoint(ckpt)
    coarse = torch.randn(17, 2, 2, 2, generator=torch.Generator().manual_seed(0)) * 0.3
    # a clear, smooth linear motion to carry over (faces' motion fields are smooth over a few cells)
    state["generator"]["au_flow"] = torch.nn.functional.interpolate(coarse, size=(8, 8), mode="bilinear",
                                                                    align_corners=False)
    fine = refine_warp_flow(state, 1)
    old, new = state["generator"], fine["generator"]
    assert fine["config"]["model"]["flow_level"] == 1 and fine["step"] == state["step"]
    assert new["au_flow"].shape == (17, 2, 16, 16)
    up = torch.nn.functional.interpolate(old["au_flow"], size=(16, 16), mode="bilinear", align_corners=False)
    torch.testing.assert_close(new["au_flow"], up)
    assert torch.equal(new["e1.0.weight"], old["e1.0.weight"]) and torch.equal(new["d1.0.weight"], old["d1.0.weight"])
    assert new["flow_head.0.0.weight"].shape[1] == 4 and old["flow_head.0.0.weight"].shape[1] == 8
    assert new["flow_head.1.weight"].abs().max() == 0 and new["flow_head.1.bias"].abs().max() == 0
    # with the old face-dependent head silenced too, both nets make the same linear motion up to resampling
    g_old = WarpGenerator(ngf=8, res_blocks=1, image_size=32, internal_size=16, flow_level=2).eval()
    g_old.load_state_dict({**old, "flow_head.1.weight": torch.zeros_like(old["flow_head.1.weight"]),
                           "flow_head.1.bias": torch.zeros_like(old["flow_head.1.bias"])})
    g_new = WarpGenerator(ngf=8, res_blocks=1, image_size=32, internal_size=16, flow_level=1).eval()
    g_new.load_state_dict(new)
    x, aus = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 17)
    with torch.no_grad():
        f_old, f_new = g_old(x, aus)[3], g_new(x, aus)[3]
    assert f_old.abs().mean() > 0.3
    assert (f_old - f_new).abs().mean() < 0.1 * f_old.abs().mean()
    # Adam moments kept for the unchanged tensors, dropped for the resized / re-initialised ones
    assert len(fine["opt_g"]["state"]) == len(state["opt_g"]["state"]) - 4  # first conv, last conv (2), au_flow
    save_checkpoint(tmp_path / "run1" / "checkpoint.pt", fine)
    cfg1 = replace(cfg, model=replace(cfg.model, flow_level=1), optim=replace(cfg.optim, max_steps=4))
    resumed = load_checkpoint(train(cfg1, data, tmp_path / "run1", resume=True, progress=False))
    assert resumed["step"] == 4 and resumed["generator"]["au_flow"].shape == (17, 2, 16, 16)
    with pytest.raises(GanimateError, match="model settings"):  # the old level cannot resume the new file
        train(replace(cfg, optim=replace(cfg.optim, max_steps=6)), data, tmp_path / "run1", resume=True,
              progress=False)
    bad = {**state, "config": {**state["config"], "model": {**state["config"]["model"], "kind": "ganimation"}}}
    with pytest.raises(GanimateError, match="warp"):
        refine_warp_flow(bad, 1)
