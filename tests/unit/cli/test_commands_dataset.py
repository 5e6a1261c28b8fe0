"""`rubricrl split` and the other dataset commands: malformed input is one line naming it."""

from __future__ import annotations

from pathlib import Path

from tests.unit.cli.helpers import assert_one_line_error, run_cli


def test_malformed_jsonl_names_file_and_line(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("{not json}\n")
    result = run_cli("split", str(samples), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, f"{samples}:1", "not valid JSON")
