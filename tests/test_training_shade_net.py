"""The person-specific shading net (training/shade_net.py): its contract and a resumable training run."""

import numpy as np
import pytest
import torch

from ganimate.au.names import N_AUS
from ganimate.training import shade_net as sn


def _data(rows: int = 12, side: int = 16, seed: int = 0) -> sn.ShadeData:
    rng = np.random.default_rng(seed)
    region = np.zeros((side, side), bool)
    region[2:-2, 3:-3] = True
    maps = (rng.normal(0, 0.05, (rows, side, side)) * region).astype(np.float16)
    aus = rng.uniform(0, 3, (rows, N_AUS)).astype(np.float32)
    groups = np.array([f"g{k // 3}" for k in range(rows)])  # four groups of three
    held = np.array([k >= rows - 3 for k in range(rows)])  # the last group held out
    return sn.ShadeData(maps, aus, groups, held, region)


def test_the_change_is_linear_in_the_au_change_and_zero_for_none():
    torch.manual_seed(0)
    net = sn.ShadeNet(channels=8, embed=16)
    data = _data()
    src, aus, delta = sn.net_inputs(data, np.array([0, 1]), np.array([2, 0]))
    with torch.no_grad():
        maps = net.maps(src, torch.from_numpy(data.region.astype(np.float32)), aus)
        one = net(src, torch.from_numpy(data.region.astype(np.float32)), aus, delta)
        two = net(src, torch.from_numpy(data.region.astype(np.float32)), aus, 2 * delta)
        none = net(src, torch.from_numpy(data.region.astype(np.float32)), aus, torch.zeros_like(delta))
    assert maps.shape == (2, N_AUS, 16, 16)
    assert float(maps[..., ~torch.from_numpy(data.region)].abs().max()) == 0.0  # nothing outside the face
    assert float(one.abs().max()) > 0
    torch.testing.assert_close(two, 2 * one)
    assert float(none.abs().max()) == 0.0


def test_pairs_are_two_rows_of_one_group_and_the_target_has_no_exposure():
    data = _data()
    by = sn.groups_of(data, np.flatnonzero(~data.held))
    assert sorted(by) == ["g0", "g1", "g2"]
    i, j, target = sn.pair_batch(data, by, 50, np.random.default_rng(0))
    assert (i != j).all() and (data.groups[i] == data.groups[j]).all() and not data.held[i].any()
    assert np.abs(np.median(target[:, data.region], axis=1)).max() < 1e-6
    assert np.abs(target[:, ~data.region]).max() == 0.0
    k = 0
    want = data.maps[j[k]].astype(np.float32) - data.maps[i[k]].astype(np.float32)
    want -= np.median(want[data.region])
    np.testing.assert_allclose(target[k], want * data.region, atol=1e-6)


def test_training_lowers_the_loss_and_resumes_where_it_stopped(tmp_path):
    data = _data(rows=24)
    # a change the AUs explain: each row's map is its AU12 times a fixed pattern
    pattern = np.random.default_rng(1).normal(0, 0.05, data.region.shape) * data.region
    data = sn.ShadeData((data.aus[:, 11, None, None] * pattern).astype(np.float16), data.aus, data.groups,
                        data.held, data.region)
    out = tmp_path / "shade.pt"
    losses: list[float] = []

    def log(line: str) -> None:
        if "loss" in line:
            losses.append(float(line.split("loss ")[1].split()[0]))

    cfg = sn.ShadeNetConfig(channels=8, embed=16, steps=500, batch=16, lr=3e-3)
    net = sn.train(data, cfg, out, log=log)
    assert out.is_file() and losses[-1] < losses[0]
    lines: list[str] = []
    sn.train(data, sn.ShadeNetConfig(channels=8, embed=16, steps=500, batch=16, lr=3e-3), out, log=lines.append)
    assert lines == ["  shade net: resumed at step 500"]  # nothing left to do
    assert torch.load(out, weights_only=False)["step"] == 500
    l1, zero = sn.held_out_l1(net, data, pairs=64)
    assert l1 < 0.75 * zero  # the held-out group's changes, from its own AUs (an untrained net: ~1.0)


def test_main_refuses_a_missing_folder(tmp_path):
    from ganimate.errors import GanimateError

    with pytest.raises(GanimateError, match="not found"):
        sn.main([str(tmp_path / "nope"), "--out", str(tmp_path / "x.pt")])
