"""`ganimate transfer`: drive the faces of a source video with the expressions of a reference.

One pass: the source streams through decode -> track -> crop -> estimate own AUs -> (neutral window)
-> generate -> paste back -> encode, with bounded buffers only. The reference is read alongside, on
demand (ganimate.pipeline.reference): only as far as the source's last frame time needs it, plus its
first `ref_neutral_frames` frames for its neutral, its decoding and tracking in their own threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ganimate.au.openface_csv import read_openface_csv
from ganimate.config import RunConfig
from ganimate.errors import GanimateError
from ganimate.pipeline.context import Models, load_models
from ganimate.pipeline.neutral import with_neutral_targets
from ganimate.pipeline.reference import StreamedReference
from ganimate.pipeline.render import preview_path, render_edits
from ganimate.pipeline.source import faces_with_aus, lips_as_they_are
from ganimate.pipeline.targets import relative_target

MODES = ("relative", "absolute")
REF_ENDS = ("hold", "loop")


def lips_for_mode(mode: str, asked: bool | None) -> bool:
    """Whether a transfer closes parted lips where the target's AU25 falls and parts them where it rises
    (InferConfig.close_lips): as asked, else in absolute mode only. In relative mode a talking source's AU25 rises
    and falls with each syllable above its neutral, which the target keeps: closing would shut its speech against
    its own audio, and parting would add the reference's syllables to it."""
    return asked if asked is not None else mode == "absolute"


@dataclass(frozen=True)
class TransferOptions:
    mode: str = "relative"  # relative: source-neutral + (ref - ref-neutral); absolute: ref
    ref_end: str = "hold"  # reference shorter than the source: hold its last frame, or loop it
    neutral_frames: int = 25  # a source face's neutral comes from its first N frames
    # the reference's neutral comes from its first N frames; 0 = the whole reference (reads all of it)
    ref_neutral_frames: int = 25
    ref_smooth: float = 1.0  # Gaussian sigma (frames) on the reference AUs
    preview: bool = False  # also write OUT.preview.mp4: source | output side by side


@dataclass(frozen=True)
class TransferReport:
    frames: int
    frames_with_face: int
    reference_frames: int
    output: Path
    preview: Path | None
    backend: str = ""  # the generator's session, e.g. "OpenVINO CPU bf16 LATENCY"


def csv_reference(ref: Path, smooth: float, neutral_frames: int) -> StreamedReference:
    """The rows of an OpenFace CSV as a reference (read whole: it is small)."""
    track = read_openface_csv(ref)
    times = track.timestamp if np.all(np.isfinite(track.timestamp)) else (track.frame - 1) / 25.0
    ok = track.success & np.all(np.isfinite(track.aus), axis=1)
    rows = zip(np.asarray(times, dtype=np.float64), ok, np.nan_to_num(track.aus), strict=True)
    return StreamedReference(rows, smooth, neutral_frames)


def reference_rows(ref: Path, info, run: RunConfig, models: Models,
                   progress) -> Iterator[tuple[float, bool, np.ndarray]]:
    """(time s, face found, AUs float32 (17,)) of the largest face in each reference frame, lazily."""
    crop = replace(run.crop, size=models.estimator.size)
    # tracked while the source is, in another thread, with the same detector (each thread has its own
    # inference requests); MTCNN is compiled once per command
    for frame, items, results in faces_with_aus(ref, info, run, models, progress, "reference AUs", crop, "largest"):
        yield frame.time, bool(items), results[0] if items else np.zeros(17, dtype=np.float32)


def open_reference(ref: Path, run: RunConfig, models: Models, opts: TransferOptions, progress) -> StreamedReference:
    """The reference's AUs (a video, or an OpenFace CSV), read as far as they are asked for."""
    if ref.suffix.lower() == ".csv":
        return csv_reference(ref, opts.ref_smooth, opts.ref_neutral_frames)
    from ganimate.video.probe import probe_video

    info = probe_video(ref)  # a bad reference is reported now, before the source is read
    rows = reference_rows(ref, info, run, models, progress)
    return StreamedReference(rows, opts.ref_smooth, opts.ref_neutral_frames)


def run_transfer(
    src: Path, ref: Path, out: Path, run: RunConfig, opts: TransferOptions, progress, models: Models | None = None
) -> TransferReport:
    """Write OUT: SRC with its faces' expressions driven by REF (a video, or an OpenFace AU CSV)."""
    from ganimate.video.probe import probe_video

    if opts.mode not in MODES:
        raise GanimateError(f"--mode must be one of {', '.join(MODES)}")
    if opts.ref_end not in REF_ENDS:
        raise GanimateError(f"--ref-end must be one of {', '.join(REF_ENDS)}")
    info = probe_video(src)
    models = models or load_models(run, need_generator=True)  # batch workers pass theirs, loaded once
    reference = open_reference(ref, run, models, opts, progress)
    try:
        # relative targets move the face from its own neutral (calibrated as the reference is); absolute ones
        # open or close its lips from where they are
        src_run = run if opts.mode == "relative" else lips_as_they_are(run)
        own = faces_with_aus(src, info, src_run, models, progress, "transfer", run.crop, _choice(run))

        def target_for(frame, crop, neutral, own) -> np.ndarray:
            ref_aus = reference.at(frame.time, opts.ref_end)
            if opts.mode == "absolute":
                return ref_aus
            return relative_target(neutral, ref_aus, reference.neutral())

        targeted = with_neutral_targets(own, opts.neutral_frames, target_for)
        stats = {"frames": 0, "faces": 0}
        preview = preview_path(out) if opts.preview else None
        render_edits(targeted, models, run, info, src, out, preview, stats, inputs=(ref,))
    finally:
        reference.close()  # stops the reference's decode and tracking threads where the source ended
    return TransferReport(stats["frames"], stats["faces"], reference.frames_read, out, preview,
                          models.generator.session.description)


def _choice(run: RunConfig):
    from ganimate.pipeline.faces import parse_face_choice

    return parse_face_choice(run.face)
