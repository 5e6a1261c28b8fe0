"""`rubricrl grade` and `rubricrl grade-eval`: rubric grading of plans, and a grader's agreement check."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.table import Table

from rubricrl.cli import out
from rubricrl.config import parse
from rubricrl.errors import InputError
from rubricrl.grading.agreement import GradeEvalConfig, agreement
from rubricrl.grading.probe import GradeProbeConfig, probe_graders, probe_table
from rubricrl.grading.score import GradeSummary
from rubricrl.grading.stage import GradeConfig, grade_file
from rubricrl.jsonl import load_records
from rubricrl.records import Grade


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_summary(summary: GradeSummary, limit: int = 20) -> None:
    out.print(
        f"grades: {summary.grades}  unscored: {summary.unscored}  "
        f"mean score: {_number(summary.mean_score)}"
    )
    for reason, count in list(summary.unscored_reasons.items())[:3]:
        out.print(f"  unscored x{count}: {reason}", markup=False, highlight=False)
    if summary.unscored:
        out.print("  (a rerun grades unscored plans again)", markup=False, highlight=False)
    table = Table("item", "satisfied share")
    items = sorted(summary.item_satisfaction.items())
    for item, share in items[:limit]:
        table.add_row(item, f"{share:.3f}")
    if len(items) > limit:
        table.add_row("...", f"{len(items) - limit} more item ids")
    out.print(table)


def grade(ctx: typer.Context) -> None:
    """Grade plans against their rubric items; prints mean score and per-item satisfaction."""
    config = parse(GradeConfig, ctx.args, "rubricrl grade")
    summary = grade_file(
        config.samples, config.plans, config.output, config.load, config.batch_size
    )
    _print_summary(summary)


def grade_probe(ctx: typer.Context) -> None:
    """Know your grader before you train: ordering accuracy, item AUC and hackability."""
    config = parse(GradeProbeConfig, ctx.args, "rubricrl grade-probe")
    results = probe_graders(config)
    out.print(probe_table(results))
    for result in results:
        out.print(f"{result.grader}: {result.verdict}", markup=False, highlight=False)
    if config.output is not None:
        out.print(f"wrote {config.output}", markup=False, highlight=False)


def grade_eval(ctx: typer.Context) -> None:
    """Agreement of a grader's item verdicts with reference verdicts: accuracy, kappa, confusion."""
    config = parse(GradeEvalConfig, ctx.args, "rubricrl grade-eval")
    grades, reference = config.grades, config.reference
    result = agreement(load_records(grades, Grade), load_records(reference, Grade))
    if result.verdicts == 0:
        raise InputError(f"{grades}: no scored plan shares item verdicts with {reference}")
    if config.json:
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
