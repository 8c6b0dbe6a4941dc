"""One Rich display for a batch: overall frames with fps and ETA, and a line per running job (stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ganimate.batch.jobs import Job
from ganimate.batch.report import JobResult
from ganimate.pipeline.progress import FpsColumn


class BatchDisplay:
    """Call job_started / advance / job_finished as events arrive; use as a context manager.

    expected: job index -> frames its progress will count (0 = unknown). Jobs that fail early take their
    frames off the overall total, so the ETA stays honest."""

    def __init__(self, jobs: list[Job], expected: dict[int, int], enabled: bool = True):
        self._expected = expected
        self._n_jobs = len(jobs)
        self._finished = 0
        self._counted: dict[int, int] = {}
        self._lines: dict[int, int] = {}
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), FpsColumn(),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=Console(stderr=True), disable=not enabled, transient=False,
        )
        self._total = sum(expected.get(j.index, 0) for j in jobs)
        self._overall = self._progress.add_task(self._title(), total=self._total or None)

    def __enter__(self) -> BatchDisplay:
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def _title(self) -> str:
        return f"[bold]batch[/] {self._finished}/{self._n_jobs} jobs"

    def job_started(self, job: Job) -> None:
        self._counted[job.index] = 0
        self._lines[job.index] = self._progress.add_task(f"  {job.name}", total=self._expected.get(job.index) or None)

    def advance(self, index: int, frames: int) -> None:
        self._counted[index] = self._counted.get(index, 0) + frames
        self._progress.advance(self._overall, frames)
        if index in self._lines:
            self._progress.advance(self._lines[index], frames)

    def job_finished(self, result: JobResult) -> None:
        """Settle the overall count: what the job counted stands, what it did not do leaves the total."""
        counted = self._counted.pop(result.index, 0)
        expected = self._expected.get(result.index, 0)
        if result.status == "done" and counted == 0:  # no frame events (Ray): count it whole on completion
            self._progress.advance(self._overall, expected)
            counted = expected
        self._total += counted - expected
        self._finished += 1
        line = self._lines.pop(result.index, None)
        if line is not None:
            self._progress.remove_task(line)
        if result.status == "failed":
            self._progress.console.print(f"[bold red]failed[/] {result.where}: {result.error}", highlight=False,
                                         soft_wrap=True)
        self._progress.update(self._overall, total=max(self._total, 1), description=self._title())
