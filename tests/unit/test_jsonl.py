"""JSONL reading errors, crash-safe appends and id skipping."""

import os
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.jsonl import JsonlWriter, load_records, read_records, write_records
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


def test_last_line_without_newline_is_data(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text(plan(1).model_dump_json() + "\n" + plan(2).model_dump_json())
    assert [p.id for p in load_records(path, Plan)] == ["p1", "p2"]


def test_torn_input_line_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text(plan(1).model_dump_json() + "\n" + plan(2).model_dump_json()[:20])
    with pytest.raises(InputError, match=r"plans\.jsonl:2: not valid JSON \(the last line is cut"):
        load_records(path, Plan)


def test_torn_output_tail_is_cut_on_resume(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    write_records(path, [plan(1)])
    with path.open("a") as handle:
        handle.write(plan(2).model_dump_json()[:20])  # a writer killed mid-line
    assert [p.id for p in read_records(path, Plan, torn_tail_ok=True)] == ["p1"]
    with JsonlWriter(path) as writer:
        assert writer.kept == 1
        writer.write(plan(2))
    assert [p.id for p in load_records(path, Plan)] == ["p1", "p2"]


def test_last_whole_line_without_newline_is_kept_on_resume(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text(plan(1).model_dump_json())
    with JsonlWriter(path) as writer:
        writer.write(plan(2))
    assert [p.id for p in load_records(path, Plan)] == ["p1", "p2"]


def test_redo_rows_are_taken_out_and_written_again(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    write_records(path, [plan(1), builders.plan("p2", text=""), plan(3)])
    with JsonlWriter(path, redo=lambda row: not row["text"]) as writer:
        assert (writer.kept, writer.redone) == (2, 1)
        assert "p2" not in writer
        writer.write(plan(2))
        assert writer.written == 1
    assert [p.id for p in load_records(path, Plan)] == ["p1", "p3", "p2"]


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text("".join(p.model_dump_json() + "\n" for p in [plan(1), plan(2), plan(1)]))
    with pytest.raises(
        InputError, match=r"plans\.jsonl:3: duplicate id 'p1' \(first at .*plans\.jsonl:1\)"
    ):
        load_records(path, Plan)


def test_non_utf8_input_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_bytes(plan(1).model_dump_json().encode() + b"\n" + "caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"plans\.jsonl:2: not UTF-8 text"):
        load_records(path, Plan)


def test_empty_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text("\n")
    with pytest.raises(InputError, match=r"plans\.jsonl: no records \(expected Plan rows\)"):
        load_records(path, Plan)
    assert load_records(path, Plan, allow_empty=True) == []


def test_directory_is_named_as_such(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory, expected a JSONL file"):
        load_records(tmp_path, Plan)
    with pytest.raises(InputError, match="is a directory; give a file path"):
        JsonlWriter(tmp_path)


def test_corrupt_output_cannot_be_resumed(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    path.write_text(plan(1).model_dump_json() + "\n[1, 2]\n")
    with pytest.raises(InputError, match=r"plans\.jsonl:2: not a row this stage wrote"):
        JsonlWriter(path)
    assert not (tmp_path / "plans.jsonl.lock").exists()


def test_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "plans.jsonl"
    with JsonlWriter(path), pytest.raises(InputError, match=rf"pid {os.getpid()}"):
        JsonlWriter(path)
    with JsonlWriter(path) as writer:  # released on close
        writer.write(plan(1))
    assert not (tmp_path / "plans.jsonl.lock").exists()


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
