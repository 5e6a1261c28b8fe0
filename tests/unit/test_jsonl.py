"""JSONL reading errors, crash-safe appends and id skipping."""

from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.jsonl import JsonlWriter, load_records, write_records
from rubricrl.records import Plan
from tests import builders


def plan(number: int) -> Plan:
    return builders.plan(f"p{number}", text=f"plan {number}")


def test_writer_skips_ids_already_written(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    with JsonlWriter(path) as writer:
        assert writer.write_all([plan(1), plan(2)]) == 2
    with JsonlWriter(path) as writer:
        assert "p1" in writer
        assert writer.write_all([plan(2), plan(3)]) == 1
    assert [p.id for p in load_records(path, Plan)] == ["p1", "p2", "p3"]


def test_torn_last_line_is_ignored_then_repaired(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    write_records(path, [plan(1)])
    with path.open("a") as handle:
        handle.write(plan(2).model_dump_json()[:20])  # a writer killed mid-line
    assert [p.id for p in load_records(path, Plan)] == ["p1"]
    with JsonlWriter(path) as writer:
        writer.write(plan(2))
    assert [p.id for p in load_records(path, Plan)] == ["p1", "p2"]


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text(plan(1).model_dump_json() + "\n{oops\n")
    with pytest.raises(InputError, match=r"plans\.jsonl:2: not valid JSON"):
        load_records(path, Plan)


def test_wrong_record_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text('{"id": "p1", "sample_id": "s", "model": "m"}\n')
    with pytest.raises(InputError, match=r"plans\.jsonl:1: not a Plan: text: Field required"):
        load_records(path, Plan)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_records(tmp_path / "absent.jsonl", Plan)
