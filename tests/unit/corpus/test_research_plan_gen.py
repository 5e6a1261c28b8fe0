"""The research-plan-gen schema in and out: JSONL, Parquet and CSV round trips, bad rows."""

from pathlib import Path

import pytest

from rubricrl.corpus.research_plan_gen import (
    ExportConfig,
    ImportConfig,
    export,
    import_samples,
)
from rubricrl.jsonl import load_records
from rubricrl.records import Sample
from tests import EXAMPLES, FIXTURES

EXAMPLE = EXAMPLES / "research_plan_gen.jsonl"


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_import_export_import_round_trip(tmp_path: Path, suffix: str) -> None:
    first = tmp_path / "first.jsonl"
    report = import_samples(ImportConfig(source=str(EXAMPLE), output=first, domain="ml"))
    assert (report.imported, report.failed) == (4, False)
    imported = load_records(first, Sample)
    assert imported[1].id == "or-101:1"
    assert imported[1].provenance.identifier == "abc123XYZ"
    exported = tmp_path / f"exported{suffix}"
    written = export(ExportConfig(samples=first, output=exported))
    assert written.render() == f"wrote 4 samples -> {exported}"
    second = tmp_path / "second.jsonl"
    import_samples(ImportConfig(source=str(exported), output=second, domain="ml"))
    assert load_records(second, Sample) == imported
    again = import_samples(ImportConfig(source=str(exported), output=second, domain="ml"))
    assert (again.imported, again.skipped_existing) == (0, 4)


def test_bad_rows_are_reported_by_number_and_the_rest_imported(tmp_path: Path) -> None:
    source = str(FIXTURES / "research_plan_gen_bad.jsonl")
    report = import_samples(ImportConfig(source=source, output=tmp_path / "s.jsonl"))
    assert report.imported == 1 and report.failed
    assert [line.split(": ", 1)[1] for line in report.bad_rows] == [
        "row 1: missing 'Rubric'",
        "row 2: empty 'Goal'",
        "row 3: 'Rubric' is not a list",
    ]
    lines = str(report.render()).splitlines()
    assert lines[0] == f"skipped {source}: row 1: missing 'Rubric'"
    assert (
        lines[-1] == f"imported 1 samples (0 already there, 3 bad rows) -> {tmp_path / 's.jsonl'}"
    )


def test_the_domain_is_the_flag_else_the_subset_else_each_rows_category(tmp_path: Path) -> None:
    def domains(**given: str) -> list[str | None]:
        output = tmp_path / f"{len(given)}-{'-'.join(given.values())}.jsonl"
        import_samples(ImportConfig(source=str(EXAMPLE), output=output, **given))
        return [sample.provenance.domain for sample in load_records(output, Sample)]

    assert domains() == ["cs.CL", "cs.LG", "medicine", "medicine"]
    assert set(domains(subset="ml")) == {"ml"}
    assert set(domains(subset="ml", domain="nlp")) == {"nlp"}
