"""Run one batch job in the current process through the single commands' pipeline functions.

Used by the local worker processes and by Ray tasks alike, so the same job gives the same bytes:
each job runs with a fixed thread count (models and x264), which its output depends on.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

from ganimate.batch import done
from ganimate.batch.jobs import Job
from ganimate.batch.report import JobResult, one_line
from ganimate.config import RunConfig
from ganimate.errors import GanimateError


class ModelCache:
    """Models and the face detector of one worker process, loaded on first use and kept for the next jobs."""

    def __init__(self) -> None:
        self._models: dict[tuple, object] = {}
        self._detectors: dict[object, object] = {}

    def get(self, run: RunConfig, need_generator: bool):
        from ganimate.face.detect import FaceDetector
        from ganimate.pipeline.context import load_models

        key = (run.infer, need_generator)
        if key not in self._models:
            if len(self._models) >= 2:  # jobs naming many different models: keep memory bounded
                self._models.pop(next(iter(self._models)))
            models = load_models(run, need_generator)
            if run.detect not in self._detectors:
                self._detectors[run.detect] = FaceDetector(run.detect)
            models.detector = self._detectors[run.detect]
            self._models[key] = models
        return self._models[key]


class FrameCounter:
    """Stands in for the rich Progress the pipeline functions advance; reports frame counts to `on_frames`
    (at most every `every` seconds) instead of drawing."""

    def __init__(self, on_frames: Callable[[int], None] | None = None, every: float = 0.25):
        self.tasks: dict[int, SimpleNamespace] = {}
        self._on_frames = on_frames
        self._every = every
        self._pending = 0
        self._last = time.monotonic()

    def add_task(self, description: str, total: int | None = None, **_) -> int:
        task = len(self.tasks)
        self.tasks[task] = SimpleNamespace(description=description, total=total, completed=0)
        return task

    def advance(self, task: int, advance: int = 1) -> None:
        self.tasks[task].completed += advance
        self._pending += advance
        now = time.monotonic()
        if self._on_frames is not None and now - self._last >= self._every:
            self.flush()
            self._last = now

    def update(self, task: int, total: int | None = None, **_) -> None:
        if total is not None:
            self.tasks[task].total = total

    def flush(self) -> None:
        if self._pending and self._on_frames is not None:
            self._on_frames(self._pending)
        self._pending = 0


@dataclass(frozen=True)
class JobSettings:
    threads: int = 1  # CPU threads for each model and for x264


def job_run_config(job: Job, threads: int) -> RunConfig:
    """The RunConfig the single command would build from the job's options, at a fixed thread count."""
    from ganimate.cli import DETECT_EVERY, build_run_config

    o = dict(job.options)
    run = build_run_config(
        model=o.get("model"), au_model=o.get("au_model"), backend=o.get("backend", "auto"),
        device=o.get("device", "auto"), face=o.get("face", "all"), crf=o.get("crf", 18),
        preset=o.get("preset", "veryfast"), batch=o.get("batch", 16 if job.kind == "aus" else 8),
        detect_every=o.get("detect_every", DETECT_EVERY), quiet=True, threads=threads,
        precision=o.get("precision", "auto"), mask=o.get("mask", "landmarks"), lids=o.get("lids", True),
        shading=o.get("shading", True), mouth=o.get("mouth", True), drive=o.get("drive", True),
        cheeks=o.get("cheeks", True), frown=o.get("frown", True), close_lips=_close_lips(job.kind, o),
        glasses=o.get("glasses", True), anchor=o.get("anchor", True),
        hold=o.get("hold", True), brows=o.get("brows", True),
    )
    return replace(run, encode=replace(run.encode, threads=threads))


def _close_lips(kind: str, options: dict) -> bool:
    """A job's close_lips as its single command resolves it: transfer by its mode unless set (lips_for_mode)."""
    if kind != "transfer":
        return bool(options.get("close_lips", True))
    from ganimate.pipeline.transfer import lips_for_mode

    return lips_for_mode(options.get("mode", "relative"), options.get("close_lips"))


def clean_stale_temps(job: Job) -> list[Path]:
    """Delete temporary files a killed run left beside the job's targets; returns what was deleted."""
    from ganimate.atomic import stale_temps

    removed = []
    for target in job.targets():
        for p in stale_temps(target):
            try:
                p.unlink()
                removed.append(p)
            except FileNotFoundError:
                pass
    return removed


