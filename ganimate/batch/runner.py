"""`ganimate batch`: skip what is complete, run the rest locally or on Ray, report every job."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ganimate.batch import done
from ganimate.batch.execute import JobSettings, clean_stale_temps, expected_frames
from ganimate.batch.jobs import Job
from ganimate.batch.report import JobResult, print_summary, write_report


@dataclass(frozen=True)
class BatchConfig:
    workers: int = 0  # local worker processes; 0 = half the cores (two threads each), at least 2
    threads: int = 0  # threads per job (models and x264); 0 = cores / workers locally, 1 on Ray
    force: bool = False  # redo jobs whose outputs are complete
    report: Path | None = None  # JSON-lines report, one line per job
    ray: str | None = None  # None: local processes; "local": a local Ray; else a Ray address
    show_progress: bool = True


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def settings_for(cfg: BatchConfig, n_jobs: int) -> tuple[int, JobSettings]:
    """(workers, per-job settings): the cores are split between the workers."""
    cpus = available_cpus()
    if cfg.ray is not None:
        return 0, JobSettings(threads=cfg.threads or 1)
    # two workers keep two cores busier than one command does (its stages overlap only partly)
    workers = cfg.workers or max(min(2, cpus), cpus // 2)
    workers = max(1, min(workers, n_jobs))
    return workers, JobSettings(threads=cfg.threads or max(1, cpus // workers))


def run_batch(jobs: Sequence[Job], cfg: BatchConfig, out: Console) -> list[JobResult]:
    """Run the jobs; print the summary table on `out`; write the report when asked. Results in job order."""
    if cfg.report is not None:
        from ganimate.atomic import check_output_path

        check_output_path(cfg.report, [p for j in jobs for _, p in j.inputs])
    results: dict[int, JobResult] = {}
    todo: list[Job] = []
    for job in jobs:
        clean_stale_temps(job)  # left by a killed run; nothing is writing them now
        record = None if cfg.force else done.completed(job)
        if record is not None:
            results[job.index] = JobResult(job.index, job.where, job.kind, str(job.out), "skipped",
                                           int(record.get("frames", 0)))
        else:
            todo.append(job)
    if todo:
        from ganimate.batch.display import BatchDisplay

        workers, settings = settings_for(cfg, len(todo))
        expected = {j.index: expected_frames(j) for j in todo} if cfg.show_progress else {}
        with BatchDisplay(todo, expected, cfg.show_progress) as display:
            if cfg.ray is None:
                from ganimate.batch.run_local import run_local

                ran = run_local(todo, workers, settings, display)
            else:
                from ganimate.batch.run_ray import run_ray

                address = None if cfg.ray == "local" else cfg.ray
                ran = run_ray(todo, address, settings, display, available_cpus())
        results.update({r.index: r for r in ran})
    ordered = [results[j.index] for j in jobs]
    print_summary(ordered, out)
    if cfg.report is not None:
        write_report(cfg.report, ordered)
    return ordered
