"""One progress bar for every long stage: counts, rate, time left and the latest item's status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressBar:
    """A handle on one task of a rich Progress display."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: int = 1, status: str = "") -> None:
        self._progress.update(self._task, advance=steps, status=status)


@contextmanager
def progress_bar(
    description: str, total: int, done: int = 0, enabled: bool = True
) -> Iterator[ProgressBar]:
    """A bar on stderr for `total` units of work, `done` of them finished by an earlier run."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        disable=not enabled,
    )
    with progress:
        task = progress.add_task(description, total=total, completed=done, status="")
        yield ProgressBar(progress, task)
