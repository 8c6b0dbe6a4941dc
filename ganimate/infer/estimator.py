"""The AU estimator: aligned crops -> 17 AU intensities."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES, from_model_scale
from ganimate.errors import GanimateError
from ganimate.infer.backend import open_session, read_model_info
from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, resolve_model
from ganimate.infer.tensors import crops_to_tensor


class AuEstimator:
    def __init__(self, path: Path, backend: str = "auto", device: str = "auto", threads: int = 0):
        info = read_model_info(path)
        if info.kind not in ("au_estimator", "unknown"):
            raise GanimateError(f"{path} is a {info.kind} model, not an AU estimator")
        if info.au_names and tuple(info.au_names) != AU_NAMES:
            raise GanimateError(f"{path} estimates other AUs ({','.join(info.au_names)})")
        self.path = path
        self.info = info
        self.size = info.image_size
        self.session = open_session(path, backend, device, threads)

    @classmethod
    def load(cls, path: Path | None = None, backend: str = "auto", device: str = "auto", threads: int = 0):
        return cls(resolve_model(path, DEFAULT_AU_ESTIMATOR, "AU estimator model"), backend, device, threads)

    def estimate(self, crops: np.ndarray) -> np.ndarray:
        """uint8 NxSxSx3 RGB crops -> float32 (N, 17) intensities 0..5."""
        if len(crops) == 0:
            return np.zeros((0, len(AU_NAMES)), dtype=np.float32)
        out = self.session.run({"image": crops_to_tensor(crops)})
        return from_model_scale(out["aus"])
