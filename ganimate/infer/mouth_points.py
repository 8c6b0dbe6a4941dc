"""The mouth reader: a face's mouth points read again from the lips' own crop (face/mouth_crop.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.face.mouth_crop import reread_mouths
from ganimate.infer.backend import open_model
from ganimate.infer.tensors import crops_to_tensor


class MouthReader:
    def __init__(self, path: Path, backend: str = "auto", device: str = "auto", threads: int = 0,
                 precision: str = "auto", hint: str = "LATENCY"):
        info, self.session = open_model(path, "mouth_points", "a mouth reader", backend, device, threads, precision,
                                        hint)
        self.path = path
        self.size = info.image_size

    def refine(self, images: np.ndarray, points: np.ndarray, mirror: bool = False) -> np.ndarray:
        """float32 (N, 68, 2): points (float (N, 68, 2) px of images, uint8 N x H x W x 3 RGB) with the mouth's
        (MOUTH) read again in crops cut about their lips. mirror: the crops and their mirror images read in one
        call and averaged point for point (as LandmarkEstimator.locate's)."""
        p = np.asarray(points, np.float64)
        if len(p) == 0:
            return p.astype(np.float32)
        return reread_mouths(images, p, self.size, self._read, mirror).astype(np.float32)

    def _read(self, crops: np.ndarray) -> np.ndarray:
        """uint8 N x S x S x 3 mouth crops -> float32 (N, 20, 2) points in crop units."""
        return self.session.run({"image": crops_to_tensor(crops)})["mouth"]
