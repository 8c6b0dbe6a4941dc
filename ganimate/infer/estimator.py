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
        self.has_landmarks = info.metadata.get("ganimate.landmarks") == "68"

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

    def read(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """uint8 NxSxSx3 RGB crops -> (float32 (N, 17) intensities 0..5, float32 (N, 68, 2) landmarks in crop
        px, or None when the model has no landmark head). One model call gives both."""
        if len(crops) == 0:
            return np.zeros((0, len(AU_NAMES)), np.float32), (np.zeros((0, 68, 2), np.float32)
                                                              if self.has_landmarks else None)
        out = self.session.run({"image": crops_to_tensor(crops)})
        points = None
        if self.has_landmarks:
            points = (np.asarray(out["landmarks"], np.float32) * crops.shape[1] - 0.5).astype(np.float32)
        return from_model_scale(out["aus"]), points
