import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from ganimate.au.names import AU_NAMES, au_index
from ganimate.errors import GanimateError
from ganimate.training import estimator_train as et
from ganimate.training.estimator_eval import (
    evaluate_estimator,
    expression_check,
    pearson,
    score_predictions,
)
from ganimate.training.estimator_net import (
    EstimatorConfig,
    build_estimator,
    load_estimator,
    save_estimator,
)
from ganimate.training.estimator_train import EstimatorTrainConfig, augment, train_estimator
from ganimate.training.holdout import is_heldout
from ganimate.training.synthetic import write_synthetic_dataset

TINY = EstimatorConfig(image_size=64, internal_size=48, stem_width=8, widths=(16, 24), blocks=(0, 1),
                       head_hidden=32, dropout=0.0)
FAST = EstimatorTrainConfig(batch_size=16, lr=3e-3, warmup_steps=5, log_every=2, val_rows=16, val_seconds=1e9)
HELD_PERSON = "Bill_Clinton"  # the person of a held-out clip, so held out whatever the hash says


def make_dataset(root: Path, n: int = 64) -> Path:
    """Synthetic astronaut crops (learnable AU bands); a quarter are a held-out LFW person, a quarter frames of
    a held-out clip, the rest training photos of one LFW person and UTKFace-style photos."""
    write_synthetic_dataset(root, n=n, size=64, identities=4)
    with open(root / "aus.csv", newline="") as f:
        rows = list(csv.reader(f))
    for i, row in enumerate(rows[1:]):
        kind = i % 4
        if kind == 0:
            row[1:4] = [f"faces/lfw/{HELD_PERSON}/{HELD_PERSON}_{i:04d}.jpg", HELD_PERSON, "-1"]
        elif kind == 1:
            row[1:4] = ["videos/d12.mp4", "d12", str(i)]
        elif kind == 2:
            row[1:4] = [f"faces/lfw/Trainee/Trainee_{i:04d}.jpg", "Trainee", "-1"]
        else:
            row[1:4] = [f"faces/utkface/{i}_0_0.jpg.chip.jpg", f"{i}_0_0.jpg.chip", "-1"]
    with open(root / "aus.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = make_dataset(tmp_path_factory.mktemp("est") / "data")
    assert not is_heldout("Trainee", "faces/lfw/Trainee/Trainee_0002.jpg")
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory, dataset) -> Path:
    return train_estimator(dataset, tmp_path_factory.mktemp("run") / "run", TINY, FAST, max_minutes=None,
                           max_steps=60, device="cpu", progress=False)


