"""The extraction report: saved whole, read back equal, old or broken files handled."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from rubricrl.corpus.extract_report import ExtractReport, load_report, report_path
from rubricrl.errors import InputError


def test_a_saved_report_loads_back_equal(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.touch()
    report = ExtractReport(
        output=samples,
        papers=2,
        papers_done=["a"],
        insights=3,
        samples_kept=1,
        dropped_samples=Counter({"goal too short": 2}),
        dropped_items=Counter({"near duplicate": 4}),
        dropped_drafts={"a:2": "goal too short", "a:3": "goal too short"},
        cut_papers={"a": "kept 10 of 20 characters, 1 of 2 whole sections"},
    )
    path = report_path(samples)
    assert path.name == "samples.report.json"
    report.save()
    assert load_report(samples) == report
    assert sorted(p.name for p in tmp_path.iterdir()) == [samples.name, path.name]  # no staging


def test_no_report_or_one_from_before_papers_done_starts_fresh(tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    old.touch()
    assert load_report(old) == ExtractReport(output=old)
    report_path(old).write_text('{"papers": 2, "papers_skipped": 0, "samples_kept": 5}')
    assert load_report(old) == ExtractReport(output=old)


def test_a_report_without_its_samples_starts_fresh(tmp_path: Path) -> None:
    samples = tmp_path / "s.jsonl"
    ExtractReport(output=samples, papers=1, papers_done=["a"]).save()
    assert load_report(samples) == ExtractReport(output=samples)


def test_the_summary_names_the_counts_and_the_report(tmp_path: Path) -> None:
    report = ExtractReport(output=tmp_path / "s.jsonl", papers=2, papers_done=["a"])
    report.dropped_samples["goal too short"] += 1
    console = Console(width=200, record=True)
    console.print(report.render())
    text = console.export_text()
    assert "papers (finished)" in text and "2 (1)" in text
    assert "sample dropped: goal too short" in text
    assert f"report: {tmp_path / 's.report.json'}" in text


def test_a_broken_report_names_its_file(tmp_path: Path) -> None:
    samples = tmp_path / "s.jsonl"
    samples.touch()
    report_path(samples).write_text("{not json")
    with pytest.raises(InputError, match=r"s\.report\.json"):
        load_report(samples)


def test_papers_read_without_a_sample_kept_are_a_failed_run(tmp_path: Path) -> None:
    nothing_read = ExtractReport(output=tmp_path / "s.jsonl", papers=2)
    assert not nothing_read.failed
    report = ExtractReport(output=tmp_path / "s.jsonl", papers=2, papers_done=["a", "b"])
    assert report.failed
    console = Console(width=200, record=True)
    console.print(report.render())
    assert "failed: no sample kept from 2 papers" in console.export_text()
    assert not ExtractReport(output=report.output, papers_done=["a"], samples_kept=1).failed
