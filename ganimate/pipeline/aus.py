"""`ganimate aus`: per-frame AU intensities of a video in OpenFace CSV layout."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ganimate.au.names import N_AUS
from ganimate.au.openface_csv import OpenFaceCsvWriter
from ganimate.config import RunConfig
from ganimate.pipeline.context import Models, load_landmarks, load_models
from ganimate.pipeline.faces import no_face_error, parse_face_choice
from ganimate.pipeline.source import faces_with_aus


@dataclass(frozen=True)
class AusReport:
    frames: int
    rows: int
    frames_with_face: int
    output: Path


def run_aus(video: Path, out: Path, run: RunConfig, progress, models: Models | None = None,
            landmarks: bool = False) -> AusReport:
    """One row per (frame, face); a frame without a face gets one row with success 0. landmarks: also the
    68 points in frame px (OpenFace's x_0 ... y_67 columns)."""
    from ganimate.video.probe import probe_video

    info = probe_video(video)
    models = models or load_models(run, need_generator=False, need_landmarks=landmarks)
    if landmarks and models.landmarks is None:  # models loaded once for a batch of jobs without landmarks
        models.landmarks = load_landmarks(run)
    crop = replace(run.crop, size=models.estimator.size)
    estimated = faces_with_aus(video, info, run, models, progress, "AUs", crop, parse_face_choice(run.face),
                               landmarks=landmarks)
    n_frames = rows = with_face = 0
    with OpenFaceCsvWriter(out, inputs=[video], landmarks=landmarks) as writer:
        for frame, crops, aus, *pts in estimated:
            points = pts[0] if pts else [None] * len(crops)
            n_frames += 1
            if not crops:
                writer.write_row(frame.index + 1, 0, frame.time, 0.0, False, np.zeros(N_AUS))
                rows += 1
                continue
            with_face += 1
            for c, a, p in zip(crops, aus, points, strict=True):
                writer.write_row(frame.index + 1, c.track_id, frame.time, c.face.score, True, a, p)
                rows += 1
        if with_face == 0:
            raise no_face_error(video, run.face)
    return AusReport(n_frames, rows, with_face, out)
