"""Rich progress bars for frame streams: count, fps and ETA."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

T = TypeVar("T")


class FpsColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:5.1f} fps" if speed else "  ... fps", style="progress.data.speed")


@contextmanager
def frame_progress(enabled: bool = True):
    """A Progress for frame-counting tasks, printed to stderr so stdout stays clean."""
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), FpsColumn(),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=Console(stderr=True), disable=not enabled, transient=False,
    )
    with progress:
        yield progress


def track(progress: Progress, items: Iterable[T], description: str, total: int | None) -> Iterator[T]:
    """Iterate, advancing a task of `progress` by one per item."""
    task = progress.add_task(description, total=total or None)
    for item in items:
        yield item
        progress.advance(task)
    progress.update(task, total=progress.tasks[task].completed)
