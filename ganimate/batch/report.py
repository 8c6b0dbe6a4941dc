"""Batch results: one JobResult per job, a summary table at the end, and a JSON-lines report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ganimate.atomic import atomic_output

STATUSES = ("done", "skipped", "failed")


@dataclass(frozen=True)
class JobResult:
    index: int
    where: str  # jobs.csv:3, or the input file of the folder short form
    kind: str
    out: str
    status: str  # done | skipped (complete from an earlier run) | failed
    frames: int = 0  # frames written (skipped: as recorded when it was made)
    seconds: float = 0.0  # wall time of the job in its worker (0 when skipped)
    error: str = ""  # one line, for failed jobs

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def record(self) -> dict:
        """The report line: every field plus fps (seconds and fps vary run to run, the rest does not)."""
        return {**asdict(self), "seconds": round(self.seconds, 3), "fps": round(self.fps, 2)}


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def write_report(path: Path, results: Sequence[JobResult]) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text("".join(json.dumps(r.record()) + "\n" for r in results), encoding="utf-8")


def summary_table(results: Sequence[JobResult]) -> Table:
    table = Table(title=_title(results), title_justify="left")
    for name, justify in (("job", "left"), ("output", "left"), ("frames", "right"), ("fps", "right"),
                          ("status", "left"), ("error", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    style = {"done": "green", "skipped": "cyan", "failed": "bold red"}
    for r in results:
        table.add_row(r.where, Path(r.out).name, str(r.frames), f"{r.fps:.1f}" if r.seconds else "-",
                      f"[{style[r.status]}]{r.status}[/]", r.error)
    return table


def print_summary(results: Sequence[JobResult], console: Console) -> None:
    console.print(summary_table(results))


def _title(results: Sequence[JobResult]) -> str:
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    return f"{len(results)} jobs: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed"
