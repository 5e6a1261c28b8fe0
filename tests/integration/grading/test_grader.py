"""The embedded model grades real plans for three goals in both modes, with readable verdicts."""

from __future__ import annotations

import json

import pytest

from rubricrl.backends.base import ChatBackend
from rubricrl.grading.grader import Grader, JudgeGrading
from rubricrl.records import Sample
from tests import EXAMPLES
from tests.builders import plan, sample

pytestmark = pytest.mark.model

FIXTURE = EXAMPLES / "research_plan_gen.jsonl"


def goals() -> list[Sample]:
    """Three fixture goals, each cut to its first two rubric items to keep the run short."""
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()][:3]
    return [
        sample(
            f"g{n}",
            row["Goal"],
            row["Rubric"][:2],
            row["Reference solution"],
            paper_id=row["article_id"],
            creator="test",
        )
        for n, row in enumerate(rows)
    ]


@pytest.mark.parametrize("mode", ["all", "per-item"])
def test_embedded_model_grades_real_plans(
    embedded_each_dtype: ChatBackend, mode: str, record_property: pytest.RecordProperty
) -> None:
    samples = goals()
    pairs = [
        (
            goal,
            plan(
                f"{goal.id}-p",
                goal.id,
                f"<think>short</think><solution>{goal.reference_solution}</solution>",
                model="test",
            ),
        )
        for goal in samples
    ]
    config = JudgeGrading(mode=mode, rationale_chars=60, retries=1)  # type: ignore[arg-type]
    grades = Grader(embedded_each_dtype, config).grade_many(pairs)
    unscored = sum(grade.score is None for grade in grades) / len(grades)
    record_property("unscored_share", unscored)
    print(f"{mode}: unscored share {unscored:.2f}, scores {[g.score for g in grades]}")
    for (goal, _), grade in zip(pairs, grades, strict=True):
        if grade.score is None:
            assert grade.reason
            continue
        assert [v.item_id for v in grade.verdicts] == [item.id for item in goal.rubric]
        assert 0.0 <= grade.score <= 1.0
        assert all(v.satisfied == (not v.violated) for v in grade.verdicts)
    # JSON-schema constrained decoding leaves the grader no way to write an unreadable reply.
    assert unscored == 0.0
