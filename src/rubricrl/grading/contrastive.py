"""A reward that pays only for the goal: a plan's score on its own rubric minus its mean score on
other goals' rubrics.

Goal-agnostic text (methodology boilerplate, padding) earns about the same on every rubric, so
the contrast cancels it; a plan that answers its goal keeps its lead on that goal's rubric. The
other goals are a fixed, seeded draw per goal from a pool (the training or probe goals), so every
plan of one GRPO group is contrasted against the same rubrics.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rubricrl.errors import InputError
from rubricrl.grading.grader import GradingTarget, PlanGrader, plan_grade
from rubricrl.grading.score import probability_score
from rubricrl.records import Grade, Plan

Reward = Literal["score", "probability"]
"""What a reward reads of a grade: its score, or its items' mean P(satisfied)."""


@dataclass(frozen=True)
class Contrast:
    """Contrast each plan with `others` goals drawn from `pool`."""

    pool: tuple[GradingTarget, ...]
    others: int


def grade_value(grade: Grade, target: GradingTarget, value: Reward) -> float | None:
    """The grade's score, or its items' mean P(satisfied) (None: unscored; a grader that gives
    no probabilities at all is a configuration error, not a bad plan)."""
    if value == "score" or grade.score is None:
        return grade.score
    probability = probability_score(target.rubric, grade.verdicts)
    if probability is None and grade.verdicts:
        raise InputError(f"reward `probability`: grader {grade.grader} gives no probabilities")
    return probability


class ContrastiveGrader:
    """Wraps any PlanGrader: the Grade keeps the own-rubric verdicts, its score is the contrast
    (with no other goals, the plain value: a probability reader for the probe).

    Own and other rubrics are graded in one `grade_many` call of the wrapped grader. A plan is
    unscored when its own grade or any contrast grade is.
    """

    def __init__(
        self,
        grader: PlanGrader,
        pool: Sequence[GradingTarget],
        others: int,
        value: Reward = "score",
        seed: int = 0,
    ) -> None:
        self.grader = grader
        self.pool = {target.id: target for target in pool if target.rubric}
        self.others = others
        self.value = value
        self.seed = seed
        self.name = f"{grader.name}|" + (f"contrast{others}-{value}" if others else value)

    def contrasts(self, target: GradingTarget) -> list[GradingTarget]:
        """The other goals whose rubrics `target`'s plans are also graded on (seeded per goal)."""
        candidates = sorted(id_ for id_ in self.pool if id_ != target.id)
        rng = random.Random(f"{self.seed}:{target.id}")
        chosen = rng.sample(candidates, min(self.others, len(candidates)))
        return [self.pool[id_] for id_ in chosen]

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        groups = [[target, *self.contrasts(target)] for target, _ in pairs]
        expanded = [
            (goal, plan) for group, (_, plan) in zip(groups, pairs, strict=True) for goal in group
        ]
        grades = iter(self.grader.grade_many(expanded))
        return [
            self._contrast(group, plan, [next(grades) for _ in group])
            for group, (_, plan) in zip(groups, pairs, strict=True)
        ]

    def _contrast(self, goals: list[GradingTarget], plan: Plan, grades: list[Grade]) -> Grade:
        """The own grade (the first) with the contrast as its score."""
        values: list[float] = []
        for grade, goal in zip(grades, goals, strict=True):
            value = grade_value(grade, goal, self.value)
            if value is None:
                why = grade.reason or f"no {self.value}"
                reason = why if goal is goals[0] else f"contrast rubric of {goal.id}: {why}"
                return plan_grade(self.name, goals[0], plan, grades[0].verdicts, None, reason)
            values.append(value)
        own, others = values[0], values[1:]
        contrast = own - sum(others) / len(others) if others else own
        return plan_grade(self.name, goals[0], plan, grades[0].verdicts, contrast)
