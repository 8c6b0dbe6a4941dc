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
                   choice: str | int) -> Iterator[tuple]:
    """Yield (frame, [FaceCrop], [aus float32 (17,) 0..5 per crop]) for every frame of the video, in order.

    Decoding and tracking each run in their own thread (PyAV, OpenCV and the ONNX runtimes release the
    GIL); the estimator sees crops of several frames at once. `progress` counts decoded frames.
    """
    from ganimate.pipeline.progress import track as track_progress
    from ganimate.video.reader import read_frames

    tracker = new_tracker(run, float(info.fps), models.detector)
    frames = track_progress(progress, prefetch(read_frames(path)), label, info.frame_count)
    faced = prefetch(track_crops(frames, tracker, crop, choice, models.estimator.size))
    return map_batched(faced, lambda items: models.estimator.estimate(np.stack([c.for_estimator for c in items])),
                       run.infer.batch_size)
