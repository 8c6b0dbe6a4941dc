"""The front of every pipeline: decode -> track and crop -> AU estimator, each overlapping the next."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ganimate.config import CropConfig, RunConfig
from ganimate.pipeline.context import Models, new_tracker
from ganimate.pipeline.faces import track_crops
from ganimate.pipeline.stream import map_batched, prefetch


def faces_with_aus(path: Path, info, run: RunConfig, models: Models, progress, label: str, crop: CropConfig,
                   choice: str | int, landmarks: bool = False) -> Iterator[tuple]:
    """Yield (frame, [FaceCrop], [aus float32 (17,) 0..5 per crop]) for every frame of the video, in order;
    with landmarks, (frame, crops, aus, [float32 (68, 2) landmarks in frame px per crop]) from the same call.

    Decoding and tracking each run in their own thread (PyAV, OpenCV and the ONNX runtimes release the
    GIL); the estimator sees crops of several frames at once. `progress` counts decoded frames.
    """
    from ganimate.pipeline.progress import track as track_progress
    from ganimate.video.reader import read_frames

    tracker = new_tracker(run, float(info.fps), models.detector)
    frames = track_progress(progress, prefetch(read_frames(path)), label, info.frame_count)
    faced = prefetch(track_crops(frames, tracker, crop, choice, models.estimator.size))
    read = map_batched(faced, lambda items: models.estimator.estimate(np.stack([c.for_estimator for c in items])),
                       run.infer.batch_size)
    if landmarks:
        read = _with_landmarks(read, models.landmarks)
    return read if run.infer.calibration is None else _calibrated(read, run.infer.calibration)


LIP_AUS = ("AU25", "AU26")  # lips part, jaw drop: read raw for absolute targets (lips_as_they_are)


def lips_as_they_are(run: RunConfig) -> RunConfig:
    """run with a source's lips part and jaw drop (AU25, AU26) read uncalibrated, for absolute targets (a
    reference's AUs, curves on base "neutral"): the lips are closed or opened from where they are. Calibrated, a
    person who grins through a clip reads AU25 ~0.6 where they read 2.1 (s29): their teeth were taken for their
    rest, and driven to a closed mouth the lips never closed. The brows stay calibrated: a heavy brow read as
    raised at rest is the reading's bias, not the face (raw, an absolute transfer followed d12's brows less,
    AU01 r 0.35 -> 0.29 on bill_clinton)."""
    from dataclasses import replace

    if run.infer.calibration is None:
        return run
    kept = tuple(a for a in run.infer.calibration.aus if a not in LIP_AUS)
    return replace(run, infer=replace(run.infer, calibration=replace(run.infer.calibration, aus=kept)))


def _calibrated(stream, config) -> Iterator[tuple]:
    """The stream with each track's AU readings calibrated against that person's running neutral."""
    from ganimate.au.calibrate import TrackCalibration

    calibration = TrackCalibration(config)
    for frame, crops, aus, *rest in stream:
        yield (frame, crops, [calibration.update(c.track_id, a) for c, a in zip(crops, aus, strict=True)], *rest)


def locate_landmarks(image: np.ndarray, five: np.ndarray, landmarks) -> np.ndarray:
    """68 landmarks (float32 (68, 2), frame px) of the face whose 5 detector points are `five` (float (5, 2)).

    Two passes: the landmark model was trained on crops aligned by 5 points derived from the 68 landmarks
    themselves, so the crop is cut again from the first pass's points and read once more (the detector's
    points sit a little off that alignment; on the held-out clip d12 the error went from 6.8% to 6.6% of the
    interocular distance). Measured by training/landmark_eval.py."""
    from ganimate.face.align import invert_transform, transform_points, warp_face_by_landmarks
    from ganimate.face.landmarks import five_points

    points = None
    for final in (False, True):
        crop, matrix = warp_face_by_landmarks(image, five, landmarks.size)
        # the final read averages the crop's and its mirror image's (left/right biases cancel)
        points = transform_points(invert_transform(matrix), landmarks.locate(crop[None], mirror=final)[0])
        five = five_points(points)
    return points.astype(np.float32)


def _with_landmarks(stream, landmarks) -> Iterator[tuple]:
    for frame, crops, aus in stream:
        yield frame, crops, aus, [locate_landmarks(frame.image, c.face.landmarks, landmarks) for c in crops]
