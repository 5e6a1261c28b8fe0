"""`rubricrl split` and the other dataset commands: malformed input is one line naming it, and
an extraction that keeps nothing exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.jsonl import write_records
from tests.builders import paper
from tests.fakes import ScriptedBackend
from tests.unit.cli.helpers import assert_one_line_error, invoke, run_cli


def test_malformed_jsonl_names_file_and_line(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("{not json}\n")
    result = run_cli("split", str(samples), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, f"{samples}:1", "not valid JSON")


def test_extract_prints_the_report_and_exits_1_when_no_sample_was_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [paper("p1", "A paper", "An abstract.", {"Methods": "We did."})])
    creator = ScriptedBackend("no insight in this reply", spec="fake-creator")
    monkeypatch.setattr("rubricrl.corpus.extract.load_backend", lambda spec: creator)
    result = invoke("extract", str(papers), "-o", str(tmp_path / "samples.jsonl"))
    assert result.exit_code == 1, result.output
    assert "samples kept" in result.output
    assert "failed: no sample kept from 1 papers" in result.output
