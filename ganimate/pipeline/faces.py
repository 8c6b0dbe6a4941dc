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

    crop: uint8 SxSx3 RGB at the generator's size. matrix: float64 (2, 3) frame -> crop.
    est_crop: uint8 RGB at the AU estimator's size (the same array when the sizes agree).
    """

    track_id: int
    face: Face
    crop: np.ndarray
    matrix: np.ndarray
    est_crop: np.ndarray | None = None

    @property
    def for_estimator(self) -> np.ndarray:
        return self.crop if self.est_crop is None else self.est_crop


def parse_face_choice(value: str) -> str | int:
    """'all' | 'largest' | a track index (faces are numbered in order of first appearance, from 0)."""
    v = value.strip().lower()
    if v in ("all", "largest"):
        return v
    if v.isdigit():
        return int(v)
    raise GanimateError(f"--face must be 'all', 'largest' or a face index (0, 1, ...), not {value!r}")


def no_face_error(where, choice: str) -> GanimateError:
    """The error for a run that edited or read no face in `where` (a path or words), with --face `choice` (its
    text): a face asked for by its number is named as never appearing."""
    number = choice.strip()
    if number.isdigit():
        return GanimateError(f"face {number} never appears in {where} (faces are numbered from 0 in order of first "
                             "appearance; --face largest or all takes whichever there are)")
    return GanimateError(f"no face found in any frame of {where}")


def select_faces(tracked: list, choice: str | int) -> list:
    """The tracked faces to process in a frame, per --face."""
    if choice == "all" or not tracked:
        return list(tracked)
    if choice == "largest":
        return [max(tracked, key=lambda t: t.face.area)]
    return [t for t in tracked if t.track_id == choice]


def cut_face(image: np.ndarray, track_id: int, face: Face, crop: CropConfig, est_size: int | None) -> FaceCrop:
    """Crops of one face for the generator (crop.size) and, when it differs, the estimator (est_size)."""
    img, matrix = warp_face_by_landmarks(image, face.landmarks, crop.size, crop.margin)
    est = None
    if est_size is not None and est_size != crop.size:
        est = warp_face_by_landmarks(image, face.landmarks, est_size, crop.margin)[0]
    return FaceCrop(track_id=track_id, face=face, crop=img, matrix=matrix, est_crop=est)


def track_crops(frames: Iterable, tracker, crop: CropConfig, choice: str | int = "all",
                est_size: int | None = None) -> Iterator[tuple]:
    """Yield (frame, [FaceCrop]) for every frame, in order; frames without a face get []."""
    for frame in frames:
        tracked = select_faces(tracker.update(frame.image), choice)
        yield frame, [cut_face(frame.image, t.track_id, t.face, crop, est_size) for t in tracked]
