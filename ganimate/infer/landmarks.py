"""The landmark estimator: aligned crops -> OpenFace's 68 points."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.face.landmarks import flip_landmarks
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

    def locate(self, crops: np.ndarray, mirror: bool = False) -> np.ndarray:
        """uint8 NxSxSx3 RGB crops -> float32 (N, 68, 2) landmarks in crop px (pixel centres at integers).

        mirror: also read the mirrored crops (one model call on 2N crops) and average the two readings, point
        for point; twice the work, and on the 2,786 held-out crops the error falls from 4.07% to 3.88% of the
        interocular distance (the model's left/right biases cancel)."""
        if len(crops) == 0:
            return np.zeros((0, 68, 2), dtype=np.float32)
        batch = np.concatenate([crops, crops[:, :, ::-1]]) if mirror else crops
        out = self.session.run({"image": crops_to_tensor(np.ascontiguousarray(batch))})
        points = np.asarray(out["landmarks"], np.float32) * crops.shape[1] - 0.5
        if not mirror:
            return points.astype(np.float32)
        n = len(crops)
        return (0.5 * (points[:n] + flip_landmarks(points[n:], crops.shape[2]))).astype(np.float32)