def read_log(run: Path) -> list[dict]:
    with open(run / "log.csv", newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------------------------- network


def test_shapes_and_range():
    for cfg in (EstimatorConfig(), TINY):
        net = build_estimator(cfg).eval()
        x = torch.rand(3, 3, cfg.image_size, cfg.image_size) * 2 - 1
        with torch.no_grad():
            y = net(x)
        assert y.shape == (3, len(AU_NAMES)) and y.dtype == torch.float32
        assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    assert EstimatorConfig.from_dict(TINY.to_dict()) == TINY


def test_load_is_frozen_but_differentiable(tmp_path):
    torch.manual_seed(0)
    net = build_estimator(TINY).eval()
    with torch.no_grad():  # outputs inside (0, 1), where the clamp passes gradients, as after training
        net.head[-1].bias.fill_(0.5)
        net.head[-1].weight.mul_(0.01)
    save_estimator(tmp_path / "e.pt", net)
    loaded = load_estimator(tmp_path / "e.pt")
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    x = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_(True)
    y = loaded(x)
    torch.testing.assert_close(y, net(x))
    y[:, au_index("AU12")].sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    with pytest.raises(GanimateError):
        load_estimator(tmp_path / "missing.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(GanimateError):
        load_estimator(tmp_path / "bad.pt")


@pytest.mark.parametrize("head_norm,output", [(False, "sigmoid"), (True, "clamp")])
def test_checkpoints_without_head_fields_still_load(tmp_path, head_norm, output):
    cfg = EstimatorConfig(**{**TINY.to_dict(), "widths": TINY.widths, "blocks": TINY.blocks,
                             "head_norm": head_norm, "output": output})
    net = build_estimator(cfg).eval()
    old = {k: v for k, v in cfg.to_dict().items() if k not in ("head_norm", "output")}
    torch.save({"config": old, "state_dict": net.state_dict()}, tmp_path / "old.pt")
    loaded = load_estimator(tmp_path / "old.pt")
    assert loaded.cfg == cfg
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    torch.testing.assert_close(loaded(x), net(x))


def test_augment_jitters_and_matches_the_network_resize(astronaut):
    import torch.nn.functional as F

    imgs = np.stack([astronaut[100:228, 170:298], astronaut[90:218, 160:288]])  # uint8 2 x 128 x 128 x 3
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 127.5 - 1
    y = augment(imgs, 128, FAST, np.random.default_rng(0))
    assert y.shape == x.shape and float(y.min()) >= -1 and float(y.max()) <= 1
    assert float((y - x).abs().mean()) > 0.02
    torch.testing.assert_close(y, augment(imgs, 128, FAST, np.random.default_rng(0)))
    still = EstimatorTrainConfig(shift=0, scale=0, rotate=0, brightness=0, contrast=0, saturation=0)
    torch.testing.assert_close(augment(imgs, 128, still, np.random.default_rng(0)), x, atol=1e-5, rtol=0)
    # training warps straight to the internal size: the same pixels the network's own resize makes from 128
    for size in (64, 96):
        ref = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        got = augment(imgs, size, still, np.random.default_rng(0))
        assert float((got - ref).abs().mean()) < 0.004  # uint8 rounding; half a pixel off is > 0.006


# ------------------------------------------------------------------------------------------------ training


def test_training_reduces_loss_and_skips_heldout(trained, dataset):
    log = read_log(trained.parent)
    assert int(log[-1]["step"]) == 60
    first = np.mean([float(r["loss"]) for r in log[:3]])
    last = np.mean([float(r["loss"]) for r in log[-3:]])
    assert last < 0.7 * first
    state = torch.load(trained, weights_only=True)
    assert state["stats"]["train_rows"] == 32  # the Trainee and UTKFace halves only
    assert state["step"] == 60 and "optimizer" in state
    assert load_estimator(trained.parent).cfg == TINY


def test_resume_continues_exactly(tmp_path, dataset, monkeypatch):
    kw = dict(cfg=TINY, train_cfg=FAST, max_minutes=None, max_steps=8, device="cpu", progress=False)
    straight = torch.load(train_estimator(dataset, tmp_path / "a", **kw), weights_only=True)

    class StopAfter:  # stands in for Ctrl-C after 3 steps
        def __init__(self):
            self.checks = 0

        @property
        def set(self):
            self.checks += 1
            return self.checks > 3

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(et, "StopFlag", StopAfter)
    half = torch.load(train_estimator(dataset, tmp_path / "b", **kw), weights_only=True)
    assert half["step"] == 3
    monkeypatch.undo()
    with pytest.raises(GanimateError):  # a finished or started run is never overwritten silently
        train_estimator(dataset, tmp_path / "b", **kw)
    resumed = torch.load(train_estimator(dataset, tmp_path / "b", resume=True, **kw), weights_only=True)
    assert resumed["step"] == 8
    for key in ("state_dict", "train_state_dict"):
        for name, value in straight[key].items():
            torch.testing.assert_close(resumed[key][name], value, atol=1e-5, rtol=1e-4)
    assert [r["step"] for r in read_log(tmp_path / "b")] == [r["step"] for r in read_log(tmp_path / "a")]


def test_several_dataset_folders(dataset, trained, tmp_path):
    other = make_dataset(tmp_path / "other", n=16)
    both = et.load_faces([dataset, other], 64, heldout=is_heldout)
    one, two = et.load_faces(dataset, 64, heldout=is_heldout), et.load_faces(other, 64, heldout=is_heldout)
    assert len(both) == len(one) + len(two) == 40
    pos = np.array([39, 0, 33, 5])
    np.testing.assert_array_equal(both.take(pos)[[0, 2]], two.take(pos[[0, 2]] - len(one)))
    np.testing.assert_array_equal(both.take(pos)[[1, 3]], one.take(pos[[1, 3]]))
    np.testing.assert_array_equal(both.aus, np.concatenate([one.aus, two.aus]))
    assert et.heldout_rows(dataset, 5).size == 5 and et.heldout_rows(dataset).size == 32
    ev = evaluate_estimator(trained, [dataset, other])
    assert ev.n_rows == 40 and ev.n_frames == 20


def test_training_needs_a_budget(tmp_path, dataset):
    with pytest.raises(GanimateError):
        train_estimator(dataset, tmp_path / "r", TINY, FAST, max_minutes=None, max_steps=None, device="cpu")
    with pytest.raises(GanimateError):
        train_estimator(dataset, tmp_path / "r", TINY, FAST, max_steps=1, resume=True, device="cpu")


# -------------------------------------------------------------------------------------------------- eval


def test_scores_with_known_answers():
    rng = np.random.default_rng(0)
    labels = rng.uniform(0, 5, (50, 17))
    mean = labels.mean(axis=0)
    perfect, ratio = score_predictions(labels, labels, mean)
    assert ratio == 0 and all(s.mae == 0 and abs(s.r - 1) < 1e-9 for s in perfect)
    trivial, ratio = score_predictions(np.tile(mean, (50, 1)), labels, mean)
    assert abs(ratio - 1) < 1e-9 and all(s.mae == s.baseline_mae and np.isnan(s.r) for s in trivial)
    noisy = labels + rng.normal(0, 0.5, labels.shape)
    scores, _ = score_predictions(noisy, labels, mean, is_frame=np.arange(50) < 20)
    r_all = pearson(noisy, labels)
    for j, s in enumerate(scores):
        assert abs(s.r - np.corrcoef(noisy[:, j], labels[:, j])[0, 1]) < 1e-9 and s.r == r_all[j]
        assert abs(s.r_clips - np.corrcoef(noisy[:20, j], labels[:20, j])[0, 1]) < 1e-9
        assert abs(s.mae - np.abs(noisy[:, j] - labels[:, j]).mean()) < 1e-12
    with pytest.raises(GanimateError):
        score_predictions(labels[:, :5], labels[:, :5], mean[:5])


def test_expression_check():
    pred = np.zeros((4, 17))
    labels = np.zeros((4, 17))
    pred[:2, au_index("AU12")] = 3.0
    labels[0, au_index("AU12")] = 2.0
    sources = ["x/lfw/A/A_0001.jpg", "x/lfw/B/B_0001.jpg", "x/lfw/C/C_0001.jpg", "videos/d12.mp4"]
    expr = {"lfw/A/A_0001.jpg": "happiness", "lfw/B/B_0001.jpg": "happiness", "lfw/C/C_0001.jpg": "neutral"}
    check = expression_check(pred, labels, sources, expr)
    assert (check.n_happy, check.n_neutral) == (2, 1)
    assert check.model_diff["AU12"] == 3.0 and check.label_diff["AU12"] == 1.0 and check.model_diff["AU06"] == 0
    assert expression_check(pred, labels, sources, {}) is None


def test_evaluate_torch_and_onnx_agree(trained, dataset, tmp_path):
    from ganimate.export.estimator import export_estimator

    expr = tmp_path / "expr.csv"
    with open(expr, "w", newline="") as f:
        rows = [["path", "identity", "expression_muxspace"]]
        rows += [[f"lfw/{HELD_PERSON}/{HELD_PERSON}_{i:04d}.jpg", HELD_PERSON, ("happiness", "neutral")[i % 8 == 0]]
                 for i in range(0, 64, 4)]
        csv.writer(f).writerows(rows)
    ev = evaluate_estimator(trained, dataset, expressions=expr)
    assert ev.n_rows == 32 and ev.n_frames == 16
    torch.manual_seed(0)
    save_estimator(tmp_path / "untrained.pt", build_estimator(TINY))
    assert 0 < ev.mae_ratio < evaluate_estimator(tmp_path / "untrained.pt", dataset).mae_ratio
    assert ev.expression is not None and ev.expression.n_happy == 8 and ev.expression.n_neutral == 8
    onnx_path = export_estimator(trained, tmp_path / "est.onnx").path
    ev_onnx = evaluate_estimator(onnx_path, dataset, expressions=expr)
    for a, b in zip(ev.scores, ev_onnx.scores, strict=True):
        assert abs(a.mae - b.mae) < 1e-3 and abs(a.baseline_mae - b.baseline_mae) < 1e-9
    table = ev_onnx.to_markdown()
    assert "| AU12 |" in table and "MAE ratio" in table and "happiness" in table


def test_evaluate_needs_heldout_rows(tmp_path):
    root = write_synthetic_dataset(tmp_path / "d", n=8, size=64)
    net = build_estimator(TINY).eval()
    save_estimator(tmp_path / "e.pt", net)
    with pytest.raises(GanimateError):
        evaluate_estimator(tmp_path / "e.pt", root)


def test_recalibrated_batchnorm_matches_the_data_not_the_raw_weights(dataset):
    from ganimate.training.estimator_train import recalibrate_batchnorm

    data = et.load_faces(dataset, TINY.image_size)
    net = build_estimator(TINY)
    norm = net.features[0][1]
    norm.running_mean.fill_(100.0)  # statistics that belong to some other weights
    recalibrate_batchnorm(net, data, FAST, batches=3, batch_size=8)
    assert float(norm.running_mean.abs().max()) < 10.0 and not net.training


# ------------------------------------------------------------------------------------------------- shut eyes


def test_the_sampler_draws_a_share_of_each_batch_from_the_focus_rows_as_a_function_of_the_step(dataset):
    from ganimate.training.dataset import BatchSampler, FaceDataset

    faces = FaceDataset(dataset, 64, heldout=is_heldout)
    focus = np.array([1, 3])
    sampler = BatchSampler(faces, 8, seed=5, focus=focus, focus_share=0.5)
    plain = BatchSampler(faces, 8, seed=5)
    for step in (0, 3, 7):
        pos = sampler.positions(step)
        assert set(pos[:4]) <= {1, 3}  # half the batch from the focus rows
        np.testing.assert_array_equal(pos[4:], plain.positions(step)[4:])  # the rest the epoch's own
        np.testing.assert_array_equal(pos, BatchSampler(faces, 8, seed=5, focus=focus, focus_share=0.5)
                                      .positions(step))  # a pure function of the step
    np.testing.assert_array_equal(BatchSampler(faces, 8, seed=5, focus=np.array([], np.int64), focus_share=0.5)
                                  .positions(2), plain.positions(2))  # no focus rows: the epoch's own


def test_point_weights_weigh_the_eyelids_and_keep_the_mean():
    from ganimate.face.landmarks import EYELIDS

    w = et.point_weights(68, 4.0)
    assert w.mean() == pytest.approx(1.0)
    assert w[list(EYELIDS)].min() == pytest.approx(4.0 * w[0])
    np.testing.assert_allclose(et.point_weights(68, 1.0), 1.0)
    np.testing.assert_allclose(et.point_weights(5, 4.0), 1.0)  # not the 68-point layout: all alike
    lips = et.point_weights(68, 1.0, 3.0)  # the inner lips weighed, the lids not
    assert lips.mean() == pytest.approx(1.0) and lips[list(et.INNER_LIPS)].min() == pytest.approx(3.0 * lips[0])
    assert lips[list(EYELIDS)].max() == pytest.approx(lips[0])


def test_shut_rows_are_those_read_shut_or_with_narrow_lids():
    from types import SimpleNamespace

    from tests.edit_faces import synthetic_landmarks

    open_lm = synthetic_landmarks()
    shut_lm = open_lm.copy()
    for up, down in ((37, 41), (38, 40), (43, 47), (44, 46)):  # lids together
        mid = (shut_lm[up] + shut_lm[down]) / 2
        shut_lm[up] = shut_lm[down] = mid
    aus = np.zeros((5, 17), np.float32)
    aus[2, au_index("AU45")] = 2.0 / 5.0  # read shut by its label, open by its points
    faces = SimpleNamespace(aus=aus, landmarks=np.stack([open_lm, shut_lm, open_lm, open_lm, open_lm]))
    np.testing.assert_array_equal(et.shut_rows(faces), [1, 2])
    np.testing.assert_array_equal(et.shut_rows(SimpleNamespace(aus=aus, landmarks=None)), [2])


def test_open_rows_are_those_with_wide_inner_lips_and_join_the_shut_ones_as_the_focus():
    from types import SimpleNamespace

    from ganimate.face.landmarks import interocular
    from tests.edit_faces import synthetic_landmarks

    shut_mouth = synthetic_landmarks()
    iod = float(interocular(shut_mouth))
    wide = shut_mouth.copy()
    wide[[65, 66, 67], 1] += 0.2 * iod  # the lower inner lip 0.2 eye distances below the upper
    aus = np.zeros((4, 17), np.float32)
    aus[3, au_index("AU45")] = 2.0 / 5.0
    faces = SimpleNamespace(aus=aus, landmarks=np.stack([shut_mouth, wide, shut_mouth, shut_mouth]))
    np.testing.assert_array_equal(et.open_rows(faces), [1])
    assert len(et.open_rows(SimpleNamespace(aus=aus, landmarks=None))) == 0
    rows, share = et.focus_rows(faces, et.EstimatorTrainConfig(shut_share=0.1, open_share=0.2))
    np.testing.assert_array_equal(rows, [1, 3])
    assert share == pytest.approx(0.3)
    assert et.focus_rows(faces, et.EstimatorTrainConfig()) == (None, 0.0)


def test_a_fine_tune_starts_from_another_runs_weights(trained, dataset, tmp_path):
    start = torch.load(trained, map_location="cpu", weights_only=True)
    out = train_estimator(dataset, tmp_path / "ft", None, FAST, max_minutes=None, max_steps=1, device="cpu",
                          progress=False, init_from=trained)
    tuned = torch.load(out, map_location="cpu", weights_only=True)
    assert tuned["step"] == 1 and tuned["config"] == start["config"]
    moved = [k for k, v in tuned["train_state_dict"].items() if v.dtype.is_floating_point
             and not torch.equal(v, start["state_dict"][k])]
    assert moved  # one step from the other run's weights
    first = next(k for k in tuned["train_state_dict"] if k.endswith("weight"))
    # within a step of them, not a fresh initialisation
    assert (tuned["train_state_dict"][first] - start["state_dict"][first]).abs().max() < 0.05
    with pytest.raises(GanimateError, match="not with resume"):
        train_estimator(dataset, tmp_path / "ft", None, FAST, max_minutes=None, max_steps=2, device="cpu",
                        progress=False, resume=True, init_from=trained)
