"""`rubricrl grade` and `rubricrl grade-eval`: rubric grading of plans, and a grader's agreement check."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import cast

import typer
from rich.table import Table

from rubricrl.backends import load_backend
from rubricrl.backends.registry import SPEC_HELP
from rubricrl.cli import out
from rubricrl.errors import InputError
from rubricrl.grading.agreement import agreement
from rubricrl.grading.grader import Grader, GradingConfig, Mode
from rubricrl.grading.score import GradeSummary
from rubricrl.grading.stage import grade_file
from rubricrl.jsonl import load_records
from rubricrl.records import Grade

_MODES = ("all", "per-item")


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_summary(summary: GradeSummary, limit: int = 20) -> None:
    out.print(
        f"grades: {summary.grades}  unscored: {summary.unscored}  "
        f"mean score: {_number(summary.mean_score)}"
    )
    table = Table("item", "satisfied share")
    items = sorted(summary.item_satisfaction.items())
    for item, share in items[:limit]:
        table.add_row(item, f"{share:.3f}")
    if len(items) > limit:
        table.add_row("...", f"{len(items) - limit} more item ids")
    out.print(table)


def grade(
    samples: Path = typer.Argument(..., help="Samples JSONL (goals, rubrics, references)."),
    plans: Path = typer.Argument(..., help="Plans JSONL to grade."),
    output: Path = typer.Option(..., "-o", "--output", help="Grades JSONL (resumed if present)."),
    grader: str = typer.Option("embedded", help=f"Grader model spec: {SPEC_HELP}."),
    mode: str = typer.Option("all", help="all: every item in one call per plan; per-item."),
    dense: bool = typer.Option(False, help="Score each guideline 0-3 per item (denser score)."),
    reference: bool = typer.Option(True, help="Show the grader the reference solution."),
    retries: int = typer.Option(2, help="Extra attempts for unreadable grader replies."),
    batch_size: int = typer.Option(64, help="Plans per grader pass (grades saved per pass)."),
    no_cache: bool = typer.Option(False, help="Bypass the response cache."),
) -> None:
    """Grade plans against their rubric items; prints mean score and per-item satisfaction."""
    if mode not in _MODES:
        raise InputError(f"--mode {mode!r}: expected one of {', '.join(_MODES)}")
    config = GradingConfig(
        mode=cast(Mode, mode), dense=dense, with_reference=reference, retries=retries
    )
    summary = grade_file(
        samples, plans, output, Grader(load_backend(grader, cache=not no_cache), config), batch_size
    )
    _print_summary(summary)


def grade_eval(
    grades: Path = typer.Argument(..., help="Grades JSONL of the grader under test."),
    reference: Path = typer.Argument(..., help="Reference grades JSONL (strong grader or humans)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Agreement of a grader's item verdicts with reference verdicts: accuracy, kappa, confusion."""
    result = agreement(load_records(grades, Grade), load_records(reference, Grade))
    if result.verdicts == 0:
        raise InputError(f"{grades}: no scored plan shares item verdicts with {reference}")
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2))
        return
    out.print(
        f"plans compared: {result.plans} (skipped: {result.skipped})  verdicts: {result.verdicts}  "
        f"accuracy: {_number(result.accuracy)}  Cohen's kappa: {_number(result.kappa)}"
    )
    table = Table("item", "both met", "only grader met", "only reference met", "neither")
    for item, cell in sorted(result.per_item.items()):
        table.add_row(
            item,
            str(cell.true_met),
            str(cell.false_met),
            str(cell.false_unmet),
            str(cell.true_unmet),
        )
    out.print(table)
