"""The mouth reader: a face's mouth points read again from the lips' own crop (face/mouth_crop.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganimate.face.mouth_crop import MOUTH, MOUTH_FLIP, cut_mouth, mouth_matrix, to_image
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
        mats = [mouth_matrix(q, self.size) for q in p]
        cut = np.stack([cut_mouth(img, m, self.size) for img, m in zip(images, mats, strict=True)])
        batch = np.concatenate([cut, cut[:, :, ::-1]]) if mirror else cut
        read = np.asarray(self.session.run({"image": crops_to_tensor(np.ascontiguousarray(batch))})["mouth"],
                          np.float64) * self.size - 0.5
        n = len(p)
        if mirror:
            flipped = read[n:][:, list(MOUTH_FLIP)]
            flipped[..., 0] = (self.size - 1) - flipped[..., 0]
            read = 0.5 * (read[:n] + flipped)
        out = p.copy()
        for k, m in enumerate(mats):
            out[k, list(MOUTH)] = to_image(read[k], m)
        return out.astype(np.float32)
