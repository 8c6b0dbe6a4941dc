"""`ganimate keyframes`: animate a face (still portrait or video) from keyframed AU curves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from ganimate.au.curves import CurveSet
from ganimate.config import RunConfig
from ganimate.errors import GanimateError
from ganimate.pipeline.context import Models, load_models
from ganimate.pipeline.faces import cut_face, parse_face_choice, select_faces
from ganimate.pipeline.neutral import with_neutral_targets
from ganimate.pipeline.render import preview_path, render_edits
from ganimate.pipeline.source import faces_with_aus, lips_as_they_are

DEFAULT_FPS = 25.0


@dataclass(frozen=True)
class KeyframesOptions:
    neutral_frames: int = 25
    preview: bool = False


@dataclass(frozen=True)
class KeyframesReport:
    frames: int
    frames_with_face: int
    output: Path
    preview: Path | None
    times: np.ndarray  # float64 (T,) seconds
    targets: np.ndarray  # float32 (T,17) of the first face
    backend: str = ""  # the generator's session, e.g. "OpenVINO CPU bf16 LATENCY"


def run_keyframes(curves: CurveSet, source: Path, out: Path, run: RunConfig, opts: KeyframesOptions,
                  progress, models: Models | None = None) -> KeyframesReport:
    from ganimate.video.probe import is_image, probe_video

    models = models or load_models(run, need_generator=True)  # batch workers pass theirs, loaded once
    preview = preview_path(out) if opts.preview else None
    stats: dict = {"frames": 0, "faces": 0}
    log: list[tuple[float, np.ndarray]] = []
    if is_image(source):
        curves = curves.with_timing(fps=DEFAULT_FPS)
        stream, info = _still_stream(curves, source, run, models, progress, log)
        render_edits(stream, models, run, info, None, out, preview, stats, inputs=(source,), still=True)
    else:
        info = probe_video(source)
        curves = curves.with_timing(fps=float(info.fps), duration=info.duration)
        stream = _video_stream(curves, source, info, run, models, opts, progress, log)
        render_edits(stream, models, run, info, source, out, preview, stats)
    times = np.array([t for t, _ in log], dtype=np.float64)
    targets = np.stack([a for _, a in log]) if log else np.zeros((0, 17), np.float32)
    return KeyframesReport(stats["frames"], stats["faces"], out, preview, times, targets,
                           models.generator.session.description)


def _still_stream(curves: CurveSet, source: Path, run: RunConfig, models, progress, log) -> tuple[Iterator, object]:
    """A still portrait becomes n_frames identical frames; its faces are found and cut once."""
    from ganimate.face.detect import FaceDetector
    from ganimate.face.track import TrackedFace
    from ganimate.pipeline.progress import track as track_progress
    from ganimate.video.probe import probe_video, read_image
    from ganimate.video.reader import VideoFrame

    image = read_image(source)
    faces = (models.detector or FaceDetector(run.detect)).detect(image)
    if not faces:
        raise GanimateError(f"no face found in {source}")
    tracked = [TrackedFace(i, f, "detected") for i, f in enumerate(faces)]
    chosen = select_faces(tracked, parse_face_choice(run.face))
    crops = [cut_face(image, t.track_id, t.face, run.crop, models.estimator.size) for t in chosen]
    if not crops:  # --face named a face the portrait does not have
        raise GanimateError(f"--face {run.face}: {source} has {len(faces)} face(s), numbered from 0")
    own = models.estimator.estimate(np.stack([c.for_estimator for c in crops]))
    fps = Fraction(curves.fps).limit_denominator(1001)
    info = replace(probe_video(source), fps=fps, frame_count=curves.n_frames, duration=curves.duration,
                   has_audio=False)
    times = curves.frame_times()
    # the whole animation's targets at once: (faces, frames, 17)
    per_face = np.stack([curves.targets(times, own[k]) for k in range(len(crops))])

    def gen():
        for i, t in enumerate(track_progress(progress, times, "keyframes", len(times))):
            frame = VideoFrame(index=i, time=float(t), pts=None, time_base=None, image=image)
            targets = per_face[:, i]
            log.append((float(t), targets[0]))
            yield frame, crops, targets, own

    return gen(), info


def _video_stream(curves: CurveSet, source: Path, info, run: RunConfig, models, opts, progress, log):
    # base "neutral" curves are absolute targets: the lips are read as they are (source.lips_as_they_are)
    src_run = run if curves.base == "source" else lips_as_they_are(run)
    own = faces_with_aus(source, info, src_run, models, progress, "keyframes", run.crop, parse_face_choice(run.face))

    def target_for(frame, crop, neutral, own):
        # base "source": offsets on the face's own AUs of this frame (see docs/curves.md)
        return curves.targets(np.array([frame.time]), own)[0]

    for frame, crops, targets, sources in with_neutral_targets(own, opts.neutral_frames, target_for):
        if len(targets):
            log.append((frame.time, targets[0]))
        yield frame, crops, targets, sources
