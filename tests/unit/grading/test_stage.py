"""The grade stage: resumable grading of a plans file, and its summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.errors import BackendError, InputError
from rubricrl.grading.grader import Grader
from rubricrl.grading.stage import grade_file
from rubricrl.jsonl import load_records, write_records
from rubricrl.records import Grade
from tests.builders import plan
from tests.fakes import ScriptedBackend


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


def test_grading_a_file_resumes_without_asking_again(
    samples_and_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "grades.jsonl"
    backend = ScriptedBackend(first_item_only)
    summary = grade_file(
        *samples_and_plans, out, lambda: Grader(backend), batch_size=4, progress=False
    )
    assert (summary.grades, summary.unscored, summary.mean_score) == (6, 0, 0.5)
    assert summary.item_satisfaction == {"s0/1": 1.0, "s0/2": 0.0, "s1/1": 1.0, "s1/2": 0.0}
    asked = len(backend.conversations)
    assert asked == 6
    again = grade_file(*samples_and_plans, out, lambda: Grader(backend), progress=False)
    assert len(backend.conversations) == asked and again == summary
    assert len(load_records(out, Grade)) == 6


def test_plans_of_unknown_samples_are_an_input_error(
    samples_and_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    samples, _ = samples_and_plans
    write_records(tmp_path / "odd.jsonl", [plan("x", "nope", "t")])
    with pytest.raises(InputError, match="missing from"):
        grade_file(
            samples,
            tmp_path / "odd.jsonl",
            tmp_path / "g.jsonl",
            pytest.fail,  # never loaded
        )


def test_unscored_grades_are_graded_again_and_the_grader_loads_only_for_work(
    samples_and_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "grades.jsonl"
    down = ScriptedBackend(lambda conversation: "not a verdict")
    first = grade_file(*samples_and_plans, out, lambda: Grader(down), progress=False)
    assert first.unscored == first.grades > 0
    backend = ScriptedBackend(first_item_only)
    again = grade_file(*samples_and_plans, out, lambda: Grader(backend), progress=False)
    assert (again.grades, again.unscored, again.mean_score) == (first.grades, 0, 0.5)
    assert len(backend.conversations) == first.grades  # only the unscored rows were asked again
    done = grade_file(*samples_and_plans, out, pytest.fail, progress=False)  # nothing left to do
    assert done == again


def test_a_backend_failure_says_how_many_grades_were_kept(
    samples_and_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "grades.jsonl"
    backend = ScriptedBackend(first_item_only, fail_on=2)
    with pytest.raises(
        BackendError, match=r"; 4 of 6 plans done and kept in .*, re-run to resume$"
    ):
        grade_file(*samples_and_plans, out, lambda: Grader(backend), batch_size=4, progress=False)
    assert len(load_records(out, Grade)) == 4
