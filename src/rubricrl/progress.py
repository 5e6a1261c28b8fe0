"""One progress display for every long stage: a bar on a terminal, plain lines in a log.

On a terminal the bar shows counts, rate, time left and the latest status, and work inside one
unit (a backend's micro-batches or requests) a transient line under it. When stderr is not a
terminal (CI, `nohup`, a pipe) a bar's redraws are lost or garble the log, so each unit of work
(and each status note) prints one line instead: `extract: 3/10 (p7: 2 samples, 41 s)`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
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

_live: list[Progress] = []  # the stage bar drawn on the terminal now, if any


class ProgressBar:
    """A handle on one stage's progress: a task of a rich display, or plain lines on stderr."""

    def __init__(
        self,
        description: str,
        total: int,
        done: int,
        progress: Progress | None = None,
        task: TaskID = TaskID(0),
        quiet: bool = False,
    ) -> None:
        self._description = description
        self._total = total
        self._done = done
        self._progress = progress
        self._task = task
        self._quiet = quiet
        self._start = time.perf_counter()

    def advance(self, steps: int = 1, status: str = "") -> None:
        """Count `steps` more units done; `status` says what the latest was."""
        self._done += steps
        if self._progress is not None:
            self._progress.update(self._task, advance=steps, status=status)
            return
        shown = f"{status}, " if status else ""
        self._line(f"{self._done}/{self._total} ({shown}{self._seconds()})")

    def note(self, status: str) -> None:
        """Say what the stage is doing now, between units of work."""
        if self._progress is not None:
            self._progress.update(self._task, status=status)
            return
        self._line(f"{status} ({self._seconds()} in)")

    def log(self, text: str) -> None:
        """One line on stderr in either mode (above the bar on a terminal)."""
        if self._progress is not None:
            self._progress.console.print(f"{self._description}: {text}", markup=False)
            return
        self._line(text)

    def _seconds(self) -> str:
        return f"{time.perf_counter() - self._start:.0f} s"

    def _line(self, text: str) -> None:
        if self._quiet:
            return
        print(f"{self._description}: {text}", file=sys.stderr, flush=True)


@contextmanager
def progress_bar(
    description: str,
    total: int,
    done: int = 0,
    enabled: bool = True,
    terminal: bool | None = None,
) -> Iterator[ProgressBar]:
    """Progress on stderr for `total` units of work, `done` of them finished by an earlier run.

    `terminal` picks the bar (True) or plain lines (False); by default, whether stderr is one.
    """
    if not enabled:
        yield ProgressBar(description, total, done, quiet=True)
        return
    if not (sys.stderr.isatty() if terminal is None else terminal):
        yield ProgressBar(description, total, done)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True, force_terminal=True),
    )
    with progress:
        task = progress.add_task(description, total=total, completed=done, status="")
        _live.append(progress)
        try:
            yield ProgressBar(description, total, done, progress, task)
        finally:
            _live.pop()


@contextmanager
def step_progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    """A transient line under the stage bar for the `total` steps of one unit of work; yields
    the function that counts a step. Nothing shows without a bar (in a log the stage's own
    lines say enough) or for a single step."""
    if not _live or total < 2:
        yield lambda: None
        return
    progress = _live[-1]
    task = progress.add_task(description, total=total, status="")
    try:
        yield lambda: progress.advance(task)
    finally:
        progress.remove_task(task)
