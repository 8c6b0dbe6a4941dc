"""The AU estimator: aligned crops -> 17 AU intensities."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES, from_model_scale
from ganimate.infer.backend import open_model
from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, resolve_model
from ganimate.infer.tensors import crops_to_tensor


class AuEstimator:
    def __init__(self, path: Path, backend: str = "auto", device: str = "auto", threads: int = 0,
                 precision: str = "auto", hint: str = "LATENCY"):
        info, self.session = open_model(path, "au_estimator", "an AU estimator", backend, device, threads,
                                        precision, hint)
        self.path = path
        self.info = info
        self.size = info.image_size

    @classmethod
    def load(cls, path: Path | None = None, backend: str = "auto", device: str = "auto", threads: int = 0,
             precision: str = "auto", hint: str = "LATENCY"):
        return cls(resolve_model(path, DEFAULT_AU_ESTIMATOR, "AU estimator model"), backend, device, threads,
                   precision, hint)

    def estimate(self, crops: np.ndarray) -> np.ndarray:
        """uint8 NxSxSx3 RGB crops -> float32 (N, 17) intensities 0..5."""
        if len(crops) == 0:
            return np.zeros((0, len(AU_NAMES)), dtype=np.float32)
        out = self.session.run({"image": crops_to_tensor(crops)})
        return from_model_scale(out["aus"])
