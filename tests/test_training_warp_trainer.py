"""warp_losses' landmark loss: a weighted mean over the 68 points whose default is the plain mean."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from ganimate.face.landmarks import BROW_LEFT, EYELIDS, INNER_LIPS
from ganimate.training.config import PRESETS, load_config
from ganimate.training.warp_trainer import landmark_weights, warp_losses

pytestmark = pytest.mark.usefixtures("one_torch_thread")
S = 32


class _FixedFlow(nn.Module):
    """A stand-in generator: output = input, attention 1, and a given flow."""

    def __init__(self, flow: torch.Tensor):
        super().__init__()
        self.flow = flow

    def forward(self, x, aus):
        self.last_source = torch.zeros_like(aus)
        n = x.shape[0]
        return x, torch.ones(n, 1, S, S), torch.zeros_like(x), self.flow.expand(n, -1, -1, -1)


def _config(**loss):
    """The warp preset with every landmark group at weight 1 (LossConfig's defaults) unless given."""
    cfg = PRESETS["warp"]
    plain = {"landmark_lid_weight": 1.0, "landmark_inner_lip_weight": 1.0, "landmark_brow_weight": 1.0}
    return replace(cfg, loss=replace(cfg.loss, lambda_judge=0.0, **{**plain, **loss}), precision="fp32")


def _batch(goal_shift: dict[int, float]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    points = rng.uniform(4, S - 5, (2, 68, 2)).astype(np.float32)
    goal = points.copy()
    for i, dy in goal_shift.items():
        goal[:, i, 1] += dy
    img = rng.integers(0, 255, (2, S, S, 3), dtype=np.uint8)
    return {"images": img, "aus": np.zeros((2, 17), np.float32), "targets": np.zeros((2, 17), np.float32),
            "points": points, "goal_points": goal, "image_target": img, "kind": np.array([0, 2])}


def _landmark(config, batch, flow=None) -> float:
    g = _FixedFlow(torch.zeros(1, 2, S, S) if flow is None else flow)
    outside = torch.zeros(1, 1, S, S)
    return warp_losses(g, None, config, batch, outside, "cpu")[1]["landmark"]


def test_group_weights_land_on_their_points():
    assert np.all(landmark_weights(_config()) == 1.0)
    w = landmark_weights(_config(landmark_lid_weight=8.0, landmark_inner_lip_weight=4.0, landmark_brow_weight=2.0))
    assert np.all(w[list(EYELIDS)] == 8.0) and np.all(w[list(INNER_LIPS)] == 4.0) and w[BROW_LEFT[0]] == 2.0
    assert w[36] == w[48] == w[30] == w[0] == 1.0  # eye corners, lip corners, nose, jaw keep weight 1


def test_default_weights_give_the_plain_mean_and_lid_weights_raise_lid_errors():
    batch = _batch({37: 3.0, 48: 2.0})  # a lid goal 3 px down, a lip-corner goal 2 px down; a still flow
    plain = _landmark(_config(), batch)
    assert plain == pytest.approx((9.0 + 4.0) / 2 / 68, rel=1e-5)  # squared px, mean of x and y and points
    w = landmark_weights(_config(landmark_lid_weight=8.0))
    heavy = _landmark(_config(landmark_lid_weight=8.0), batch)
    assert heavy == pytest.approx((8 * 9.0 + 4.0) / 2 / w.sum(), rel=1e-5)
    assert heavy > plain
    lipless = _landmark(_config(landmark_lid_weight=8.0), _batch({48: 2.0}))
    assert lipless < _landmark(_config(), _batch({48: 2.0}))  # a weighted mean: the rest counts less


def test_a_flow_that_reaches_the_goals_has_no_landmark_loss():
    batch = _batch({k: 2.0 for k in range(68)})  # every goal 2 px below: the backward flow must read -2 px
    flow = torch.zeros(1, 2, S, S)
    flow[:, 1] = -2.0
    assert _landmark(_config(landmark_lid_weight=8.0), batch, flow) == pytest.approx(0.0, abs=1e-8)


def test_the_new_loss_and_teacher_keys_override_from_the_command_line():
    cfg = load_config("paper", overrides={"loss.landmark_lid_weight": "8", "loss.teacher_lid_lower": "0",
                                          "loss.teacher_open_gain": "1.5"})
    assert (cfg.loss.landmark_lid_weight, cfg.loss.teacher_lid_lower, cfg.loss.teacher_open_gain) == (8.0, 0.0, 1.5)
    assert cfg.loss.teacher_lid_upper == 0.8 and cfg.loss.landmark_inner_lip_weight == 1.0  # defaults: the old
    warp = PRESETS["warp"].loss  # the shipped fine-tune's settings (checkpoints/README.md)
    assert (warp.landmark_lid_weight, warp.landmark_inner_lip_weight, warp.teacher_lid_upper,
            warp.teacher_lid_lower, warp.teacher_open_gain, warp.lambda_landmark) == (8.0, 4.0, 0.75, 0.0, 1.5, 0.8)
    assert warp.teacher_brow_gain == 1.9 and PRESETS["warp"].optim.max_steps == 9000  # warp v5
    assert warp.teacher_frown_gain == 3.0  # warp v7: the brow lowerer at the real anger pairs' strength
    assert load_config("paper").loss.teacher_frown_gain is None  # elsewhere: the brow gain, as before
    assert warp.lambda_judge == 2.5  # warp v4: the judge weakened (its x10 drew a dark contour around smiles)


def test_closing_clip_pairs_take_their_lid_goals_from_the_teacher():
    from ganimate.au.names import AU_NAMES
    from ganimate.training.au_geometry import LOWER_LIDS, UPPER_LIDS, AuGeometry
    from ganimate.training.warp_trainer import taught_pair_lids

    rng = np.random.default_rng(0)
    points = rng.uniform(20, 100, (3, 68, 2)).astype(np.float32)
    points[:, list(LOWER_LIDS), 1] = points[:, list(UPPER_LIDS), 1] + 4.0
    goal = points + 0.5  # the second frames' own landmarks: lids barely closed
    aus = np.zeros((3, 17), np.float32)
    targets = aus.copy()
    targets[:, AU_NAMES.index("AU45")] = 0.8  # 4 of 5: fully closed
    pair = np.array([True, True, False])
    aus[1, AU_NAMES.index("AU45")] = 0.8  # row 1 does not close (already closed): keeps its own goals
    geo = AuGeometry(np.zeros((17, 68, 2), np.float32))
    out = taught_pair_lids(points, goal, aus, targets, pair, geo, 128, (0.75, 0.0))
    np.testing.assert_allclose(out[0, list(UPPER_LIDS), 1], points[0, list(UPPER_LIDS), 1] + 3.0, atol=1e-4)
    np.testing.assert_allclose(out[0, list(LOWER_LIDS)], points[0, list(LOWER_LIDS)], atol=1e-5)
    np.testing.assert_allclose(out[0, :36], goal[0, :36])  # only the lids change
    np.testing.assert_allclose(out[1:], goal[1:])  # a non-closing pair and a geometry row: untouched


def test_a_pair_target_is_laid_onto_the_input_by_its_eyes_and_nose():
    from ganimate.face.align import transform_points
    from ganimate.training.au_geometry import LAYING_POINTS
    from ganimate.training.warp_trainer import lay_pair

    rng = np.random.default_rng(0)
    onto = rng.uniform(20, 100, (68, 2))
    target = onto.copy()
    target[48:60] += [0.0, -3.0]  # the expression: the lips move up relative to the eyes and nose
    frame = np.array([[1.03, 0.0, -2.0], [0.0, 1.03, 4.0]])  # the target's own crop frame moved with it
    framed = transform_points(frame, target)
    image = np.zeros((128, 128, 3), np.uint8)
    x, y = np.rint(framed[30]).astype(int)
    image[y - 1:y + 2, x - 1:x + 2] = 255  # a mark on the nose tip
    laid_image, laid = lay_pair(image, framed.astype(np.float32), onto.astype(np.float32))
    np.testing.assert_allclose(laid[list(LAYING_POINTS)], onto[list(LAYING_POINTS)], atol=1e-3)
    np.testing.assert_allclose(laid[48:60] - onto[48:60], np.tile([0.0, -3.0], (12, 1)), atol=1e-3)
    ys, xs = np.nonzero(laid_image[..., 0] > 100)
    assert abs(xs.mean() - onto[30, 0]) < 1.0 and abs(ys.mean() - onto[30, 1]) < 1.0
