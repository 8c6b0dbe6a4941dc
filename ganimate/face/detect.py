"""Face detection with MTCNN (boxes + 5 landmarks), torch-free.

The three MTCNN nets are facenet-pytorch 2.5.3's weights exported to ONNX (ganimate/models/mtcnn_*.onnx,
`python -m ganimate.export.mtcnn`) and run on the project's backends in f32; the pipeline around them
(ganimate.face.mtcnn) is numpy and follows facenet-pytorch step for step, so detections equal its MTCNN's
(tests/test_face_detect.py measures it where torch is installed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganimate.config import DetectConfig
from ganimate.errors import GanimateError
from ganimate.face import mtcnn
from ganimate.face.types import Face
from ganimate.infer.models import MODELS_DIR

ONET_INPUT_SIZE = 48  # O-Net (MTCNN's last stage) takes 48 x 48 RGB patches
RNET_INPUT_SIZE = 24
MTCNN_FILES = {net: MODELS_DIR / f"mtcnn_{net}.onnx" for net in ("pnet", "rnet", "onet")}


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
    """Full-frame MTCNN detection. Build once per command; threads may share one (the backend sessions
    give each calling thread its own inference request, and detection keeps no state between calls)."""

    def __init__(self, config: DetectConfig | None = None):
        from ganimate.infer.backend import open_session

        config = config or DetectConfig()
        self.config = config
        sessions = {}
        for net, path in MTCNN_FILES.items():
            if not Path(path).is_file():
                raise GanimateError(f"the MTCNN face detector is not installed ({path} is missing)")
            # f32 always: bf16 moves boxes by pixels and flips scores near the thresholds
            # "auto" is OpenVINO on the CPU: faster than onnxruntime for all three nets, P-Net's dynamic
            # pyramid sizes included (bench/detect_speed.py)
            sessions[net] = open_session(path, config.backend, config.device, config.threads, precision="f32")
        self._pnet, self._rnet, self._onet = sessions["pnet"], sessions["rnet"], sessions["onet"]
        self.description = "MTCNN " + ", ".join(f"{n} {s.description}" for n, s in sessions.items())

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
        out: list[list[Face]] = []
        for frame in frames:
            boxes, points = self.mtcnn_boxes(frame)
            faces = [
                Face(box=(boxes[i, :4] / scale).astype(np.float32),
                     landmarks=(points[i] / scale).astype(np.float32), score=float(boxes[i, 4]))
                for i in range(len(boxes)) if float(boxes[i, 4]) >= self.config.min_score
            ]
            faces.sort(key=lambda f: -f.score)
            out.append(faces)
        return out

    def mtcnn_boxes(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """MTCNN on one image as facenet-pytorch's MTCNN.detect(keep_all, score order) returns it.

        image: uint8 HxWx3 RGB (already at detection size). Returns float32 boxes (n, 5) x1, y1, x2, y2,
        score and landmarks (n, 5, 2), image px, highest score first; min_score is not applied.
        """
        cfg, m = self.config, mtcnn
        t_p, t_r, t_o = (float(t) for t in cfg.thresholds)
        h, w = image.shape[:2]
        table = m.integral_image(image)  # every pyramid level and crop is a few look-ups in it
        levels = []
        for s in m.pyramid_scales(h, w, cfg.min_face_size):
            level = m.area_resize_window(table, (0, h, 0, w), *m.scaled_size(h, w, s))
            out = self._pnet.run({"image": level[None]})
            cand = m.pnet_candidates(out["reg"][0], out["prob"][0, 1], s, t_p)
            levels.append(cand[m.nms(cand[:, :4], cand[:, 4], 0.5)])
        none = np.zeros((0, 5), np.float32), np.zeros((0, 5, 2), np.float32)
        boxes = np.concatenate(levels) if levels else np.zeros((0, 9), np.float32)
        if len(boxes) == 0:
            return none
        boxes = boxes[m.nms(boxes[:, :4], boxes[:, 4], 0.7)]
        boxes = m.square(m.pnet_regress(boxes))
        # R-Net: reject and re-fit P-Net's candidates
        patches, ok = m.crop_inputs(table, m.crop_windows(boxes, h, w), RNET_INPUT_SIZE)
        if len(patches) == 0:
            return none
        out = self._rnet.run({"image": patches})
        score = out["prob"][:, 1]
        keep = score > np.float32(t_r)
        boxes = np.concatenate([boxes[ok][keep, :4], score[keep, None]], axis=1)
        reg = out["reg"][keep]
        pick = m.nms(boxes[:, :4], boxes[:, 4], 0.7)
        boxes = m.square(m.regress(boxes[pick], reg[pick]))
        if len(boxes) == 0:
            return none
        # O-Net: final score, box and landmarks
        patches, ok = m.crop_inputs(table, m.crop_windows(boxes, h, w), ONET_INPUT_SIZE)
        if len(patches) == 0:
            return none
        reg, lm, prob = self.run_onet(patches)
        keep = prob > np.float32(t_o)
        boxes = np.concatenate([boxes[ok][keep, :4], prob[keep, None]], axis=1)
        points = m.onet_points(boxes, lm[keep])
        boxes = m.regress(boxes, reg[keep])
        pick = m.nms_min(boxes[:, :4], boxes[:, 4], 0.7)
        return boxes[pick], points[pick]

    def run_onet(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """MTCNN's last stage alone on ready-cut patches (see ganimate.face.refine).

        patches: float32 N x 3 x 48 x 48, RGB normalised to about [-1, 1] as (v - 127.5) / 128.
        Returns float32 (box_reg N x 4, landmarks N x 10 [5 x then 5 y, as fractions of the patch],
        face_prob N).
        """
        if patches.ndim != 4 or patches.shape[1:] != (3, ONET_INPUT_SIZE, ONET_INPUT_SIZE):
            raise ValueError(f"O-Net needs N x 3 x 48 x 48 patches, got {patches.shape}")
        if len(patches) == 0:
            return np.zeros((0, 4), np.float32), np.zeros((0, 10), np.float32), np.zeros(0, np.float32)
        out = self._onet.run({"image": np.ascontiguousarray(patches, dtype=np.float32)})
        return out["reg"], out["landmarks"], out["prob"][:, 1]

