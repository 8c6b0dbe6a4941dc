"""Following faces through a video: periodic full detection, O-Net refinement in between,
short gaps bridged, landmarks smoothed.

One FaceTracker per video; call update() once per frame, in order. Each face keeps a track id
(0, 1, ... in order of first appearance) for as long as it is followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from ganimate.config import TrackConfig
from ganimate.errors import GanimateError
from ganimate.face.detect import FaceDetector, check_frame
from ganimate.face.refine import OnetRefiner
from ganimate.face.smooth import OneEuroFilter, face_size
from ganimate.face.types import Face

Status = Literal["detected", "refined", "bridged"]

THUMB_SIZE = 16  # px; the scene-cut test compares grayscale thumbnails this size (coarse: motion-tolerant)
SCENE_CUT_DIFF = 30.0  # mean abs grey-level difference of thumbnails (0..255) that counts as a cut
REANCHOR_IOU = 0.6  # a refined face overlapping its detection less than this is replaced by it
DUPLICATE_IOU = 0.6  # two tracks overlapping this much follow the same face: the younger one lets go
# while a followed face is missing (bridged), full detection every this many frames rather than every frame:
# a face flickering at the frame's edge otherwise costs a full detection per frame
LOST_DETECT_EVERY = 3


@dataclass(frozen=True)
class TrackedFace:
    """A face in one frame: its track, its (smoothed) box and landmarks, and how it was found.

    status: "detected" (full MTCNN this frame), "refined" (O-Net on the tracked box) or
    "bridged" (not found this frame; the last smoothed face is reused).
    """

    track_id: int
    face: Face
    status: Status


def iou(box_a: np.ndarray, box_b: np.ndarray) -> float:
    """Intersection over union of two float (4,) x1, y1, x2, y2 boxes, in [0, 1]."""
    ax1, ay1, ax2, ay2 = (float(v) for v in box_a)
    bx1, by1, bx2, by2 = (float(v) for v in box_b)
    iw = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    ih = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = iw * ih
    union = max(0.0, ax2 - ax1) * max(0.0, ay2 - ay1) + max(0.0, bx2 - bx1) * max(0.0, by2 - by1) - inter
    return inter / union if union > 0 else 0.0


def match_boxes(
    boxes_a: list[np.ndarray], boxes_b: list[np.ndarray], min_iou: float
) -> list[tuple[int, int]]:
    """Greedy one-to-one matching by IoU, best pairs first: list of (index in a, index in b)."""
    pairs = [
        (iou(a, b), i, j) for i, a in enumerate(boxes_a) for j, b in enumerate(boxes_b)
    ]
    pairs = sorted((p for p in pairs if p[0] >= min_iou), key=lambda p: (-p[0], p[1], p[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((i, j))
    return out


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """Small grayscale version of a uint8 HxWx3 RGB frame: float32 THUMB_SIZE x THUMB_SIZE, 0..255."""
    step = max(1, min(frame.shape[:2]) // (4 * THUMB_SIZE))  # subsample first: area-averaging 1080p costs ms
    grey = cv2.cvtColor(np.ascontiguousarray(frame[::step, ::step]), cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (THUMB_SIZE, THUMB_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)


def is_scene_cut(prev_thumb: np.ndarray | None, thumb: np.ndarray) -> bool:
    """Whether two consecutive thumbnails differ like a cut rather than like motion."""
    return prev_thumb is not None and float(np.abs(thumb - prev_thumb).mean()) > SCENE_CUT_DIFF


@dataclass
class _Track:
    track_id: int
    box: np.ndarray  # raw (unsmoothed) box where the face was last found: where to look next
    smoothed: Face
    filter: OneEuroFilter
    missing: int = 0
    # status of the latest frame, set during update
    status: Status = field(default="detected")


class FaceTracker:
    """Stateful per-video face tracker. See the module docstring."""

    def __init__(self, detector: FaceDetector, config: TrackConfig | None = None, fps: float = 25.0):
        config = config or TrackConfig()
        if not fps or fps <= 0 or not np.isfinite(fps):
            raise GanimateError(f"face tracking needs a positive frame rate, got {fps}")
        if (
            config.detect_every < 1
            or config.max_missing < 0
            or not 0.0 < config.iou_match <= 1.0
            or not 0.0 <= config.new_track_score <= 1.0
        ):
            raise GanimateError(
                "track settings: detect_every must be >= 1, max_missing >= 0, iou_match in (0, 1] "
                "and new_track_score in [0, 1]"
            )
        self.detector = detector
        self.config = config
        self.fps = float(fps)
        self.refiner = OnetRefiner(detector)
        self.min_refine_score = float(detector.config.thresholds[2])  # O-Net's own threshold
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._index = 0
        self._last_detect: int | None = None
        self._prev_thumb: np.ndarray | None = None

    def update(self, frame: np.ndarray, t: float | None = None) -> list[TrackedFace]:
        """Faces followed in the next frame (uint8 HxWx3 RGB), sorted by track id.

        t: the frame's time in seconds (default: frame index / fps); used only for smoothing.
        """
        check_frame(frame)
        t = self._index / self.fps if t is None else float(t)
        thumb = thumbnail(frame)
        cut = is_scene_cut(self._prev_thumb, thumb)
        self._prev_thumb = thumb
        since = None if self._last_detect is None else self._index - self._last_detect
        due = since is None or since >= self.config.detect_every
        lost = not self._tracks or (
            any(tr.missing > 0 for tr in self._tracks) and since >= min(LOST_DETECT_EVERY, self.config.detect_every)
        )
        # O-Net on every track, from where it was last found. Even on full-detection frames this is
        # what is kept: the patch framing then stays consistent from frame to frame, whereas the
        # detector's own O-Net pass sees a differently framed R-Net box and its landmarks jump.
        found: dict[int, Face] = {}  # track index -> raw face found this frame
        if self._tracks:
            refined = self.refiner.refine(frame, np.stack([tr.box for tr in self._tracks]))
            for i, face in enumerate(refined):
                if face.score >= self.min_refine_score:
                    found[i] = face
                    self._tracks[i].status = "refined"
        new_faces: list[Face] = []
        if due or lost or cut:
            self._last_detect = self._index
            new_faces = self._detect(frame, found)
        self._drop_duplicates(found)
        # detections that overlap a face already followed are the same face; a new face must be a sure one
        followed = [f.box for f in found.values()]
        new_faces = [
            f
            for f in new_faces
            if f.score >= self.config.new_track_score and all(iou(f.box, b) < self.config.iou_match for b in followed)
        ]
        kept: list[_Track] = []
        for i, tr in enumerate(self._tracks):
            if i in found:
                if cut:
                    tr.filter.reset()  # no smoothing across a cut
                tr.box = found[i].box.astype(np.float32)
                tr.smoothed = self._smooth(tr.filter, found[i], t)
                tr.missing = 0
                kept.append(tr)
            elif not cut and tr.missing < self.config.max_missing:
                tr.missing += 1
                tr.status = "bridged"
                kept.append(tr)
            # else: lost for too long, or a cut made its last position meaningless: the track ends
        for face in new_faces:
            filt = self._new_filter()
            kept.append(_Track(self._next_id, face.box.astype(np.float32), self._smooth(filt, face, t), filt))
            self._next_id += 1
        self._tracks = kept
        self._index += 1
        kept.sort(key=lambda tr: tr.track_id)
        return [TrackedFace(tr.track_id, tr.smoothed, tr.status) for tr in kept]

    def _detect(self, frame: np.ndarray, found: dict[int, Face]) -> list[Face]:
        """Full detection, associated with the tracks; updates `found`, returns the unmatched faces."""
        dets = self.detector.detect(frame)
        boxes = [found[i].box if i in found else tr.box for i, tr in enumerate(self._tracks)]
        pairs = match_boxes(boxes, [d.box for d in dets], self.config.iou_match)
        for i, j in pairs:
            # keep the refined face unless it strayed from the detection (then re-anchor on it)
            if i not in found or iou(found[i].box, dets[j].box) < REANCHOR_IOU:
                found[i] = dets[j]
            self._tracks[i].status = "detected"
        matched = {j for _, j in pairs}
        return [d for j, d in enumerate(dets) if j not in matched]

    def _drop_duplicates(self, found: dict[int, Face]) -> None:
        """When two tracks converge on one face, the older track keeps it."""
        idx = sorted(found, key=lambda i: self._tracks[i].track_id)
        for a_pos, a in enumerate(idx):
            for b in idx[a_pos + 1 :]:
                if a in found and b in found and iou(found[a].box, found[b].box) >= DUPLICATE_IOU:
                    del found[b]

    def _new_filter(self) -> OneEuroFilter:
        return OneEuroFilter(self.config.smooth_min_cutoff, self.config.smooth_beta)

    @staticmethod
    def _smooth(filt: OneEuroFilter, face: Face, t: float) -> Face:
        raw = np.concatenate([face.landmarks.reshape(-1), face.box]).astype(np.float64)
        out = filt(raw, t, scale=face_size(face.landmarks))
        return Face(box=out[10:].astype(np.float32), landmarks=out[:10].reshape(5, 2).astype(np.float32),
                    score=face.score)
