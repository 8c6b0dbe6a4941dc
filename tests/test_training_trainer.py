"""GANimation training: config loading, schedule, a tiny run's outputs, exact resume, judge, bf16, DDP."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from PIL import Image

from ganimate.errors import GanimateError
from ganimate.training import trainer as T
from ganimate.training.checkpoint import load_checkpoint
from ganimate.training.config import (
    PRESETS,
    LossConfig,
    TrainConfig,
    config_from_dict,
    config_to_dict,
    load_config,
)
from ganimate.training.synthetic import write_synthetic_dataset

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = write_synthetic_dataset(tmp_path_factory.mktemp("gan") / "ds", n=32, size=32)
    from ganimate.training.dataset import FaceDataset

    FaceDataset(root, 32)  # build the cache once for all tests
    return root


def tiny(**optim) -> TrainConfig:
    cfg = PRESETS["tiny"]
    return replace(cfg, optim=replace(cfg.optim, **optim))


def read_log(out):
    with open(out / "losses.csv", newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------------------------ config


def test_presets_and_paper_defaults():
    paper = load_config("paper")
    assert paper == replace(TrainConfig(), preset="paper")
    assert (paper.model.ngf, paper.model.ndf, paper.optim.batch_size, paper.optim.critic_steps) == (64, 64, 25, 5)
    assert (paper.loss.lambda_gp, paper.loss.lambda_au, paper.loss.lambda_cycle) == (10, 160, 10)
    assert paper.loss.lambda_judge == 0 and paper.precision == "fp32"
    cpu = PRESETS["cpu"]
    assert cpu.model.image_size < paper.model.image_size and cpu.model.ngf < paper.model.ngf
    assert cpu.precision == "bf16" and cpu.loss.lambda_judge > 0
    with pytest.raises(GanimateError, match="judge_checkpoint"):
        load_config("cpu")
    assert load_config("cpu", overrides={"loss.judge_checkpoint": "e.pt"}).preset == "cpu"


def test_overrides_and_toml(tmp_path):
    cfg = load_config("tiny", overrides={"optim.lr": "2e-4", "optim.max_steps": "none", "optim.flip": "false",
                                         "precision": "bf16", "model.res_blocks": "3"})
    assert cfg.optim.lr == 2e-4 and cfg.optim.max_steps is None and cfg.optim.flip is False
    assert cfg.precision == "bf16" and cfg.model.res_blocks == 3 and cfg.preset == "tiny"
    toml = tmp_path / "run.toml"
    toml.write_text('precision = "bf16"\n[optim]\nlr = 3e-4\nbatch_size = 2\n[loss]\nlambda_cycle = 5\n')
    cfg = load_config("tiny", toml, {"optim.batch_size": "3"})
    assert (cfg.optim.lr, cfg.optim.batch_size, cfg.loss.lambda_cycle) == (3e-4, 3, 5.0)
    assert isinstance(cfg.loss.lambda_cycle, float)


@pytest.mark.parametrize("overrides", [{"optim.nope": "1"}, {"bogus": "1"}, {"optim.lr": "fast"},
                                       {"optim.flip": "maybe"}, {"precision": "fp8"}, {"optim": "1"},
                                       {"model.image_size": "50"}, {"model.upsample": "bicubic"},
                                       {"loss.judge_jitter": "0.7"}, {"loss.judge_blur": "-1"}])
def test_bad_overrides_raise(overrides):
    with pytest.raises(GanimateError):
        load_config("tiny", overrides=overrides)


def test_bad_toml_raises(tmp_path):
    (tmp_path / "a.toml").write_text("[optim]\nunknown = 1\n")
    with pytest.raises(GanimateError, match="optim.unknown"):
        load_config("tiny", tmp_path / "a.toml")
    (tmp_path / "b.toml").write_text("[optim]\nlr = [1, 2]\n")
    with pytest.raises(GanimateError):
        load_config("tiny", tmp_path / "b.toml")
    with pytest.raises(GanimateError):
        load_config("tiny", tmp_path / "missing.toml")
    with pytest.raises(GanimateError):
        load_config("huge")


def test_config_dict_round_trip():
    cfg = load_config("cpu", overrides={"loss.judge_checkpoint": "e.pt"})
    assert config_from_dict(config_to_dict(cfg)) == cfg


def test_schedule_and_lr_decay():
    cfg = load_config("paper")
    total, decay = T.schedule(cfg, steps_per_epoch=100)
    assert (total, decay) == (3000, 1000)
    assert T.lr_factor(0, total, decay) == 1.0 and T.lr_factor(2000, total, decay) == 1.0
    assert T.lr_factor(2500, total, decay) == pytest.approx(0.5)
    assert T.lr_factor(2999, total, decay) == pytest.approx(0.001)
    assert T.schedule(tiny(max_steps=30), 100) == (30, 10)


# ------------------------------------------------------------------------------------------------- train


def test_tiny_run_writes_everything(data, tmp_path):
    out = tmp_path / "run"
    cfg = replace(tiny(max_steps=6), sample_every=3, checkpoint_every=4, log_every=2)
    path = T.train(cfg, data, out, resume=False, device="cpu", progress=False)
    assert path == out / "checkpoint.pt"
    state = load_checkpoint(path)
    assert state["step"] == 6 and state["config"]["preset"] == "tiny"
    assert {"generator", "critic", "opt_g", "opt_d", "rng", "stats", "epoch"} <= set(state)
    assert set(state["rng"]) >= {"python", "numpy", "torch"}
    rows = read_log(out)
    assert [int(r["step"]) for r in rows] == [2, 4, 6]
    for r in rows:
        for key in ("d_wgan", "d_gp", "d_au_real", "g_cycle", "g_adv", "attention_mean", "img_per_s"):
            assert np.isfinite(float(r[key])), key
    assert json.loads((out / "stats.json").read_text())["step"] == 6
    grids = sorted((out / "samples").glob("step_*.png"))
    assert [g.name for g in grids] == ["step_000003.png", "step_000006.png"]
    grid = np.asarray(Image.open(grids[0]))
    assert grid.shape == (2 * 32, (1 + 2 * 5) * 32, 3)
    with pytest.raises(GanimateError, match="resume"):
        T.train(cfg, data, out, resume=False, device="cpu", progress=False)


def test_critic_au_loss_falls(data, tmp_path):
    from ganimate.training.dataset import FaceDataset

    cfg = replace(tiny(max_steps=4, au_warmup_steps=120, lr=2e-3, batch_size=8), log_every=20)
    T.train(cfg, data, tmp_path / "run", device="cpu", progress=False)
    rows = read_log(tmp_path / "run")
    au = [float(r["d_au_real"]) for r in rows]
    assert len(au) == 7 and all(np.isfinite(au))
    assert all(np.isfinite(float(rows[-1][k])) for k in ("d_wgan", "d_gp", "g_cycle"))
    # Below the label variance: the critic reads the AUs from the pixels, not just their mean.
    variance = FaceDataset(data, 32).aus.var(axis=0).mean()
    assert au[5] < 0.3 * au[0] and au[5] < 0.5 * variance, (au, variance)


def test_interrupt_then_resume_is_exact(data, tmp_path):
    cfg = replace(tiny(max_steps=6, critic_steps=2), log_every=1)
    straight = T.train(cfg, data, tmp_path / "a", device="cpu", progress=False)

    # A real SIGINT during the third step, in a child process: signals sent to the test process itself
    # can land on threads left by other tests (OpenVINO, decoders) and crash it.
    child = f"""
