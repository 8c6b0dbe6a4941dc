"""Cheap per-frame face refinement: MTCNN's last stage (O-Net) on a tracked box.

A full MTCNN detection scans an image pyramid with P-Net and R-Net before O-Net sees a handful of
candidates. Between full detections a tracked face barely moves, so O-Net alone on a square patch
around the previous box gives a new box, 5 landmarks and a face score at a small fraction of the cost.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.detect import ONET_INPUT_SIZE, FaceDetector
from ganimate.face.types import Face

DEFAULT_EXPAND = 1.0  # patch side / longer box side; O-Net was trained on tight boxes, wider ones score worse
RECENTRE_SHIFT = 0.08  # box centre moved more than this fraction of the patch: look again, centred


def square_patches(boxes: np.ndarray, expand: float = DEFAULT_EXPAND) -> np.ndarray:
    """Integer square patches around boxes, as O-Net expects (MTCNN squares its candidates).

    boxes: float (N, 4) x1, y1, x2, y2 frame px. Returns int64 (N, 3): x0, y0, side (side >= 1),
    the patch covering pixel columns x0 .. x0 + side - 1 and rows y0 .. y0 + side - 1.
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    cx, cy = (b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0
    side = np.maximum(np.rint(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * expand), 1.0)
    x0 = np.rint(cx - side / 2.0)
    y0 = np.rint(cy - side / 2.0)
    return np.stack([x0, y0, side], axis=1).astype(np.int64)


def cut_patches(frame: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """O-Net input: float32 N x 3 x 48 x 48, (v - 127.5) / 128 of the RGB patches.

    frame: uint8 HxWx3 RGB. squares: int (N, 3) from square_patches. Parts of a patch outside the
    frame are black (0), as in the original MTCNN, so the face keeps its aspect ratio near the edge.
    """
    h, w = frame.shape[:2]
    out = np.empty((len(squares), 3, ONET_INPUT_SIZE, ONET_INPUT_SIZE), dtype=np.float32)
    for i, (x0, y0, side) in enumerate(np.asarray(squares, dtype=np.int64)):
        patch = np.zeros((side, side, 3), dtype=np.uint8)
        fx0, fy0 = max(x0, 0), max(y0, 0)
        fx1, fy1 = min(x0 + side, w), min(y0 + side, h)
        if fx1 > fx0 and fy1 > fy0:
            patch[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0] = frame[fy0:fy1, fx0:fx1]
        interp = cv2.INTER_AREA if side > ONET_INPUT_SIZE else cv2.INTER_LINEAR
        small = cv2.resize(patch, (ONET_INPUT_SIZE, ONET_INPUT_SIZE), interpolation=interp)
        out[i] = (small.transpose(2, 0, 1).astype(np.float32) - 127.5) * (1.0 / 128.0)
    return out


def decode_onet(
    squares: np.ndarray, box_reg: np.ndarray, landmarks: np.ndarray, prob: np.ndarray
) -> list[Face]:
    """Faces in frame px from O-Net outputs on the given patches.

    squares: int (N, 3) x0, y0, side. box_reg: float (N, 4) edge offsets as fractions of the side.
    landmarks: float (N, 10), 5 x then 5 y, fractions of the side from the patch origin. prob: float (N,).
    """
    sq = np.asarray(squares, dtype=np.float64)
    x0, y0, side = sq[:, 0:1], sq[:, 1:2], sq[:, 2:3]
    # the patch as a box in MTCNN's convention: x2 = x1 + side - 1, edges move by reg * side
    base = np.concatenate([x0, y0, x0 + side - 1, y0 + side - 1], axis=1)
    boxes = base + np.asarray(box_reg, dtype=np.float64) * side
    lm = np.asarray(landmarks, dtype=np.float64)
    pts = np.stack([x0 + lm[:, :5] * side, y0 + lm[:, 5:] * side], axis=2)
    return [
        Face(box=boxes[i].astype(np.float32), landmarks=pts[i].astype(np.float32), score=float(prob[i]))
        for i in range(len(sq))
    ]


class OnetRefiner:
    """Refines tracked faces with the detector's O-Net; shares its weights and device."""

    def __init__(self, detector: FaceDetector, expand: float = DEFAULT_EXPAND):
        self.detector = detector
        self.expand = expand

    def refine(self, frame: np.ndarray, boxes: np.ndarray) -> list[Face]:
        """One Face per box (same order), scored by O-Net; the caller decides what score is a face.

        frame: uint8 HxWx3 RGB. boxes: float (N, 4) x1, y1, x2, y2 where the faces were last seen.
        """
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if len(boxes) == 0:
            return []
        faces = self._run(frame, boxes)
        # a fast-moving face sits off-centre in the patch, where O-Net is less accurate: one more pass
        # on the faces whose box moved far, centred on where it was just found
        moved = [i for i, f in enumerate(faces) if _centre_shift(boxes[i], f.box) > RECENTRE_SHIFT]
        if moved:
            again = self._run(frame, np.stack([faces[i].box for i in moved]))
            for i, face in zip(moved, again, strict=True):
                faces[i] = face
        return faces

    def _run(self, frame: np.ndarray, boxes: np.ndarray) -> list[Face]:
        squares = square_patches(boxes, self.expand)
        reg, lm, prob = self.detector.run_onet(cut_patches(frame, squares))
        return decode_onet(squares, reg, lm, prob)


def _centre_shift(box_a: np.ndarray, box_b: np.ndarray) -> float:
    """Distance between two boxes' centres over the longer side of box_a."""
    a, b = np.asarray(box_a, dtype=np.float64), np.asarray(box_b, dtype=np.float64)
    d = np.hypot((a[0] + a[2] - b[0] - b[2]) / 2.0, (a[1] + a[3] - b[1] - b[3]) / 2.0)
    return float(d / max(a[2] - a[0], a[3] - a[1], 1e-6))
