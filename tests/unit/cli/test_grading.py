"""`rubricrl grade` and `rubricrl grade-eval`: options checked, agreement printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.jsonl import write_records
from tests.builders import grade, verdict
from tests.unit.cli.helpers import invoke


def test_grade_eval_prints_agreement(tmp_path: Path) -> None:
    def grades(path: Path, met: list[bool]) -> Path:
        verdicts = [verdict(str(i), satisfied=m) for i, m in enumerate(met)]
        write_records(path, [grade("p", 0.5, verdicts)])
        return path

    result = invoke(
        "grade-eval",
        str(grades(tmp_path / "a.jsonl", [True, False, True, False])),
        str(grades(tmp_path / "b.jsonl", [True, False, False, False])),
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["accuracy"] == pytest.approx(0.75) and report["kappa"] == pytest.approx(0.5)


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
