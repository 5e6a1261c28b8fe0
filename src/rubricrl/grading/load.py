"""Grader specs to graders: `embed[:PATH_OR_ID]` is the coverage grader, any chat spec the rubric Grader."""

from __future__ import annotations

from rubricrl.backends.registry import ModelSpec, load_backend
from rubricrl.grading.coverage import CoverageGrader
from rubricrl.grading.grader import Grader, GradingConfig, PlanGrader


def load_grader(
    spec: str, config: GradingConfig = GradingConfig(), cache: bool = True
) -> PlanGrader:
    """The grader named by `spec`; `cache` puts a chat grader behind the shared response cache
    (the coverage grader is deterministic and cheap, so it never is)."""
    if ModelSpec.parse(spec).provider == "embed":
        return CoverageGrader.from_spec(spec, config)
    return Grader(load_backend(spec, cache=cache), config)
