"""JSONL of records: reading with `file:line` errors, and crash-safe appending that skips written ids.

Inputs are read whole: a last line without its newline is data, a repeated id is refused. Only
an output being resumed may end in a torn line (the remains of a killed writer); its writer cuts it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rubricrl.errors import InputError
from rubricrl.writelock import WriteLock

R = TypeVar("R", bound=BaseModel)
Row = dict[str, Any]


def _first_error(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail["loc"]) or "row"
    return f"{where}: {detail['msg']}"


def _check_readable(path: Path) -> None:
    """InputError naming `path` unless it is an existing regular file."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a JSONL file")
    if not path.is_file():
        raise InputError(f"{path}: no such file")


def check_writable(path: Path) -> None:
    """Make `path`'s folder; InputError naming `path` when it cannot be an output file."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file path for the output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"{path}: its folder is a file") from None


def _lines(path: Path, torn_tail_ok: bool) -> Iterator[tuple[int, str]]:
    """(number, text) of each non-blank line, decoded as UTF-8 one line at a time."""
    _check_readable(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if torn_tail_ok and not raw.endswith(b"\n"):
                return  # a line its writer is still writing, or was killed writing
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    f"{path}:{number}: not UTF-8 text (a binary file, or another encoding?)"
                ) from None
            if line.strip():
                yield number, line


def read_records(
    path: Path | str, record_type: type[R], *, torn_tail_ok: bool = False
) -> Iterator[R]:
    """Yield the records of a JSONL file; a bad line or a repeated id raises InputError naming
    `file:line`. `torn_tail_ok` skips an unfinished last line (a file another process appends to)."""
    path = Path(path)
    first_line: dict[str, int] = {}
    for number, line in _lines(path, torn_tail_ok):
        try:
            record = record_type.model_validate_json(line)
        except ValidationError as error:
            if error.errors()[0]["type"] == "json_invalid":
                cut = "" if line.endswith("\n") else " (the last line is cut short)"
                raise InputError(f"{path}:{number}: not valid JSON{cut}") from None
            raise InputError(
                f"{path}:{number}: not a {record_type.__name__}: {_first_error(error)}"
            ) from None
        record_id = getattr(record, "id", None)
        if record_id is not None:
            if record_id in first_line:
                raise InputError(
                    f"{path}:{number}: duplicate id {record_id!r} (first at {path}:{first_line[record_id]})"
                )
            first_line[record_id] = number
        yield record


def load_records(path: Path | str, record_type: type[R], *, allow_empty: bool = False) -> list[R]:
    """All records of a JSONL file as a list; an empty file is refused unless `allow_empty`."""
    records = list(read_records(path, record_type))
    if not records and not allow_empty:
        raise InputError(f"{path}: no records (expected {record_type.__name__} rows)")
    return records


def _resumed_rows(path: Path) -> list[tuple[str, Row]]:
    """(line, row) of each row of an output being resumed, less a torn last line (a killed
    writer's); InputError on any other line that is not a row."""
    if not path.exists():
        return []
    rows = []
    for number, line in _lines(path, torn_tail_ok=False):
        try:
            row = json.loads(line)
            str(row["id"])
        except (ValueError, TypeError, KeyError):
            if not line.endswith("\n"):
                break  # the torn tail, cut when the file is rewritten
            raise InputError(
                f"{path}:{number}: not a row this stage wrote, so the file cannot be resumed"
                " (fix or delete that line, or choose another output)"
            ) from None
        rows.append((line if line.endswith("\n") else line + "\n", row))
    return rows


class JsonlWriter:
    """Append records to a JSONL file, one `write` call per line, skipping ids already written.

    Each line goes out in a single write on an O_APPEND descriptor and is flushed to disk, so a
    killed process leaves whole lines; a torn tail from a crash is cut on reopen. One writer at a
    time holds the file. Rows for which `redo(row)` holds (unscored ones, say) are taken out on
    opening, so this run writes them again. Closing says on stderr what the file holds, and
    after an interrupt how to resume.
    """

    def __init__(self, path: Path | str, redo: Callable[[Row], bool] | None = None) -> None:
        self.path = Path(path)
        check_writable(self.path)
        self._lock = WriteLock(self.path)
        try:
            rows = _resumed_rows(self.path)
        except BaseException:
            self._lock.release()
            raise
        keep = [(line, row) for line, row in rows if redo is None or not redo(row)]
        self.redone = len(rows) - len(keep)
        if self.redone or _unterminated(self.path):
            replace_file(self.path, (line for line, _ in keep))
        self.ids = {str(row["id"]) for _, row in keep}
        self.kept = len(self.ids)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __contains__(self, record_id: str) -> bool:
        return record_id in self.ids

    @property
    def written(self) -> int:
        """Rows this writer added."""
        return len(self.ids) - self.kept

    def write(self, record: BaseModel) -> bool:
        """Append one record; returns False (writing nothing) when its id is already there."""
        record_id = str(record.id)  # type: ignore[attr-defined]
        if record_id in self.ids:
            return False
        os.write(self._fd, (record.model_dump_json() + "\n").encode("utf-8"))
        os.fsync(self._fd)
        self.ids.add(record_id)
        return True

    def write_all(self, records: Iterable[BaseModel]) -> int:
        """Append many records; returns how many were new."""
        return sum(self.write(record) for record in records)

    def tally(self) -> str:
        """What the file holds: rows new in this run, kept from earlier ones, and redone."""
        redone = f" ({self.redone} taken out to redo)" if self.redone else ""
        return f"{self.written} new, {self.kept} kept from an earlier run{redone}"

    def close(self) -> None:
        os.close(self._fd)
        self._lock.release()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close()
        if kind is KeyboardInterrupt:
            # counted on disk: the signal may land between a row's write and its bookkeeping
            rows = self.path.read_bytes().count(b"\n")
            sys.stderr.write(
                f"interrupted: {self.path} keeps {rows} rows ({rows - self.kept} new);"
                " run the same command again to resume\n"
            )
        elif kind is None:
            sys.stderr.write(f"{self.path}: {len(self.ids)} rows: {self.tally()}\n")


def _unterminated(path: Path) -> bool:
    """Whether `path` has content after its last newline."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


def replace_file(path: Path, lines: Iterable[str]) -> None:
    """Write `lines` to a temporary file beside `path`, then rename it over `path`."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_records(path: Path | str, records: Iterable[BaseModel]) -> None:
    """Write a whole JSONL file atomically (temp file then rename), holding its write lock."""
    path = Path(path)
    check_writable(path)
    lock = WriteLock(path)
    try:
        replace_file(path, (record.model_dump_json() + "\n" for record in records))
    finally:
        lock.release()
