"""The stage kernel: what every resumable stage shares, written once.

A stage is a config dataclass (flags and YAML through `rubricrl.config`) and `run(config)`, which
returns a summary that renders itself. The kernel owns the output: its locked writer with redo,
the to-do list cut into chunks, progress, the resume message when a chunk fails, and the summary
written atomically beside the output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from rich.console import RenderableType

from rubricrl.errors import BackendError, InputError
from rubricrl.jsonl import JsonlWriter, Row, replace_file
from rubricrl.layout import summary_path
from rubricrl.progress import ProgressBar, progress_bar

U = TypeVar("U")
C = TypeVar("C")
M = TypeVar("M", bound=BaseModel)


class Summary(Protocol):
    """What a stage returns: it renders itself for the terminal and says whether the run failed
    (the command then exits 1, after printing it)."""

    @property
    def failed(self) -> bool: ...

    def render(self) -> RenderableType: ...


S = TypeVar("S", bound=Summary)


@dataclass(frozen=True)
class Written:
    """The summary of a stage whose result is a file: `wrote WHAT -> PATH`."""

    what: str
    path: Path
    failed = False

    def render(self) -> RenderableType:
        return f"wrote {self.what} -> {self.path}"


@dataclass(frozen=True)
class Stage(Generic[C, S]):
    """One command: its name, its config class (whose docstring is its help) and its run."""

    name: str
    config: type[C]
    run: Callable[[C], S]


class Resumable(Generic[U]):
    """The units of a stage not yet in its output, in chunks, each chunk's rows written as one.

    A unit is done when `done(unit, writer)` holds (by default, when its `id` is in the output);
    rows for which `redo(row)` holds are taken out on opening and done again. A chunk that
    raises BackendError stops the stage with a message saying how much is kept and how to go on.
    """

    def __init__(
        self,
        stage: str,
        output: Path,
        units: Sequence[U],
        *,
        noun: str,
        done: Callable[[U, JsonlWriter], bool] | None = None,
        redo: Callable[[Row], bool] | None = None,
        progress: bool = True,
    ) -> None:
        self.stage, self.output, self.units, self.noun = stage, output, units, noun
        self._done = done or _written
        self._redo = redo
        self._progress = progress
        self.todo: list[U] = []
        self.finished = 0
        self._status = ""

    def __enter__(self) -> Resumable[U]:
        self.writer = JsonlWriter(self.output, redo=self._redo)
        self.todo = [unit for unit in self.units if not self._done(unit, self.writer)]
        self.finished = len(self.units) - len(self.todo)
        self._bars = progress_bar(self.stage, len(self.units), self.finished, self._progress)
        self.bar: ProgressBar = self._bars.__enter__()
        return self

    def chunks(self, size: int) -> Iterator[list[U]]:
        """The to-do list, `size` units at a time; progress advances once a chunk's body ends."""
        for start in range(0, len(self.todo), size):
            chunk = self.todo[start : start + size]
            self._status = ""
            yield chunk
            self.finished += len(chunk)
            self.bar.advance(len(chunk), status=self._status)

    def write(self, rows: Iterable[BaseModel], status: str = "") -> int:
        """Append a chunk's rows (ids already there are skipped); `status` goes to progress."""
        self._status = status
        return self.writer.write_all(rows)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bars.__exit__(kind, error, trace)
        self.writer.__exit__(kind, error, trace)
        if isinstance(error, BackendError):
            raise BackendError(
                f"{error}; {self.finished} of {len(self.units)} {self.noun} done and kept in "
                f"{self.output}, re-run to resume"
            ) from error


def _written(unit: Any, writer: JsonlWriter) -> bool:
    """Whether a unit with an `id` (a plan, a pair) already has its row in the output."""
    return str(unit.id) in writer


def write_summary(output: Path, summary: BaseModel) -> Path:
    """Write `summary` beside `output` (`x.jsonl` -> `x.summary.json`) by atomic replace, so a
    kill mid-write leaves the previous summary whole."""
    path = summary_path(output)
    replace_file(path, [summary.model_dump_json(indent=2) + "\n"])
    return path


def read_summary(path: Path, model: type[M]) -> M:
    """A summary file as `model`; one-line InputError naming the file when it is not one
    (invalid JSON is a ValidationError too; bytes that are not UTF-8 are not)."""
    what = re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()  # ScoreSummary: score summary
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as error:
        raise InputError(f"{path}: not a {what} ({error.errors()[0]['msg']})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a {what} (not UTF-8 text)") from None
