"""The grade stage and its CLI: resumable grading of a plans file, summaries, and grade-eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rubricrl.backends.base import Conversation
from rubricrl.backends.fake import FakeBackend
from rubricrl.cli import _register_commands, app
from rubricrl.errors import InputError
from rubricrl.grading.grader import Grader
from rubricrl.grading.stage import grade_file
from rubricrl.jsonl import load_records, write_records
from rubricrl.records import Grade, Plan, Provenance, RubricItem, Sample, Verdict


def first_item_only(conversation: Conversation) -> str:
    """Passes item 1, fails item 2."""
    return json.dumps(
        {
            "verdicts": [
                {"item_id": "1", "rationale": "", "violated": []},
                {"item_id": "2", "rationale": "", "violated": [4]},
            ]
        }
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    samples = [
        Sample(
            id=f"s{n}",
            goal="g",
            rubric=[RubricItem(id="1", text="x"), RubricItem(id="2", text="y")],
            reference_solution="r",
            provenance=Provenance(paper_id="p", creator="c"),
        )
        for n in range(2)
    ]
    plans = [
        Plan(id=f"s{n}-{k}", sample_id=f"s{n}", model="m", text="plan")
        for n in range(2)
        for k in range(3)
    ]
    write_records(tmp_path / "samples.jsonl", samples)
    write_records(tmp_path / "plans.jsonl", plans)
    return tmp_path / "samples.jsonl", tmp_path / "plans.jsonl"


def test_grading_a_file_resumes_without_asking_again(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "grades.jsonl"
    backend = FakeBackend(first_item_only)
    summary = grade_file(*files, out, Grader(backend), batch_size=4, progress=False)
    assert (summary.grades, summary.unscored, summary.mean_score) == (6, 0, 0.5)
    assert summary.item_satisfaction == {"s0/1": 1.0, "s0/2": 0.0, "s1/1": 1.0, "s1/2": 0.0}
    asked = len(backend.calls)
    assert asked == 6
    again = grade_file(*files, out, Grader(backend), progress=False)
    assert len(backend.calls) == asked and again == summary
    assert len(load_records(out, Grade)) == 6


def test_plans_of_unknown_samples_are_an_input_error(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    samples, _ = files
    write_records(tmp_path / "odd.jsonl", [Plan(id="x", sample_id="nope", model="m", text="t")])
    with pytest.raises(InputError, match="missing from"):
        grade_file(samples, tmp_path / "odd.jsonl", tmp_path / "g.jsonl", Grader(FakeBackend([])))


def test_grade_eval_prints_agreement(tmp_path: Path) -> None:
    def grades(path: Path, met: list[bool]) -> Path:
        verdicts = [Verdict(item_id=str(i), satisfied=m) for i, m in enumerate(met)]
        write_records(
            path,
            [Grade(id="p", plan_id="p", sample_id="s", grader="g", verdicts=verdicts, score=0.5)],
        )
        return path

    _register_commands()
    result = CliRunner().invoke(
        app,
        [
            "grade-eval",
            str(grades(tmp_path / "a.jsonl", [True, False, True, False])),
            str(grades(tmp_path / "b.jsonl", [True, False, False, False])),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["accuracy"] == pytest.approx(0.75) and report["kappa"] == pytest.approx(0.5)


def test_grade_rejects_an_unknown_mode(files: tuple[Path, Path], tmp_path: Path) -> None:
    _register_commands()
    result = CliRunner().invoke(
        app, ["grade", *map(str, files), "-o", str(tmp_path / "g.jsonl"), "--mode", "sometimes"]
    )
    assert isinstance(result.exception, InputError)
