"""Batch ingestion: discovery, failures that never stop a batch, errors files, resume, CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rubricrl.cli import _register_commands, app
from rubricrl.corpus.ingest import ingest, write_failures
from rubricrl.jsonl import load_records
from rubricrl.records import Paper

GOOD = "# Good Paper\n\n## Abstract\nFine.\n\n## Idea\nBody text.\n"


def make_folder(root: Path) -> Path:
    folder = root / "papers"
    (folder / "nested").mkdir(parents=True)
    (folder / "good.md").write_text(GOOD)
    (folder / "nested" / "other.md").write_text(GOOD.replace("Good", "Other"))
    (folder / "bad.md").write_text("# Only a title\n")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "figure.png").write_bytes(b"\x89PNG")
    (folder / "part.tex").write_text("\\section{Loose part}\n")
    return folder


def test_batch_continues_past_failures_and_resumes(tmp_path: Path) -> None:
    folder, output = make_folder(tmp_path), tmp_path / "papers.jsonl"
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
    folder, output = make_folder(tmp_path), tmp_path / "papers.jsonl"
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
    report = ingest([make_folder(tmp_path)], tmp_path / "o.jsonl")
    write_failures(tmp_path / "e.tsv", report.failures)
    write_failures(tmp_path / "e.jsonl", report.failures)
    rows = (tmp_path / "e.tsv").read_text().splitlines()
    assert rows[0] == "source\treason" and len(rows) == 3
    records = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert {r["reason"] for r in records} == {f.reason for f in report.failures}


def test_cli_exit_codes(tmp_path: Path) -> None:
    _register_commands()
    runner = CliRunner()
    folder = make_folder(tmp_path)
    failed = runner.invoke(app, ["ingest", str(folder), "-o", str(tmp_path / "o.jsonl")])
    assert failed.exit_code == 1
    assert "empty file (0 bytes)" in failed.output
    (folder / "bad.md").unlink()
    (folder / "empty.pdf").unlink()
    clean = runner.invoke(app, ["ingest", str(folder), "-o", str(tmp_path / "o.jsonl")])
    assert clean.exit_code == 0, clean.output
