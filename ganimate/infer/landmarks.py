"""The landmark estimator: aligned crops -> OpenFace's 68 points."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.infer.backend import open_model
from ganimate.infer.models import DEFAULT_LANDMARKS, resolve_model
from ganimate.infer.tensors import crops_to_tensor


class LandmarkEstimator:
    def __init__(self, path: Path, backend: str = "auto", device: str = "auto", threads: int = 0,
                 precision: str = "auto", hint: str = "LATENCY"):
        info, self.session = open_model(path, "landmarks", "a landmark estimator", backend, device, threads,
                                        precision, hint)
        self.path = path
        self.size = info.image_size

    @classmethod
    def load(cls, path: Path | None = None, backend: str = "auto", device: str = "auto", threads: int = 0,
             precision: str = "auto", hint: str = "LATENCY"):
        return cls(resolve_model(path, DEFAULT_LANDMARKS, "landmark model"), backend, device, threads, precision,
                   hint)

    def locate(self, crops: np.ndarray) -> np.ndarray:
        """uint8 NxSxSx3 RGB crops -> float32 (N, 68, 2) landmarks in crop px (pixel centres at integers)."""
        if len(crops) == 0:
            return np.zeros((0, 68, 2), dtype=np.float32)
        out = self.session.run({"image": crops_to_tensor(crops)})
        return (np.asarray(out["landmarks"], np.float32) * crops.shape[1] - 0.5).astype(np.float32)
