"""Rubric grading: a grader model checks a plan against each rubric item; the reward is the share met."""

from rubricrl.grading.coverage import CoverageGrader
from rubricrl.grading.grader import Grader, GradingConfig, PlanGrader
from rubricrl.grading.load import load_grader
from rubricrl.grading.parse import extract_plan, has_solution
from rubricrl.grading.score import FormatPenalty, penalized, rubric_score

__all__ = [
    "CoverageGrader",
    "FormatPenalty",
    "Grader",
    "GradingConfig",
    "PlanGrader",
    "extract_plan",
    "has_solution",
    "load_grader",
    "penalized",
    "rubric_score",
]
