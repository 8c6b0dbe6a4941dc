"""`ganimate transfer`: drive the faces of a source video with the expressions of a reference.

Two passes: the reference is reduced to one AU vector per frame (small: 17 floats a frame), then the
source streams through decode -> track -> crop -> estimate own AUs -> (neutral window) -> generate
-> paste back -> encode, with bounded buffers only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ganimate.au.openface_csv import read_openface_csv
from ganimate.config import RunConfig
from ganimate.errors import GanimateError
from ganimate.pipeline.context import Models, load_models
from ganimate.pipeline.neutral import with_neutral_targets
from ganimate.pipeline.render import render_edits
from ganimate.pipeline.source import faces_with_aus
from ganimate.pipeline.targets import AuSeries, fill_gaps, relative_target, smooth_series

MODES = ("relative", "absolute")
REF_ENDS = ("hold", "loop")


@dataclass(frozen=True)
class TransferOptions:
    mode: str = "relative"  # relative: source-neutral + (ref - ref-neutral); absolute: ref
    ref_end: str = "hold"  # reference shorter than the source: hold its last frame, or loop it
    neutral_frames: int = 25  # a source face's neutral comes from its first N frames
    ref_smooth: float = 1.0  # Gaussian sigma (frames) on the reference AUs
    preview: bool = False  # also write OUT.preview.mp4: source | output side by side


@dataclass(frozen=True)
class TransferReport:
    frames: int
    frames_with_face: int
    reference_frames: int
    output: Path
    preview: Path | None


def reference_series(ref: Path, run: RunConfig, models: Models, progress, smooth: float) -> AuSeries:
    """AUs of the largest face in each reference frame (video) or rows of an OpenFace CSV."""
    if ref.suffix.lower() == ".csv":
        track = read_openface_csv(ref)
        times = track.timestamp if np.all(np.isfinite(track.timestamp)) else (track.frame - 1) / 25.0
        ok = track.success & np.all(np.isfinite(track.aus), axis=1)
        aus = fill_gaps(np.nan_to_num(track.aus), ok)
        return AuSeries(np.asarray(times, dtype=np.float64), smooth_series(aus, smooth))
    from ganimate.video.probe import probe_video

    info = probe_video(ref)
    times, rows, valid = [], [], []
    crop = replace(run.crop, size=models.estimator.size)
    for frame, items, results in faces_with_aus(ref, info, run, models, progress, "reference AUs", crop, "largest"):
        times.append(frame.time)
        valid.append(bool(items))
        rows.append(results[0] if items else np.zeros(17, dtype=np.float32))
    aus = fill_gaps(np.stack(rows), np.array(valid))
    return AuSeries(np.array(times, dtype=np.float64), smooth_series(aus, smooth))


def run_transfer(
    src: Path, ref: Path, out: Path, run: RunConfig, opts: TransferOptions, progress
) -> TransferReport:
    """Write OUT: SRC with its faces' expressions driven by REF (a video, or an OpenFace AU CSV)."""
    from ganimate.video.probe import probe_video

    if opts.mode not in MODES:
        raise GanimateError(f"--mode must be one of {', '.join(MODES)}")
    if opts.ref_end not in REF_ENDS:
        raise GanimateError(f"--ref-end must be one of {', '.join(REF_ENDS)}")
    info = probe_video(src)
    models = load_models(run, need_generator=True)
    series = reference_series(ref, run, models, progress, opts.ref_smooth)
    ref_neutral = series.neutral()
    own = faces_with_aus(src, info, run, models, progress, "transfer", run.crop, _choice(run))

    def target_for(frame, crop, neutral, own) -> np.ndarray:
        ref_aus = series.at(frame.time, opts.ref_end)
        if opts.mode == "absolute":
            return ref_aus
        return relative_target(neutral, ref_aus, ref_neutral)

    targeted = with_neutral_targets(own, opts.neutral_frames, target_for)
    stats = {"frames": 0, "faces": 0}
    preview = out.with_name(out.stem + ".preview.mp4") if opts.preview else None
    render_edits(targeted, models.generator, run, info, src, out, preview, stats)
    if stats["faces"] == 0:
        raise GanimateError(f"no face found in any frame of {src}")
    return TransferReport(stats["frames"], stats["faces"], len(series.times), out, preview)


def _choice(run: RunConfig):
    from ganimate.pipeline.faces import parse_face_choice

    return parse_face_choice(run.face)
