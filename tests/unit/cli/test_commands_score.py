"""`rubricrl score`: the evaluation grader must not be the training grader."""

from __future__ import annotations

from pathlib import Path

from rubricrl.errors import InputError
from tests.unit.cli.helpers import invoke


def test_the_training_grader_is_refused_as_the_evaluation_grader(
    samples_and_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    samples, plans = samples_and_plans
    result = invoke(
        "score", str(samples), str(plans), "-o", str(tmp_path / "grades.jsonl"),
        "--grader", "embedded", "--training-grader", "embedded",
    )  # fmt: skip
    assert isinstance(result.exception, InputError)
    assert "is the training grader" in str(result.exception)
    assert not (tmp_path / "grades.jsonl").exists()
