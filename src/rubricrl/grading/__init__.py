"""Rubric grading: a grader model checks a plan against each rubric item; the reward is the share met."""

from rubricrl.grading.coverage import CoverageGrader, CoverageGrading
from rubricrl.grading.grader import Grader, GradingConfig, JudgeGrading, PlanGrader
from rubricrl.grading.load import grader_settings, load_grader
from rubricrl.grading.parse import extract_plan, has_solution
from rubricrl.grading.score import FormatPenalty, penalized, rubric_score

__all__ = [
    "CoverageGrader",
    "CoverageGrading",
    "FormatPenalty",
    "Grader",
    "GradingConfig",
    "JudgeGrading",
    "PlanGrader",
    "extract_plan",
    "grader_settings",
    "has_solution",
    "load_grader",
    "penalized",
    "rubric_score",
]
