"""Face detection with facenet-pytorch's MTCNN (boxes + 5 landmarks).

torch is imported here, lazily, when a detector is built: the rest of the runtime runs without it.
MTCNN's weights ship inside the facenet-pytorch package, so nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ganimate.config import DetectConfig
from ganimate.errors import GanimateError
from ganimate.face.types import Face

ONET_INPUT_SIZE = 48  # O-Net (MTCNN's last stage) takes 48 x 48 RGB patches


def check_frame(frame: np.ndarray) -> np.ndarray:
    """The frame itself if it is uint8 HxWx3; raises GanimateError otherwise."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", type(frame).__name__)
        raise GanimateError(f"face detection needs uint8 HxWx3 RGB frames, got {dtype} {shape}")
    return frame


def downscale_factor(shape: tuple[int, ...], max_side: int) -> float:
    """Scale (<= 1) that brings a frame's longer side down to max_side; 1.0 when max_side is 0."""
    longest = max(shape[:2])
    return 1.0 if max_side <= 0 or longest <= max_side else max_side / longest


class FaceDetector:
    """Full-frame MTCNN detection. Build once per command; not thread-safe."""

    def __init__(self, config: DetectConfig | None = None):
        import torch
        from facenet_pytorch import MTCNN

        config = config or DetectConfig()
        if config.threads > 0 and config.device == "cpu":
            torch.set_num_threads(config.threads)
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
        for frame in frames:
            check_frame(frame)
        if any(f.shape != frames[0].shape for f in frames):
            raise GanimateError("face detection batch: all frames must have the same size")
        scale = downscale_factor(frames[0].shape, self.config.max_side)
        if scale < 1.0:
            import cv2

            h, w = frames[0].shape[:2]
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
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
                            box=np.asarray(box, dtype=np.float32) / scale,
                            landmarks=np.asarray(lm, dtype=np.float32).reshape(5, 2) / scale,
                            score=float(score),
                        )
                    )
            faces.sort(key=lambda f: -f.score)
            out.append(faces)
        return out

    def run_onet(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """MTCNN's last stage alone on ready-cut patches (see ganimate.face.refine).

        patches: float32 N x 3 x 48 x 48, RGB normalised to about [-1, 1] as (v - 127.5) / 128.
        Returns float32 (box_reg N x 4, landmarks N x 10 [5 x then 5 y, as fractions of the patch],
        face_prob N).
        """
        if patches.ndim != 4 or patches.shape[1:] != (3, ONET_INPUT_SIZE, ONET_INPUT_SIZE):
            raise ValueError(f"O-Net needs N x 3 x 48 x 48 patches, got {patches.shape}")
        torch = self._torch
        onet = self.mtcnn.onet
        x = torch.as_tensor(np.ascontiguousarray(patches, dtype=np.float32), device=self.mtcnn.device)
        with torch.inference_mode():
            reg, lm, prob = onet(x)
        return (
            reg.float().cpu().numpy(),
            lm.float().cpu().numpy(),
            prob[:, 1].float().cpu().numpy(),
        )
