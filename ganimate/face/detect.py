"""Face detection with facenet-pytorch's MTCNN (boxes + 5 landmarks).

torch is imported here, lazily, when a detector is built: the rest of the runtime runs without it.
MTCNN's weights ship inside the facenet-pytorch package, so nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ganimate.config import DetectConfig
from ganimate.face.types import Face


class FaceDetector:
    """Full-frame MTCNN detection. Build once per command; not thread-safe."""

    def __init__(self, config: DetectConfig = DetectConfig()):
        import torch
        from facenet_pytorch import MTCNN

        self.config = config
        self._torch = torch
        self.mtcnn = MTCNN(
            min_face_size=config.min_face_size,
            thresholds=list(config.thresholds),
            keep_all=True,
            select_largest=False,  # score order
            post_process=False,
            device=torch.device(config.device),
        )
        self.mtcnn.eval()

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Faces in one frame (uint8 HxWx3 RGB), highest score first."""
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[list[Face]]:
        """Faces in several frames of the same size (uint8 HxWx3 RGB each)."""
        if len(frames) == 0:
            return []
        batch = np.ascontiguousarray(np.stack(frames))
        with self._torch.inference_mode():
            boxes, probs, points = self.mtcnn.detect(batch, landmarks=True)
        out: list[list[Face]] = []
        for b, p, pts in zip(boxes, probs, points, strict=True):
            faces: list[Face] = []
            if b is not None:
                for box, score, lm in zip(b, p, pts, strict=True):
                    if score is None or float(score) < self.config.min_score:
                        continue
                    faces.append(
                        Face(
                            box=np.asarray(box, dtype=np.float32),
                            landmarks=np.asarray(lm, dtype=np.float32).reshape(5, 2),
                            score=float(score),
                        )
                    )
            faces.sort(key=lambda f: -f.score)
            out.append(faces)
        return out
