"""The experiment's answer: goal means, format share, and differences paired by goal."""

from __future__ import annotations

import pytest

from rubricrl.experiments.outcome import (
    ModelOutcome,
    compare_models,
    goal_means,
    in_format,
    model_outcome,
    paired_difference,
)
from tests.builders import grade, plan


def outcome(name: str, scores: dict[str, list[float | None]], text: str = "x") -> ModelOutcome:
    plans, grades = [], []
    for goal, values in scores.items():
        for index, value in enumerate(values):
            plans.append(plan(f"{goal}#{index}", goal, text, model=name, index=index))
            grades.append(grade(f"{goal}#{index}", value, sample_id=goal))
    return model_outcome(name, plans, grades, grades, word_limit=5)


def test_goal_means_average_scored_plans_only() -> None:
    grades = [grade("a", 0.5, sample_id="g1"), grade("b", None, sample_id="g1")]
    grades += [grade("c", 1.0, sample_id="g2"), grade("d", 0.0, sample_id="g2")]
    assert goal_means(grades) == {"g1": 0.5, "g2": 0.5}


def test_format_needs_a_solution_block_within_the_word_limit() -> None:
    assert in_format("<solution>one two three</solution>", word_limit=5)
    assert not in_format("<solution>one two three four five six</solution>", word_limit=5)
    assert not in_format("one two", word_limit=5)


def test_model_outcome_counts_plans_format_and_unscored() -> None:
    result = outcome("m", {"g1": [0.2, None], "g2": [0.4, 0.6]}, "<solution>a b</solution>")
    assert (result.plans, result.unscored, result.format_share) == (4, 1, 1.0)
    assert result.score.value == pytest.approx((0.2 + 0.5) / 2)
    assert result.score.goals == 2


def test_pairing_removes_goal_difficulty() -> None:
    """Goals differ widely; the arm is better by exactly 0.1 on each, so the interval is tight."""
    base = outcome("base", {f"g{i}": [i / 10] for i in range(8)})
    arm = outcome("arm", {f"g{i}": [i / 10 + 0.1] for i in range(8)})
    diff = paired_difference(arm, base, "score").difference
    assert diff.value == pytest.approx(0.1)
    assert diff.low == pytest.approx(0.1) and diff.high == pytest.approx(0.1)
    assert not arm.score.low > base.score.high  # unpaired, the intervals overlap


def test_differences_use_only_shared_goals() -> None:
    first = outcome("a", {"g1": [1.0], "g2": [1.0]})
    second = outcome("b", {"g2": [0.5], "g3": [0.0]})
    assert paired_difference(first, second, "score").difference.goals == 1
    with pytest.raises(ValueError, match="share no scored goal"):
        paired_difference(first, outcome("c", {"g9": [0.0]}), "score")


def test_every_arm_against_base_and_rubric_against_each_control() -> None:
    models = {
        name: outcome(name, {"g1": [0.5], "g2": [0.5]})
        for name in ("base", "rubric", "shuffled", "self")
    }
    result = compare_models("heldout", models)
    pairs = {(d.first, d.second) for d in result.differences}
    assert pairs == {
        ("rubric", "base"),
        ("shuffled", "base"),
        ("self", "base"),
        ("rubric", "shuffled"),
        ("rubric", "self"),
    }
    assert {d.measure for d in result.differences} == {"score", "specificity"}
    table = result.markdown()
    assert "| rubric - shuffled | score |" in table and "| shuffled | 2 |" in table


def test_a_model_with_nothing_scored_is_an_error() -> None:
    with pytest.raises(ValueError, match="no plan was scored"):
        outcome("m", {"g1": [None]})
