"""Batch on Ray: one task per job (with Ray's retries), on a local Ray or an existing cluster.

Inputs and outputs must be on storage every node sees at the same paths. A task writes its outputs
through the same atomic temp-and-rename as a local job, and cleans a killed attempt's temporary files
before it starts, so a retried task never leaves a duplicate or half file. Each task asks Ray for as
many CPUs as it runs threads, which also fixes x264's thread count: the bytes match a local run with
the same --threads.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ganimate.batch.execute import FrameCounter, JobSettings, ModelCache, clean_stale_temps, execute_job
from ganimate.batch.jobs import Job
from ganimate.batch.report import JobResult, one_line
from ganimate.errors import GanimateError

MAX_RETRIES = 3  # Ray re-runs a task whose worker died (node lost, OOM kill); user errors are not retried


@functools.cache
def _worker_cache() -> ModelCache:
    """The models of this Ray worker process, kept between the tasks it runs (Ray reuses its workers)."""
    return ModelCache()


def ray_job(job: Job, settings: JobSettings) -> JobResult:
    """The body of one Ray task."""
    return execute_job(job, settings, _worker_cache(), FrameCounter())


def run_ray(jobs: Sequence[Job], address: str | None, settings: JobSettings, display,
            local_cpus: int) -> list[JobResult]:
    """address None: a local Ray with local_cpus CPUs (or the Ray this process already started);
    otherwise ray.init(address) ('auto', 'ray://head:10001', ...). Results in job order."""
    try:
        import ray
    except ImportError:
        raise GanimateError("--ray needs the ray package: pip install 'ganimate[ray]'") from None
    started = False
    if not ray.is_initialized():
        kwargs = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
        try:
            if address is None:
                ray.init(num_cpus=local_cpus, **kwargs)
            else:
                ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise GanimateError(f"cannot connect to Ray at {address or 'a local Ray'}: {one_line(e)}") from None
        started = True
    task = ray.remote(num_cpus=settings.threads, max_retries=MAX_RETRIES)(ray_job)
    pending = {task.remote(job, settings): job for job in jobs}
    results: dict[int, JobResult] = {}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as e:
                    clean_stale_temps(job)
                    result = JobResult(job.index, job.where, job.kind, str(job.out), "failed",
                                       error=f"Ray task failed after {MAX_RETRIES} retries: {_first_line(e)}")
                results[job.index] = result
                display.job_finished(result)
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref)  # a KeyboardInterrupt in the task: its temporary files are deleted
        ray.wait(list(pending), num_returns=len(pending), timeout=15)
        for job in pending.values():
            clean_stale_temps(job)
        raise
    finally:
        if started:
            ray.shutdown()
    return [results[j.index] for j in jobs]


def _first_line(e: BaseException) -> str:
    lines = [ln for ln in str(e).splitlines() if ln.strip()]
    return one_line(lines[-1] if lines else type(e).__name__)