import os, signal
from dataclasses import replace
from pathlib import Path
import torch
import ganimate.training.trainer as T
from ganimate.training.config import config_from_dict
torch.set_num_threads({torch.get_num_threads()})  # same summation order as this process
cfg = config_from_dict({config_to_dict(cfg)!r})
real_step = T.critic_step
calls = {{"n": 0}}
def interrupted(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == 3:
        os.kill(os.getpid(), signal.SIGINT)
    return real_step(*args, **kwargs)
T.critic_step = interrupted
T.train(cfg, Path({str(data)!r}), Path({str(tmp_path / "b")!r}), device="cpu", progress=False)
"""
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    part = tmp_path / "b" / "checkpoint.pt"
    assert load_checkpoint(part)["step"] == 3
    resumed = T.train(cfg, data, tmp_path / "b", resume=True, device="cpu", progress=False)

    a, b = load_checkpoint(straight), load_checkpoint(resumed)
    assert b["step"] == 6
    for net in ("generator", "critic"):
        for key, value in a[net].items():
            assert torch.allclose(value, b[net][key], rtol=0, atol=1e-6), (net, key)
    assert [r["step"] for r in read_log(tmp_path / "b")] == [str(s) for s in range(1, 7)]
    # A model-shape change cannot resume.
    bigger = replace(cfg, model=replace(cfg.model, ngf=16))
    with pytest.raises(GanimateError, match="model"):
        T.train(bigger, data, tmp_path / "b", resume=True, device="cpu", progress=False)


def test_judge_module(data, tmp_path):
    torch.manual_seed(0)
    judge = torch.nn.Sequential(torch.nn.Conv2d(3, 17, 32), torch.nn.Flatten(), torch.nn.Sigmoid())
    before = [p.clone() for p in judge.parameters()]
    cfg = replace(tiny(max_steps=4), loss=LossConfig(lambda_judge=10.0), log_every=2)
    T.train(cfg, data, tmp_path / "run", device="cpu", progress=False, judge=judge)
    rows = read_log(tmp_path / "run")
    assert all(np.isfinite(float(r["g_judge"])) for r in rows)
    assert all(torch.equal(p, q) for p, q in zip(before, judge.parameters(), strict=True))
    assert load_checkpoint(tmp_path / "run")["config"]["loss"]["lambda_judge"] == 10.0


def test_resize_generator_with_jittered_judge_trains(data, tmp_path):
    torch.manual_seed(0)
    judge = torch.nn.Sequential(torch.nn.Conv2d(3, 17, 32), torch.nn.Flatten(), torch.nn.Sigmoid())
    base = tiny(max_steps=2)
    cfg = replace(base, model=replace(base.model, upsample="resize"),
                  loss=LossConfig(lambda_judge=10.0, judge_jitter=0.05, judge_blur=1.0), log_every=1)
    T.train(cfg, data, tmp_path / "run", device="cpu", progress=False, judge=judge)
    rows = read_log(tmp_path / "run")
    judged = [float(r["g_judge"]) for r in rows if r["g_judge"]]
    assert len(rows) == 2 and judged and all(np.isfinite(judged))
    state = load_checkpoint(tmp_path / "run")
    assert state["config"]["model"]["upsample"] == "resize" and state["config"]["loss"]["judge_jitter"] == 0.05
    assert not any("ConvTranspose" in k for k in state["generator"])  # resize convs are plain Conv2d weights
    assert any(k.endswith(".weight") and v.shape[-1] == 3 and v.shape[0] == v.shape[1] // 2
               for k, v in state["generator"].items())


@pytest.mark.parametrize(("precision", "native"), [("bf16", True), ("bf16", False), ("fp16", True)])
def test_low_precision(data, tmp_path, monkeypatch, precision, native):
    # Emulated bf16 (no AVX512-BF16/AMX) is ~100x slower than fp32, so the trainer falls back to fp32 there.
    monkeypatch.setattr(T, "cpu_has_fast", lambda p: native)
    cfg = replace(tiny(max_steps=2, critic_steps=1, batch_size=2), precision=precision, log_every=1)
    T.train(cfg, data, tmp_path / "run", device="cpu", progress=False)
    rows = read_log(tmp_path / "run")
    # fp16: GradScaler starts at 2**16 and skips the first steps if their scaled gradients overflow.
    checked = rows[-1:] if precision == "fp16" else rows
    assert all(np.isfinite(float(r[k])) for r in checked for k in ("d_gp", "d_wgan", "g_cycle", "g_au_fake"))
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    assert stats["precision"] == (precision if native else "fp32")
    state = load_checkpoint(tmp_path / "run")
    assert state["config"]["precision"] == precision
    assert bool(state["scaler_d"]) == (precision == "fp16")  # GradScaler only for fp16


def test_judge_from_estimator_checkpoint(data, tmp_path):
    """The configured judge is loaded with the AU-estimator API (estimator_net.load_estimator)."""
    estimator_net = pytest.importorskip("ganimate.training.estimator_net")
    cfg = estimator_net.EstimatorConfig(image_size=32, internal_size=32, stem_width=4, widths=(8,), blocks=(0,),
                                        head_hidden=8)
    path = tmp_path / "estimator.pt"
    estimator_net.save_estimator(path, estimator_net.build_estimator(cfg))
    config = load_config("tiny", overrides={"loss.lambda_judge": "5", "loss.judge_checkpoint": str(path),
                                            "optim.max_steps": "2", "optim.critic_steps": "1", "log_every": "2"})
    T.train(config, data, tmp_path / "run", device="cpu", progress=False)
    assert np.isfinite(float(read_log(tmp_path / "run")[0]["g_judge"]))
    assert load_checkpoint(tmp_path / "run")["config"]["loss"]["judge_checkpoint"] == str(path)


# --------------------------------------------------------------------------------------------------- ddp


def _ddp_worker(rank: int, world: int, data, out, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    built = {}
    original = T.build_models

    def keep(*args, **kwargs):
        built["m"] = original(*args, **kwargs)
        return built["m"]

    T.build_models = keep
    T.train(replace(tiny(max_steps=2, critic_steps=1), log_every=1), data, out, device="cpu", progress=False)
    torch.save(built["m"].g.state_dict(), out / f"rank{rank}.pt")


@pytest.mark.slow  # ~20 s on the shared 2-core machine, mostly two fresh `import torch`
def test_ddp_two_processes_gloo(data, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "run"
    out.mkdir()
    mp.spawn(_ddp_worker, args=(2, data, out, port), nprocs=2, join=True)
    assert load_checkpoint(out)["step"] == 2
    assert len(read_log(out)) == 2  # one writer: rank 0
    g0, g1 = torch.load(out / "rank0.pt"), torch.load(out / "rank1.pt")
    fresh = T.Generator.from_config(PRESETS["tiny"].model).state_dict()
    for key in g0:
        assert torch.equal(g0[key], g1[key]), key  # gradients were averaged: ranks stay identical
    assert any(not torch.equal(g0[k], fresh[k]) for k in g0)  # and they did train
