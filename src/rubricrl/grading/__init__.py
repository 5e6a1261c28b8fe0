"""Rubric grading: a grader model checks a plan against each rubric item; the reward is the share met."""

from rubricrl.grading.grader import Grader, GradingConfig
from rubricrl.grading.parse import extract_plan, has_solution
from rubricrl.grading.score import FormatPenalty, penalized, rubric_score

__all__ = [
    "FormatPenalty",
    "Grader",
    "GradingConfig",
    "extract_plan",
    "has_solution",
    "penalized",
    "rubric_score",
]
