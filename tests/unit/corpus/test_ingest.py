"""Batch ingestion: discovery, failures that never stop a batch, errors files, resume."""

from __future__ import annotations

import json
from pathlib import Path

from rubricrl.corpus.ingest import IngestConfig, ingest, ingest_papers, write_failures
from rubricrl.jsonl import load_records
from rubricrl.records import Paper
from tests.builders import paper_folder


def test_batch_continues_past_failures_and_resumes(tmp_path: Path) -> None:
    folder, output = paper_folder(tmp_path), tmp_path / "papers.jsonl"
    report = ingest([folder], output)
    assert sum(report.written.values()) == 2
    assert {Path(f.source).name: f.reason for f in report.failures} == {
        "bad.md": "no abstract or body sections found",
        "empty.pdf": "empty file (0 bytes)",
    }
    assert report.passed_over == {".png": 1, ".tex": 1}
    titles = sorted(p.title for p in load_records(output, Paper))
    assert titles == ["Good Paper", "Other Paper"]

    again = ingest([folder], output)
    assert (sum(again.written.values()), again.already_done) == (0, 2)
    assert len(load_records(output, Paper)) == 2


def test_domain_option_applies_to_every_paper(tmp_path: Path) -> None:
    folder, output = paper_folder(tmp_path), tmp_path / "papers.jsonl"
    ingest([folder], output, domain="physics")
    assert {p.domain for p in load_records(output, Paper)} == {"physics"}


def test_empty_folder_images_only_and_missing_path(tmp_path: Path) -> None:
    empty, images = tmp_path / "empty", tmp_path / "images"
    empty.mkdir()
    images.mkdir()
    (images / "a.png").write_bytes(b"x")
    (images / "b.jpg").write_bytes(b"x")
    report = ingest([empty, images, tmp_path / "nope", images / "a.png"], tmp_path / "o.jsonl")
    reasons = [f.reason for f in report.failures]
    assert reasons[0] == "empty folder"
    assert reasons[1].startswith("no papers found (1 .jpg, 1 .png files;")
    assert reasons[2] == "no such file or folder"
    assert reasons[3].startswith("unsupported file type '.png'")


def test_failures_file_formats(tmp_path: Path) -> None:
    report = ingest([paper_folder(tmp_path)], tmp_path / "o.jsonl")
    write_failures(tmp_path / "e.tsv", report.failures)
    write_failures(tmp_path / "e.jsonl", report.failures)
    rows = (tmp_path / "e.tsv").read_text().splitlines()
    assert rows[0] == "source\treason" and len(rows) == 3
    records = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert {r["reason"] for r in records} == {f.reason for f in report.failures}


def test_the_stage_writes_errors_and_its_summary_names_every_failure(tmp_path: Path) -> None:
    folder, errors = paper_folder(tmp_path), tmp_path / "errors.tsv"
    config = IngestConfig(paths=[folder], output=tmp_path / "o.jsonl", errors=errors)
    report = ingest_papers(config)
    assert report.failed
    assert len(errors.read_text().splitlines()) == 3
    lines = str(report.render()).splitlines()
    assert lines[0] == f"wrote 2 papers (text 2) to {config.output}; 0 already there; 2 failed"
    assert lines[1] == "passed over (not papers): 1 .png, 1 .tex"
    assert {line.rsplit(": ", 1)[1] for line in lines[2:]} == {
        "no abstract or body sections found",
        "empty file (0 bytes)",
    }
