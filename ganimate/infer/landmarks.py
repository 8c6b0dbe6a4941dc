"""The landmark estimator: aligned crops -> OpenFace's 68 points, the mouth read again by the mouth reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.face.landmarks import flip_landmarks
from ganimate.infer.backend import open_model
from ganimate.infer.models import DEFAULT_LANDMARKS, DEFAULT_MOUTH_POINTS, resolve_model
from ganimate.infer.mouth_points import MouthReader
from ganimate.infer.tensors import crops_to_tensor


class LandmarkEstimator:
    def __init__(self, path: Path, backend: str = "auto", device: str = "auto", threads: int = 0,
                 precision: str = "auto", hint: str = "LATENCY", mouth: Path | None = None):
        info, self.session = open_model(path, "landmarks", "a landmark estimator", backend, device, threads,
                                        precision, hint)
        self.path = path
        self.size = info.image_size
        # the mouth reader (infer/mouth_points.py); None: the landmark model's own mouth
        self.mouth = None if mouth is None else MouthReader(mouth, backend, device, threads, precision, hint)

    @classmethod
    def load(cls, path: Path | None = None, backend: str = "auto", device: str = "auto", threads: int = 0,
             precision: str = "auto", hint: str = "LATENCY", mouth: Path | bool = True):
        """mouth: True the shipped mouth reader where one is installed, False none, or a mouth reader's file."""
        if mouth is True:
            mouth_path = DEFAULT_MOUTH_POINTS if DEFAULT_MOUTH_POINTS.is_file() else None
        else:
            mouth_path = resolve_model(Path(mouth), DEFAULT_MOUTH_POINTS, "mouth reader") if mouth else None
        return cls(resolve_model(path, DEFAULT_LANDMARKS, "landmark model"), backend, device, threads, precision,
                   hint, mouth_path)

    def locate(self, crops: np.ndarray, mirror: bool = False) -> np.ndarray:
        """uint8 NxSxSx3 RGB crops -> float32 (N, 68, 2) landmarks in crop px (pixel centres at integers).

        mirror: also read the mirrored crops (one model call on 2N crops) and average the two readings, point
        for point; twice the work, and on the 2,786 held-out crops the error falls from 4.07% to 3.88% of the
        interocular distance (the model's left/right biases cancel). With a mouth reader the mouth's points are
        read again from crops cut about them (mirror-averaged too with mirror): the landmark model reads a wide-open
        mouth's inner lips at a third to a half of their gap."""
        if len(crops) == 0:
            return np.zeros((0, 68, 2), dtype=np.float32)
        batch = np.concatenate([crops, crops[:, :, ::-1]]) if mirror else crops
        out = self.session.run({"image": crops_to_tensor(np.ascontiguousarray(batch))})
        points = np.asarray(out["landmarks"], np.float32) * crops.shape[1] - 0.5
        if mirror:
            n = len(crops)
            points = 0.5 * (points[:n] + flip_landmarks(points[n:], crops.shape[2]))
        if self.mouth is not None:
            points = self.mouth.refine(crops, points, mirror)
        return points.astype(np.float32)
