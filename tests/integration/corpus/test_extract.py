"""The sample creator on real papers with the real embedded model."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.backends.base import ChatBackend
from rubricrl.corpus.creator_defaults import RulesGiven
from rubricrl.corpus.extract import ExtractConfig, extract
from rubricrl.corpus.ingest import ingest
from rubricrl.jsonl import load_records
from rubricrl.records import Sample
from tests import REPO

CORPUS = REPO.parent / "shared" / "corpus"
PAPERS = ["jats/pntd.0002065.nxml", "jats/PMC5828200.nxml", "pdf/N18-3011.pdf"]


@pytest.mark.model
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_extract_three_real_papers(embedded: ChatBackend, tmp_path: Path) -> None:
    papers, out = tmp_path / "papers.jsonl", tmp_path / "samples.jsonl"
    ingest([CORPUS / name for name in PAPERS], papers)
    config = ExtractConfig(
        papers=papers,
        output=out,
        insights=1,
        draft_items=5,
        max_paper_chars=2500,
        max_goal_chars=500,
        max_item_chars=120,
        max_reference_chars=500,
        max_tokens=700,
        rules=RulesGiven(keep_items=4, min_items=2, min_item_words=3),
    )
    report = extract(config, embedded)
    print(report.to_json())  # the selection counts and drop reasons, shown with -s
    samples = load_records(out, Sample)
    assert report.papers == 3
    assert report.insights == 3  # constrained decoding: every paper yields a readable reply
    assert report.samples_kept == len(samples)
    assert report.samples_kept + sum(report.dropped_samples.values()) == 3
    assert not any("no valid JSON" in reason for reason in report.dropped_samples)
    assert len(report.cut_papers) == 3  # each paper is longer than the budget, and it says so
    for sample in samples:
        assert sample.goal and sample.reference_solution
        assert 2 <= len(sample.rubric) <= 4
        assert sample.provenance.creator == embedded.spec
