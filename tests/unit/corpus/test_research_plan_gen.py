"""Split by paper, and the research-plan-gen schema in and out."""

from pathlib import Path

import datasets
import pytest

from rubricrl.corpus.research_plan_gen import export_samples, import_samples
from rubricrl.corpus.split import split_by_paper, write_split
from rubricrl.errors import InputError
from rubricrl.jsonl import load_records
from rubricrl.records import Provenance, RubricItem, Sample
from tests import EXAMPLES, FIXTURES

EXAMPLE = EXAMPLES / "research_plan_gen.jsonl"


def sample(paper: int, number: int) -> Sample:
    return Sample(
        id=f"p{paper}:{number}",
        goal="goal",
        rubric=[RubricItem(id="i1", text="item")],
        reference_solution="ref",
        provenance=Provenance(paper_id=f"p{paper}", creator="c"),
    )


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


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_import_export_import_round_trip(tmp_path: Path, suffix: str) -> None:
    first = tmp_path / "first.jsonl"
    report = import_samples(str(EXAMPLE), first, None, "train", "ml")
    assert report.imported == 4
    imported = load_records(first, Sample)
    assert imported[1].id == "or-101:1"
    assert imported[1].provenance.identifier == "abc123XYZ"
    exported = tmp_path / f"exported{suffix}"
    export_samples(imported, exported)
    second = tmp_path / "second.jsonl"
    import_samples(str(exported), second, None, "train", "ml")
    assert load_records(second, Sample) == imported


def test_bad_rows_are_reported_by_number_and_the_rest_imported(tmp_path: Path) -> None:
    source = str(FIXTURES / "research_plan_gen_bad.jsonl")
    report = import_samples(source, tmp_path / "s.jsonl", None, "train", None)
    assert report.imported == 1
    assert [line.split(": ", 1)[1] for line in report.bad_rows] == [
        "row 1: missing 'Rubric'",
        "row 2: empty 'Goal'",
        "row 3: 'Rubric' is not a list",
    ]
