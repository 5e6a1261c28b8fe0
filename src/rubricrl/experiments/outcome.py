"""The learning experiment's answer: per-model held-out scores, and arm differences paired by goal.

A goal is the unit: each model's score on a goal is the mean over its sampled plans, and every
interval is a percentile bootstrap over goals (differences of two models on the same goals, so the
pairing removes how hard each goal is). Format is counted apart from content.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence

from rubricrl.grading.parse import count_words, extract_plan, has_solution
from rubricrl.records import Grade, Plan, Record
from rubricrl.stats import mean_with_ci

RESAMPLES = 2000
CONTROLS = ("shuffled", "self")  # what the rubric arm is compared with, when trained


class Interval(Record):
    """A mean over goals with its 95% bootstrap interval."""

    value: float
    low: float
    high: float
    goals: int


class ModelOutcome(Record):
    """One model's sampled plans on a held-out set, graded by the independent grader."""

    model: str
    plans: int
    unscored: int
    score: Interval  # rubric score on the goal's own rubric
    specificity: Interval  # own-rubric score minus the mean on other goals' rubrics
    format_share: float  # plans with a <solution> block within the word limit
    mean_words: float
    goal_scores: dict[str, float]
    goal_specificity: dict[str, float]


class Difference(Record):
    """`first` minus `second` on the same goals: the mean paired difference and its interval."""

    first: str
    second: str
    measure: str
    difference: Interval


class LearningResult(Record):
    """The answer for one held-out set."""

    heldout: str
    models: list[ModelOutcome]
    differences: list[Difference]

    def markdown(self) -> str:
        """The table and the paired differences, as the docs page and the CLI show them."""
        lines = [
            f"### Held-out set `{self.heldout}`",
            "",
            "| model | plans | score [95% CI] | specificity [95% CI] | format share | words |",
            "|---|---:|---|---|---:|---:|",
        ]
        for model in self.models:
            lines.append(
                f"| {model.model} | {model.plans} | {_interval(model.score)} | "
                f"{_interval(model.specificity)} | {model.format_share:.2f} | "
                f"{model.mean_words:.0f} |"
            )
        lines += ["", "| difference (paired by goal) | measure | mean [95% CI] | excludes 0 |"]
        lines.append("|---|---|---|---|")
        for diff in self.differences:
            interval = diff.difference
            excludes = "yes" if interval.low > 0 or interval.high < 0 else "no"
            lines.append(
                f"| {diff.first} - {diff.second} | {diff.measure} | {_interval(interval)} | "
                f"{excludes} |"
            )
        return "\n".join(lines)


def _interval(interval: Interval) -> str:
    return f"{interval.value:+.4f} [{interval.low:+.4f}, {interval.high:+.4f}]"


def goal_means(grades: Sequence[Grade]) -> dict[str, float]:
    """Each goal's mean score over its scored plans (goals with none scored are left out)."""
    by_goal: dict[str, list[float]] = defaultdict(list)
    for grade in grades:
        if grade.score is not None:
            by_goal[grade.sample_id].append(grade.score)
    return {goal: statistics.fmean(scores) for goal, scores in sorted(by_goal.items())}


def interval(values: Sequence[float], seed: int = 0) -> Interval:
    estimate = mean_with_ci(values, RESAMPLES, seed)
    return Interval(value=estimate.value, low=estimate.low, high=estimate.high, goals=estimate.n)


def in_format(text: str, word_limit: int) -> bool:
    """A plan in the asked format: a <solution> block, within the word limit."""
    return has_solution(text) and count_words(extract_plan(text)) <= word_limit


def model_outcome(
    model: str,
    plans: Sequence[Plan],
    scores: Sequence[Grade],
    specificity: Sequence[Grade],
    word_limit: int,
    seed: int = 0,
) -> ModelOutcome:
    """Summarise one model's graded plans."""
    goal_scores, goal_specificity = goal_means(scores), goal_means(specificity)
    if not goal_scores or not goal_specificity:
        raise ValueError(f"{model}: no plan was scored")
    return ModelOutcome(
        model=model,
        plans=len(plans),
        unscored=sum(grade.score is None for grade in scores),
        score=interval(list(goal_scores.values()), seed),
        specificity=interval(list(goal_specificity.values()), seed),
        format_share=statistics.fmean(in_format(p.text, word_limit) for p in plans),
        mean_words=statistics.fmean(count_words(extract_plan(p.text)) for p in plans),
        goal_scores=goal_scores,
        goal_specificity=goal_specificity,
    )


def paired_difference(
    first: ModelOutcome, second: ModelOutcome, measure: str, seed: int = 0
) -> Difference:
    """`first` minus `second` over the goals both scored, with a bootstrap interval over goals."""
    a = first.goal_scores if measure == "score" else first.goal_specificity
    b = second.goal_scores if measure == "score" else second.goal_specificity
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise ValueError(f"{first.model} and {second.model} share no scored goal")
    values = [a[goal] - b[goal] for goal in shared]
    return Difference(
        first=first.model, second=second.model, measure=measure, difference=interval(values, seed)
    )


def compare_models(
    heldout: str, outcomes: Mapping[str, ModelOutcome], base: str = "base", seed: int = 0
) -> LearningResult:
    """Every arm against base, and the rubric arm against each control that was trained."""
    pairs = [(arm, base) for arm in outcomes if arm != base]
    if "rubric" in outcomes:
        pairs += [("rubric", control) for control in CONTROLS if control in outcomes]
    differences = [
        paired_difference(outcomes[first], outcomes[second], measure, seed)
        for first, second in pairs
        for measure in ("score", "specificity")
    ]
    return LearningResult(heldout=heldout, models=list(outcomes.values()), differences=differences)
