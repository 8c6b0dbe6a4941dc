"""One-file GANimation training checkpoints (RUN/checkpoint.pt), written atomically.

Contents (a dict saved with torch.save): format, generator, critic, opt_g, opt_d, scaler_g, scaler_d
(state_dicts), step, epoch, rng (python, numpy, torch, cuda), config (dataclasses.asdict of TrainConfig),
stats (images seen, seconds trained, latest losses).
"""

from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganimate.atomic import atomic_output
from ganimate.errors import GanimateError

from .config import ModelConfig, TrainConfig, config_from_dict
from .networks import Generator

FORMAT = "ganimate-gan/1"
CHECKPOINT_NAME = "checkpoint.pt"


def save_checkpoint(path: Path, state: dict[str, Any]) -> Path:
    """Write state to path through a temp file and a rename (never a half-written checkpoint)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
    return path


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by save_checkpoint; anything else -> GanimateError."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise GanimateError(f"checkpoint not found: {path}")
    try:
        # weights_only=False: the file holds numpy RNG state; only load checkpoints you trust (your own runs).
        state = torch.load(path, map_location=map_location, weights_only=False)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise GanimateError(f"cannot read checkpoint {path}: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        if isinstance(state, dict) and str(state.get("format", "")).startswith("ganimate-au-estimator"):
            raise GanimateError(f"{path} is an AU estimator checkpoint, not a GAN's: export it with "
                                "`ganimate export --estimator`")
        raise GanimateError(f"{path} is not a ganimate GAN checkpoint")
    return state


def rng_state() -> dict[str, Any]:
    """The python, numpy and torch (CPU and CUDA) global RNG states."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def build_generator(model: ModelConfig) -> torch.nn.Module:
    """A fresh generator of the config's kind: GANimation's, or the warping one."""
    if model.kind == "warp":
        from .warp_networks import WarpGenerator

        return WarpGenerator(ngf=model.ngf, res_blocks=model.generator_res_blocks, max_flow=model.max_flow,
                             internal_size=model.internal_size, image_size=model.image_size,
                             flow_level=model.flow_level)
    return Generator.from_config(model)


def load_generator(path: Path, device: str | torch.device = "cpu") -> tuple[Generator, TrainConfig, dict[str, Any]]:
    """Generator in eval mode from a training checkpoint, with its TrainConfig and {'step', 'stats'}."""
    state = load_checkpoint(path, map_location=device)
    config = config_from_dict(state["config"])
    model = build_generator(config.model).to(device)
    model.load_state_dict(state["generator"])
    model.eval()
    return model, config, {"step": int(state["step"]), "stats": state.get("stats", {})}


def refine_warp_flow(state: dict[str, Any], flow_level: int) -> dict[str, Any]:
    """A warp-generator checkpoint state converted to another (finer) flow_level, ready to be resumed.

    Every generator tensor whose name and shape match is kept; the per-AU flow fields (`au_flow`) are resized
    bilinearly to the new flow side (the same linear motion, on finer cells); the flow head's last conv is
    zeroed, so at first the face-dependent part of the flow is nil and the linear field carries the motion
    (its first block, whose input width changes with the level, keeps a fresh init where the shapes differ).
    The Adam state is kept for the tensors that were kept as they are and dropped for the others (Adam starts
    theirs afresh); step, RNG and stats are kept, the config's model.flow_level is changed.
    """
    from dataclasses import replace

    from .config import config_to_dict

    config = config_from_dict(state["config"])
    if config.model.kind != "warp":
        raise GanimateError("refine_warp_flow needs a warp-generator checkpoint")
    new_config = replace(config, model=replace(config.model, flow_level=flow_level))
    torch.manual_seed(0)  # the fresh tensors' init: the same conversion gives the same file
    g = build_generator(new_config.model)
    old = state["generator"]
    fresh = g.state_dict()
    kept: set[str] = set()
    out: dict[str, torch.Tensor] = {}
    for name, value in fresh.items():
        if name in old and old[name].shape == value.shape:
            out[name] = old[name].clone()
            kept.add(name)
        else:
            out[name] = value.clone()
    if "au_flow" in old:
        side = fresh["au_flow"].shape[-1]
        out["au_flow"] = torch.nn.functional.interpolate(old["au_flow"].float(), size=(side, side), mode="bilinear",
                                                         align_corners=False).to(fresh["au_flow"].dtype)
    last = max(int(n.split(".")[1]) for n in fresh if n.startswith("flow_head."))
    for name in (f"flow_head.{last}.weight", f"flow_head.{last}.bias"):
        out[name] = torch.zeros_like(fresh[name])
    kept -= {"au_flow", f"flow_head.{last}.weight", f"flow_head.{last}.bias"}
    g.load_state_dict(out)  # the converted tensors fit the new network
    new_state = {k: v for k, v in state.items() if k not in ("generator", "opt_g", "config")}
    new_state["generator"] = out
    new_state["config"] = config_to_dict(new_config)
    if "opt_g" in state:
        new_state["opt_g"] = _filter_adam(state["opt_g"], g, set(old), kept)
    return new_state


def _filter_adam(opt_state: dict[str, Any], g: torch.nn.Module, old_names: set[str],
                 kept: set[str]) -> dict[str, Any]:
    """The warp trainer's Adam state (groups: every parameter but au_flow, then au_flow, in registration
    order) with the moments of the parameters not in kept dropped. The networks of two flow levels have the
    same parameter names in the same order, so the indices stay."""
    names = [n for n, _ in g.named_parameters()]
    if set(names) != old_names:
        raise GanimateError("cannot convert the optimiser state: the parameter names differ")
    order = [n for n in names if n != "au_flow"] + [n for n in names if n == "au_flow"]
    if sum(len(gr["params"]) for gr in opt_state["param_groups"]) != len(order):
        raise GanimateError("cannot convert the optimiser state: it does not match the warp generator")
    state = {i: s for i, s in opt_state["state"].items() if order[int(i)] in kept}
    return {"state": state, "param_groups": [dict(gr) for gr in opt_state["param_groups"]]}
