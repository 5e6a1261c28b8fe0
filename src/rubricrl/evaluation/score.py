"""The paper's second metric: mean rubric score of a set of plans under an evaluation grader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rubricrl.grading.grader import Grader
from rubricrl.grading.score import summarize
from rubricrl.grading.stage import grade_file
from rubricrl.jsonl import load_records
from rubricrl.layout import summary_path
from rubricrl.records import Grade, ScoreSummary
from rubricrl.stats import mean_with_ci


def score_plans(
    samples_path: Path,
    plans_path: Path,
    grades_path: Path,
    grader: Grader,
    resamples: int = 1000,
    seed: int = 0,
) -> ScoreSummary:
    """Grade the plans (resumably, into `grades_path`), estimate their mean rubric score, and
    write the summary beside the grades (`grades.summary.json`) for the report to read."""
    grade_file(samples_path, plans_path, grades_path, grader)
    summary = summarize_scores(
        load_records(grades_path, Grade), grader.backend.spec, resamples, seed
    )
    summary_path(grades_path).write_text(summary.model_dump_json(indent=2) + "\n", "utf-8")
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
