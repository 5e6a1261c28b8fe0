"""Grader specs to graders: `embed[:PATH_OR_ID]` is the coverage grader, any chat spec the rubric Grader."""

from __future__ import annotations

from dataclasses import fields

from rubricrl.backends.registry import load_backend
from rubricrl.errors import InputError
from rubricrl.grading.coverage import CoverageGrader, CoverageGrading
from rubricrl.grading.grader import Grader, GradingConfig, JudgeGrading, PlanGrader
from rubricrl.model_spec import ModelSpec

_KINDS = {JudgeGrading: "chat-model graders", CoverageGrading: "the embed grader"}


def is_coverage(spec: ModelSpec) -> bool:
    """Whether `spec` names the coverage (embedding) grader rather than a chat model."""
    return spec.provider == "embed"


def grader_settings(
    spec: ModelSpec, config: GradingConfig, section: str = "grading"
) -> JudgeGrading | CoverageGrading:
    """The settings of the grader kind `spec` names, from the user's `config`; refuses an option
    of the other kind changed from its default (it would be silently ignored). `section` is the
    flags' prefix, for the message."""
    kind, other = (
        (CoverageGrading, JudgeGrading) if is_coverage(spec) else (JudgeGrading, CoverageGrading)
    )
    own = {item.name for item in fields(kind)}
    for item in fields(GradingConfig):
        if item.name not in own and getattr(config, item.name) != item.default:
            raise InputError(
                f"--{section}.{item.name.replace('_', '-')} applies to {_KINDS[other]} only, "
                f"not {str(spec)!r}"
            )
    return kind(**{name: getattr(config, name) for name in own})


def load_grader(
    spec: ModelSpec, config: GradingConfig = GradingConfig(), cache: bool = True
) -> PlanGrader:
    """The grader named by `spec`; `cache` puts a chat grader behind the shared response cache
    (the coverage grader is deterministic and cheap, so it never is)."""
    settings = grader_settings(spec, config)
    if isinstance(settings, CoverageGrading):
        return CoverageGrader.from_spec(spec, settings)
    return Grader(load_backend(spec, cache=cache), settings)
