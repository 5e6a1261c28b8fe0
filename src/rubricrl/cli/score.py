"""`rubricrl score`: mean rubric score of plans under an evaluation grader, with an interval."""

from __future__ import annotations

import typer

from rubricrl.cli import out
from rubricrl.config import parse
from rubricrl.evaluation.score import ScoreConfig, score_plans


def score(ctx: typer.Context) -> None:
    """Score plans with an evaluation grader: mean rubric score and its 95% interval."""
    report = score_plans(parse(ScoreConfig, ctx.args, "rubricrl score"))
    out.print(report.line(), markup=False, highlight=False)
    if report.mean is None:
        raise typer.Exit(1)
