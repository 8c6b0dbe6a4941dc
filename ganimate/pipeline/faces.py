"""From a frame stream to aligned face crops per frame, using the tracker."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ganimate.config import CropConfig
from ganimate.errors import GanimateError
from ganimate.face.align import warp_face_by_landmarks
from ganimate.face.types import Face


@dataclass(frozen=True)
class FaceCrop:
    """One tracked face of one frame, cut out for the models.

    crop: uint8 SxSx3 RGB. matrix: float64 (2, 3) frame -> crop.
    """

    track_id: int
    face: Face
    crop: np.ndarray
    matrix: np.ndarray


def parse_face_choice(value: str) -> str | int:
    """'all' | 'largest' | a track index (faces are numbered in order of first appearance, from 0)."""
    v = value.strip().lower()
    if v in ("all", "largest"):
        return v
    if v.isdigit():
        return int(v)
    raise GanimateError(f"--face must be 'all', 'largest' or a face index (0, 1, ...), not {value!r}")


def select_faces(tracked: list, choice: str | int) -> list:
    """The tracked faces to process in a frame, per --face."""
    if choice == "all" or not tracked:
        return list(tracked)
    if choice == "largest":
        return [max(tracked, key=lambda t: t.face.area)]
    return [t for t in tracked if t.track_id == choice]


def track_crops(frames: Iterable, tracker, crop: CropConfig, choice: str | int = "all") -> Iterator[tuple]:
    """Yield (frame, [FaceCrop]) for every frame, in order; frames without a face get []."""
    for frame in frames:
        tracked = select_faces(tracker.update(frame.image), choice)
        crops = []
        for t in tracked:
            img, matrix = warp_face_by_landmarks(frame.image, t.face.landmarks, crop.size, crop.margin)
            crops.append(FaceCrop(track_id=t.track_id, face=t.face, crop=img, matrix=matrix))
        yield frame, crops
