"""Batch on one machine: N worker processes, each loading the models once and taking jobs from a queue.

Workers are spawned (fresh interpreters: torch and OpenVINO do not like being forked) with SIGINT
ignored; on Ctrl-C the parent sends them SIGTERM, which each turns into a KeyboardInterrupt so the job
in hand deletes its temporary files on the way out. A worker also stops when its parent has gone
(``kill -9`` of the batch). A worker that dies mid-job fails that job only; a fresh one takes its place.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from collections.abc import Sequence

from ganimate.batch.execute import FrameCounter, JobSettings, ModelCache, clean_stale_temps, execute_job
from ganimate.batch.jobs import Job
from ganimate.batch.report import JobResult

_STOP_WAIT_S = 20.0  # how long stopping workers may take to clean up before they are killed


def run_local(jobs: Sequence[Job], workers: int, settings: JobSettings, display) -> list[JobResult]:
    """Run the jobs on `workers` processes; results in job order. KeyboardInterrupt propagates after the
    workers have stopped and no temporary file of a running job is left."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    todo = ctx.Queue()
    events = ctx.Queue()
    for job in jobs:
        todo.put(job)
    procs: dict[int, object] = {}
    running: dict[int, Job] = {}
    results: dict[int, JobResult] = {}
    by_index = {j.index: j for j in jobs}
    next_id = 0

    def start_worker() -> None:
        nonlocal next_id
        # children inherit an ignored SIGINT across exec: Ctrl-C reaches only the parent, which stops them
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            p = ctx.Process(target=worker_main, args=(next_id, todo, events, settings, os.getpid()),
                            name=f"ganimate-batch-{next_id}", daemon=True)
            p.start()
        finally:
            signal.signal(signal.SIGINT, old)
        procs[next_id] = p
        next_id += 1

    restarts_left = len(jobs)
    for _ in range(max(1, min(workers, len(jobs)))):
        start_worker()
    try:
        while len(results) < len(jobs):
            try:
                event = events.get(timeout=0.5)
            except queue.Empty:
                event = None
            if event is not None:
                _handle(event, running, results, by_index, display)
            for wid, p in list(procs.items()):
                if p.is_alive():
                    continue
                del procs[wid]
                job = running.pop(wid, None)
                if job is not None and job.index not in results:
                    _drain(events, running, results, by_index, display)
                if job is not None and job.index not in results:
                    clean_stale_temps(job)
                    r = JobResult(job.index, job.where, job.kind, str(job.out), "failed",
                                  error=f"the worker process died (exit code {p.exitcode})")
                    results[job.index] = r
                    display.job_finished(r)
                if len(results) + len(running) < len(jobs) and restarts_left > 0:
                    restarts_left -= 1
                    start_worker()
            if not procs and len(results) < len(jobs):
                for job in jobs:  # workers cannot start at all: fail the rest rather than wait forever
                    if job.index not in results:
                        results[job.index] = JobResult(job.index, job.where, job.kind, str(job.out), "failed",
                                                       error="no worker process could run it")
    except KeyboardInterrupt:
        _stop(procs)
        for job in running.values():
            clean_stale_temps(job)
        raise
    for _ in procs:
        todo.put(None)
    for p in procs.values():
        p.join(timeout=_STOP_WAIT_S)
        if p.is_alive():
            p.kill()
    return [results[j.index] for j in jobs]


def _handle(event, running, results, by_index, display) -> None:
    kind, wid, payload = event
    if kind == "start":
        running[wid] = by_index[payload]
        display.job_started(by_index[payload])
    elif kind == "frames":
        display.advance(payload[0], payload[1])
    elif kind == "done":
        running.pop(wid, None)
        results[payload.index] = payload
        display.job_finished(payload)


def _drain(events, running, results, by_index, display) -> None:
    """Take the events a worker sent just before it exited (its last result may be among them)."""
    while True:
        try:
            _handle(events.get(timeout=0.2), running, results, by_index, display)
        except queue.Empty:
            return


def _stop(procs) -> None:
    for p in procs.values():
        if p.is_alive():
            os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_WAIT_S
    for p in procs.values():
        p.join(timeout=max(0.1, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(timeout=5)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def worker_main(worker_id: int, todo, events, settings: JobSettings, parent_pid: int) -> None:
    """One worker: jobs from `todo` until None; ('start'|'frames'|'done', worker_id, payload) to `events`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _interrupt)
    os.environ["OMP_NUM_THREADS"] = str(settings.threads)  # the cores are split between workers; before torch
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    cache = ModelCache()
    try:
        while True:
            job = todo.get()
            if job is None:
                return
            events.put(("start", worker_id, job.index))
            counter = FrameCounter(lambda n, i=job.index: events.put(("frames", worker_id, (i, n))))
            events.put(("done", worker_id, execute_job(job, settings, cache, counter)))
    except KeyboardInterrupt:
        return  # the job's temporary files were deleted as the interrupt unwound through it
