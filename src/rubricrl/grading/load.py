"""Grader specs to graders (placeholder until the coverage grader lands)."""

from __future__ import annotations

from rubricrl.backends.registry import load_backend
from rubricrl.grading.grader import Grader, GradingConfig, PlanGrader


def load_grader(
    spec: str, config: GradingConfig = GradingConfig(), cache: bool = True
) -> PlanGrader:
    return Grader(load_backend(spec, cache=cache), config)
