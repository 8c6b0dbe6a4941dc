"""The expression generator: aligned crops + target AUs -> edited crops and attention."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.au.names import N_AUS, to_model_scale
from ganimate.infer.backend import open_model
from ganimate.infer.models import DEFAULT_GENERATOR, resolve_model
from ganimate.infer.tensors import crops_to_tensor, tensor_to_crops


class Generator:
    def __init__(self, path: Path, backend: str = "auto", device: str = "auto", threads: int = 0,
                 precision: str = "auto", hint: str = "LATENCY"):
        info, self.session = open_model(path, "generator", "a generator", backend, device, threads,
                                        precision, hint)
        self.path = path
        self.info = info
        self.size = info.image_size

    @classmethod
    def load(cls, path: Path | None = None, backend: str = "auto", device: str = "auto", threads: int = 0,
             precision: str = "auto", hint: str = "LATENCY"):
        return cls(resolve_model(path, DEFAULT_GENERATOR, "generator model"), backend, device, threads,
                   precision, hint)

    def edit(self, crops: np.ndarray, aus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """crops uint8 NxSxSx3 RGB, aus float (N,17) intensities 0..5 ->
        (edited float32 NxSxSx3 RGB 0..255, attention float32 NxSxS in [0, 1]; 1 = keep the input)."""
        if crops.ndim != 4 or crops.shape[1:] != (self.size, self.size, 3):
            raise ValueError(f"expected N x {self.size} x {self.size} x 3 crops, got {crops.shape}")
        aus = np.asarray(aus, dtype=np.float32).reshape(len(crops), N_AUS)
        out = self.session.run({"image": crops_to_tensor(crops), "aus": to_model_scale(aus)})
        # ONNX value names are unique, so the composited image cannot share the input's name "image":
        # the contract calls it "output" (any output other than "attention" is accepted)
        image = out["output"] if "output" in out else next(v for k, v in out.items() if k != "attention")
        return tensor_to_crops(image), np.asarray(out["attention"], dtype=np.float32)[:, 0]
