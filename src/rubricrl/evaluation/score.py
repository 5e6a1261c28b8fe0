"""The paper's second metric: mean rubric score of a set of plans under an evaluation grader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.grading.grader import PlanGrader
from rubricrl.grading.score import summarize
from rubricrl.grading.stage import PlansToGrade, grade_file
from rubricrl.jsonl import load_records
from rubricrl.model_spec import ModelSpec
from rubricrl.records import Grade, ScoreSummary
from rubricrl.stage import write_summary
from rubricrl.stats import mean_with_ci


@dataclass(frozen=True, kw_only=True)
class ScoreConfig(PlansToGrade):
    """Score plans with an evaluation grader: mean rubric score and its 95% interval."""

    training_grader: ModelSpec | None = option(
        None, "The grader used in training; the evaluation grader must differ."
    )
    bootstrap: int = option(1000, "Bootstrap resamples for the interval.", min=1)
    seed: int = option(0, "Bootstrap seed.")


def score_plans(config: ScoreConfig, grader: PlanGrader | None = None) -> ScoreSummary:
    """`rubricrl score`: grade the plans (resumably, into `config.output`), estimate their mean
    rubric score, and write the summary beside the grades (`grades.summary.json`) for the report."""
    if config.training_grader is not None and config.training_grader == config.grader:
        raise InputError(
            f"--grader {str(config.grader)!r} is the training grader: pick an independent one"
        )
    grade_file(config.samples, config.plans, config.output, lambda: grader or config.load())
    grades = load_records(config.output, Grade)
    graders = " + ".join(sorted({grade.grader for grade in grades}))
    summary = summarize_scores(grades, graders, config.bootstrap, config.seed)
    write_summary(config.output, summary)
    return summary


def summarize_scores(
    grades: Sequence[Grade], grader: str, resamples: int = 1000, seed: int = 0
) -> ScoreSummary:
    """The mean rubric score of `grades` with its bootstrap interval, and item satisfaction."""
    totals = summarize(grades)
    scores = [g.score for g in grades if g.score is not None]
    mean = mean_with_ci(scores, resamples, seed) if scores else None
    return ScoreSummary(
        grader=grader,
        scored=len(scores),
        unscored=totals.unscored,
        mean=mean.value if mean else None,
        ci_low=mean.low if mean else None,
        ci_high=mean.high if mean else None,
        item_satisfaction=totals.item_satisfaction,
    )
