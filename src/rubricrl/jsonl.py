"""JSONL of records: reading with `file:line` errors, and crash-safe appending that skips written ids."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from rubricrl.errors import InputError

R = TypeVar("R", bound=BaseModel)


def _first_error(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail["loc"]) or "row"
    return f"{where}: {detail['msg']}"


def read_records(path: Path | str, record_type: type[R]) -> Iterator[R]:
    """Yield the records of a JSONL file; a bad line raises InputError naming `file:line`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if not line.endswith("\n"):
                return  # a torn last line from a killed writer: the writer repairs it on reopen
            try:
                yield record_type.model_validate_json(line)
            except ValidationError as error:
                if error.errors()[0]["type"] == "json_invalid":
                    raise InputError(f"{path}:{number}: not valid JSON") from None
                raise InputError(
                    f"{path}:{number}: not a {record_type.__name__}: {_first_error(error)}"
                ) from None


def load_records(path: Path | str, record_type: type[R]) -> list[R]:
    """All records of a JSONL file as a list."""
    return list(read_records(path, record_type))


def written_ids(path: Path | str) -> set[str]:
    """Ids already present in a JSONL file (empty when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return set()
    ids = set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.endswith("\n") and line.strip():
                ids.add(str(json.loads(line)["id"]))
    return ids


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line that lacks its newline: the remains of a writer killed mid-write."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if data.endswith(b"\n"):
            return
        handle.truncate(data.rfind(b"\n") + 1)


class JsonlWriter:
    """Append records to a JSONL file, one `write` call per line, skipping ids already written.

    Each line goes out in a single write on an O_APPEND descriptor and is flushed to disk,
    so a killed process leaves whole lines; a torn tail from a crash is cut on reopen.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _drop_torn_tail(self.path)
        self.ids = written_ids(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __contains__(self, record_id: str) -> bool:
        return record_id in self.ids

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

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_records(path: Path | str, records: Iterable[BaseModel]) -> None:
    """Write a whole JSONL file atomically (temp file then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.model_dump_json() + "\n")
    os.replace(temporary, path)
