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
