"""`rubricrl score`: mean rubric score of plans under an evaluation grader, with an interval."""

from __future__ import annotations

from pathlib import Path

import typer

from rubricrl.backends import load_backend
from rubricrl.backends.registry import SPEC_HELP
from rubricrl.errors import InputError
from rubricrl.evaluation.score import score_plans
from rubricrl.grading.grader import Grader


def score(
    samples: Path = typer.Argument(..., help="Samples JSONL (goals and rubrics)."),
    plans: Path = typer.Argument(..., help="Plans JSONL to score."),
    output: Path = typer.Option(..., "-o", "--output", help="Grades JSONL (resumed if present)."),
    grader: str = typer.Option(..., help=f"Evaluation grader spec: {SPEC_HELP}."),
    training_grader: str | None = typer.Option(
        None, help="The grader used in training; the evaluation grader must differ from it."
    ),
    bootstrap: int = typer.Option(1000, help="Bootstrap resamples for the interval."),
    seed: int = typer.Option(0, help="Bootstrap seed."),
) -> None:
    """Score plans with an evaluation grader: mean rubric score and its 95% interval."""
    if training_grader is not None and training_grader == grader:
        raise InputError(f"--grader {grader!r} is the training grader: pick an independent one")
    report = score_plans(
        samples, plans, output, Grader(load_backend(grader)), resamples=bootstrap, seed=seed
    )
    typer.echo(report.line())
    if report.mean is None:
        raise typer.Exit(1)
