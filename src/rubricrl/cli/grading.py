"""`rubricrl grade-probe` and `rubricrl grade-eval`: know a grader before training on it."""

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
from rubricrl.jsonl import load_records
from rubricrl.records import Grade, shown


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
        f"accuracy: {shown(result.accuracy)}  Cohen's kappa: {shown(result.kappa)}"
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
