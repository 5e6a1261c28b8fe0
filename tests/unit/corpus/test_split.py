"""Split by paper: no paper on both sides, reproducible by seed, written in a datasets form."""

from pathlib import Path

import datasets
import pytest

from rubricrl.corpus.split import SplitConfig, split, split_by_paper, write_split
from rubricrl.errors import InputError
from rubricrl.jsonl import write_records
from rubricrl.records import Sample
from tests import builders


def sample(paper: int, number: int) -> Sample:
    """Goal number `number` of paper p<paper>."""
    return builders.sample(f"p{paper}:{number}", "goal", {"i1": "item"}, paper_id=f"p{paper}")


def test_split_never_puts_a_paper_on_both_sides() -> None:
    samples = [sample(p, n) for p in range(10) for n in range(3)]
    result = split_by_paper(samples, 0.3, seed=4)
    train_papers = {s.provenance.paper_id for s in result.train}
    test_papers = {s.provenance.paper_id for s in result.test}
    assert not train_papers & test_papers
    assert len(test_papers) == 3
    assert len(result.train) + len(result.test) == 30
    assert split_by_paper(samples, 0.3, seed=4) == result
    assert split_by_paper(samples, 0.3, seed=5) != result


def test_split_needs_two_papers() -> None:
    with pytest.raises(InputError, match="need at least 2"):
        split_by_paper([sample(1, 1), sample(1, 2)], 0.5)


def test_split_writes_a_datasets_loadable_form(tmp_path: Path) -> None:
    write_split(split_by_paper([sample(p, 1) for p in range(4)], 0.25), tmp_path)
    loaded = datasets.load_dataset("parquet", data_dir=str(tmp_path / "hf"))
    assert loaded["train"].num_rows == 3
    assert loaded["test"].num_rows == 1
    assert loaded["test"][0]["Rubric"] == ["item"]


def test_the_stage_says_how_many_went_each_way(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    write_records(samples, [sample(p, 1) for p in range(4)])
    summary = split(SplitConfig(samples=samples, output=tmp_path / "out", test_fraction=0.25))
    assert str(summary.render()).startswith(
        f"train: 3 samples, test: 1 samples -> {tmp_path / 'out'}"
    )
    assert (tmp_path / "out" / "test.jsonl").exists()
