"""Ingest the shared real-paper corpus (../shared/corpus) and the demo corpus in examples/papers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rubricrl.corpus.ingest import ingest, read_paper
from rubricrl.errors import InputError
from rubricrl.jsonl import load_records
from rubricrl.records import Paper
from tests import REPO

CORPUS = REPO.parent / "shared" / "corpus"
DEMO = REPO / "examples" / "papers"


def manifest() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.skipif(not manifest(), reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("row", manifest(), ids=lambda row: row["file"])
def test_manifest_file(row: dict[str, str]) -> None:
    path = CORPUS / row["file"]
    if row["file"].startswith("broken/"):
        with pytest.raises(InputError) as caught:
            read_paper(path)
        message = str(caught.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        return
    paper = read_paper(path)
    assert paper.title and paper.abstract
    assert len(paper.sections) >= 3
    assert paper.format == row["format"]
    # the manifest's title is a reference: the parsed one must share most of its words
    expected = set(row["title"].lower().split()[:5])
    assert len(expected & set(paper.title.lower().split())) >= 3


def test_demo_corpus_ingests_fully(tmp_path: Path) -> None:
    output = tmp_path / "papers.jsonl"
    report = ingest([DEMO], output)
    assert report.failures == []
    papers = load_records(output, Paper)
    assert len(papers) == 8
    assert all(len(p.sections) >= 3 and p.title and p.abstract for p in papers)
    assert sorted(p.domain or "" for p in papers) == ["machine learning"] * 4 + ["medicine"] * 4
    assert len({p.format for p in papers}) >= 3
