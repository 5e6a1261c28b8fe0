"""The paper's second metric: mean rubric score of a set of plans under an evaluation grader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rubricrl.grading.grader import Grader
from rubricrl.grading.stage import grade_file
from rubricrl.jsonl import read_records
from rubricrl.records import Grade
from rubricrl.stats import Estimate, mean_with_ci


@dataclass(frozen=True)
class ScoreReport:
    """Mean rubric score with its bootstrap interval; unscored plans are counted, not averaged."""

    grader: str
    mean: Estimate | None
    unscored: int

    def line(self) -> str:
        """One line for people: the mean, its 95% interval and the counts."""
        if self.mean is None:
            return f"no plan could be scored ({self.unscored} unscored), grader {self.grader}"
        mean = self.mean
        return (
            f"mean rubric score {mean.value:.3f} [95% CI {mean.low:.3f}, {mean.high:.3f}] "
            f"over {mean.n} plans ({self.unscored} unscored), grader {self.grader}"
        )


def score_plans(
    samples_path: Path,
    plans_path: Path,
    grades_path: Path,
    grader: Grader,
    resamples: int = 1000,
    seed: int = 0,
) -> ScoreReport:
    """Grade the plans (resumably, into `grades_path`) and estimate their mean rubric score."""
    grade_file(samples_path, plans_path, grades_path, grader)
    grades = list(read_records(grades_path, Grade))
    scores = [g.score for g in grades if g.score is not None]
    mean = mean_with_ci(scores, resamples, seed) if scores else None
    return ScoreReport(grader.backend.spec, mean, unscored=len(grades) - len(scores))
