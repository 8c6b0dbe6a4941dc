"""How batch knows an output is complete: a small sidecar written after the output is in place.

``out/a.mp4`` gets ``out/.a.mp4.ganimate-done.json`` with what made it (kind, options, and size +
mtime of every input and model file) and what it is (size + mtime of every file the job wrote). A job
is skipped only when the sidecar matches the job as it is now and every output still matches it. The
output itself is renamed into place only when finished (ganimate.atomic), and the sidecar is written
after that rename, so a run killed at any moment leaves either no sidecar (the job is redone) or a
complete output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ganimate.atomic import atomic_output
from ganimate.batch.jobs import Job

DONE_MARK = ".ganimate-done.json"
_VERSION = 1


def marker_path(out: Path) -> Path:
    return out.with_name(f".{out.name}{DONE_MARK}")


def _stat(path: Path) -> dict:
    st = os.stat(path)
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _model_files(job: Job) -> dict[str, Path]:
    """The model files a job uses (the shipped defaults when none is named): a new model means a new output."""
    from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, DEFAULT_GENERATOR

    files = {"au_model": job.option("au_model") or DEFAULT_AU_ESTIMATOR}
    if job.kind != "aus":
        files["model"] = job.option("model") or DEFAULT_GENERATOR
    return {k: Path(v) for k, v in files.items()}


def fingerprint(job: Job) -> dict:
    """What the job's result depends on, as of now (raises OSError when an input is missing)."""
    inputs = {role: _stat(p) for role, p in job.inputs}
    inputs.update({role: _stat(p) for role, p in _model_files(job).items() if p.is_file()})
    options = {k: str(v) if isinstance(v, Path) else v for k, v in job.options}
    return {"version": _VERSION, "kind": job.kind, "inputs": inputs, "options": options}


def write_marker(job: Job, made_from: dict, frames: int) -> None:
    """Record that every target of the job is complete (call after the outputs are renamed into place)."""
    record = {**made_from, "outputs": [_stat(t) for t in job.targets()], "frames": frames}
    with atomic_output(marker_path(job.out)) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def completed(job: Job) -> dict | None:
    """The sidecar record when the job's outputs are complete and made from its current inputs, else None."""
    marker = marker_path(job.out)
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        now = fingerprint(job)
        outputs = [_stat(t) for t in job.targets()]
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or {k: record.get(k) for k in now} != now:
        return None
    if record.get("outputs") != outputs:
        return None
    return record


def forget(job: Job) -> None:
    """Drop the sidecar before a job is redone, so an interrupted redo is never taken as complete."""
    try:
        marker_path(job.out).unlink()
    except FileNotFoundError:
        pass
