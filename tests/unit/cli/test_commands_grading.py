"""`rubricrl grade` and `rubricrl grade-eval`: options checked, agreement printed as a table
or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.jsonl import write_records
from rubricrl.records import Grade, Plan
from tests.builders import grade, verdict
from tests.unit.cli.helpers import invoke


def grades(path: Path, met: list[bool], plan: str = "p") -> str:
    verdicts = [verdict(str(i), satisfied=m) for i, m in enumerate(met)]
    write_records(path, [grade(plan, 0.5, verdicts)])
    return str(path)


def test_grade_eval_prints_agreement(tmp_path: Path) -> None:
    files = (
        grades(tmp_path / "a.jsonl", [True, False, True, False]),
        grades(tmp_path / "b.jsonl", [True, False, False, False]),
    )
    result = invoke("grade-eval", *files, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["accuracy"] == pytest.approx(0.75) and report["kappa"] == pytest.approx(0.5)
    lines = invoke("grade-eval", *files).output.splitlines()
    assert lines[0] == (
        "plans compared: 1 (skipped: 0)  verdicts: 4  accuracy: 0.750  Cohen's kappa: 0.500"
    )
    assert "only grader met" in lines[2]
    assert [cell.strip() for cell in lines[6].split("│")[1:-1]] == ["2", "0", "1", "0", "0"]


def test_grade_eval_without_shared_verdicts_is_an_error(tmp_path: Path) -> None:
    result = invoke(
        "grade-eval",
        grades(tmp_path / "a.jsonl", [True]),
        grades(tmp_path / "b.jsonl", [True], "q"),
    )
    assert isinstance(result.exception, InputError)
    assert "no scored plan shares item verdicts" in str(result.exception)


def test_grade_rejects_an_unknown_mode(
    samples_and_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    result = invoke(
        "grade",
        *map(str, samples_and_plans),
        "-o",
        str(tmp_path / "g.jsonl"),
        "--mode",
        "sometimes",
    )
    assert isinstance(result.exception, InputError)


class Unscoring:
    """A grader whose every grade is unscored (a server refusing every request)."""

    name = "refuser"

    def grade_many(self, pairs: list[tuple[object, Plan]]) -> list[Grade]:
        return [grade(p.id, None, sample_id=p.sample_id, reason="refused") for _, p in pairs]


def test_grade_prints_the_summary_and_exits_1_when_nothing_was_scored(
    samples_and_plans: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rubricrl.grading.stage.GraderChoice.load", lambda self: Unscoring())
    output = tmp_path / "g.jsonl"
    result = invoke("grade", *map(str, samples_and_plans), "-o", str(output))
    assert result.exit_code == 1, result.output
    assert "grades: 6  unscored: 6" in result.output
    assert "failed: no plan got a score" in result.output