def execute_job(job: Job, settings: JobSettings, cache: ModelCache, progress: FrameCounter) -> JobResult:
    """Run the job; a user error (bad input, no face, ...) comes back as a failed JobResult with its line.
    KeyboardInterrupt propagates (the outputs' temporary files are deleted on the way out)."""
    start = time.monotonic()
    try:
        clean_stale_temps(job)
        for role, path in job.inputs:
            _check_input(path, role)
        _make_folders(job)
        made_from = done.fingerprint(job)
        done.forget(job)
        run = job_run_config(job, settings.threads)
        models = cache.get(run, need_generator=job.kind != "aus")
        start = time.monotonic()  # a worker loads its models once: the job's rate is taken without that
        size = models.estimator.size if job.kind == "aus" else models.generator.size
        run = replace(run, crop=replace(run.crop, size=size))
        frames = _RUNNERS[job.kind](job, run, models, progress)
        progress.flush()
        done.write_marker(job, made_from, frames)
        status, error = "done", ""
    except GanimateError as e:
        frames, status, error = 0, "failed", one_line(e)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # noqa: BLE001 - one job's bug must not stop the others; reported as a line
        frames, status, error = 0, "failed", one_line(f"unexpected {type(e).__name__}: {e}")
    return JobResult(job.index, job.where, job.kind, str(job.out), status, frames, time.monotonic() - start, error)


_ROLE_NAMES = {"src": "source", "ref": "reference video", "aus": "reference AU CSV", "curves": "curves file"}


def _check_input(path: Path, role: str) -> None:
    what = _ROLE_NAMES.get(role, role)
    if not path.exists():
        raise GanimateError(f"{what} not found: {path}")
    if path.is_dir():
        raise GanimateError(f"{what} is a folder, not a file: {path}")


def _make_folders(job: Job) -> None:
    """A jobs file may name output folders that do not exist yet (out/takes/t01.mp4): make them."""
    for target in job.targets():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise GanimateError(f"{target}: cannot make the output folder {target.parent} ({e.strerror})") from None


def _transfer(job: Job, run: RunConfig, models, progress) -> int:
    from ganimate.pipeline.transfer import TransferOptions, run_transfer

    opts = TransferOptions(mode=job.option("mode", "relative"), ref_end=job.option("ref_end", "hold"),
                           preview=bool(job.option("preview", False)))
    ref = job.input("ref") or job.input("aus")
    return run_transfer(job.input("src"), ref, job.out, run, opts, progress, models).frames


def _keyframes(job: Job, run: RunConfig, models, progress) -> int:
    from ganimate.au.curves import load_curves
    from ganimate.cli import _default_portrait
    from ganimate.pipeline.keyframes import KeyframesOptions, run_keyframes

    curves = load_curves(job.input("curves"))
    with tempfile.TemporaryDirectory(prefix="ganimate-") as tmp:
        source = job.input("src") or _default_portrait(Path(tmp))
        report = run_keyframes(curves, source, job.out, run, KeyframesOptions(preview=bool(job.option("preview"))),
                               progress, models)
    plot = job.option("plot")
    if plot is not None and len(report.times):
        from ganimate.au.plot import plot_au_curves

        plot_au_curves(report.times, report.targets, Path(plot), title=f"target AUs: {job.input('curves').name}")
    return report.frames


def _aus(job: Job, run: RunConfig, models, progress) -> int:
    from ganimate.pipeline.aus import run_aus

    return run_aus(job.input("src"), job.out, run, progress, models).frames


_RUNNERS = {"transfer": _transfer, "keyframes": _keyframes, "aus": _aus}


def expected_frames(job: Job) -> int:
    """Frames the job's progress will count (source, plus a reference video's); 0 when it cannot tell yet."""
    from ganimate.video.probe import is_image, probe_video

    total = 0
    try:
        if job.kind == "keyframes" and (job.input("src") is None or is_image(job.input("src"))):
            from ganimate.au.curves import load_curves
            from ganimate.pipeline.keyframes import DEFAULT_FPS

            return load_curves(job.input("curves")).with_timing(fps=DEFAULT_FPS).n_frames
        roles = ("src", "ref") if job.kind == "transfer" else ("src",)
        for role in roles:
            if job.input(role) is not None:
                total += max(0, probe_video(job.input(role)).frame_count or 0)
    except Exception:  # noqa: BLE001 - a bad input fails in its job, with its own message
        return total
    return total
