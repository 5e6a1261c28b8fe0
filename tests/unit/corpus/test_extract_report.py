"""The extraction report: saved whole, read back equal, old or broken files handled."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rubricrl.corpus.extract_report import ExtractReport, load_report, report_path
from rubricrl.errors import InputError


def test_a_saved_report_loads_back_equal(tmp_path: Path) -> None:
    report = ExtractReport(
        papers=2,
        papers_done=["a"],
        insights=3,
        samples_kept=1,
        dropped_samples=Counter({"goal too short": 2}),
        dropped_items=Counter({"near duplicate": 4}),
        dropped_drafts={"a:2": "goal too short", "a:3": "goal too short"},
        cut_papers={"a": "kept 10 of 20 characters, 1 of 2 whole sections"},
    )
    path = report_path(tmp_path / "samples.jsonl")
    assert path.name == "samples.report.json"
    report.save(path)
    assert load_report(path) == report
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no staging file left behind


def test_no_report_or_one_from_before_papers_done_starts_fresh(tmp_path: Path) -> None:
    assert load_report(tmp_path / "none.report.json") == ExtractReport()
    old = tmp_path / "old.report.json"
    old.write_text('{"papers": 2, "papers_skipped": 0, "samples_kept": 5}')
    assert load_report(old) == ExtractReport()


def test_a_broken_report_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "s.report.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match=r"s\.report\.json"):
        load_report(path)
