"""`rubricrl compare` and `rubricrl report`: the evaluation stage's commands."""

from __future__ import annotations

import typer

from rubricrl.cli import out
from rubricrl.config import parse
from rubricrl.evaluation.compare import CompareConfig, compare, render_summary
from rubricrl.evaluation.report import ReportConfig, write_report


def compare_command(ctx: typer.Context) -> None:
    """Judge two models' plans goal by goal, in both orders, and report A's win rate over B."""
    config = parse(CompareConfig, ctx.args, "rubricrl compare")
    out.print(render_summary(compare(config)), markup=False, highlight=False)
    out.print(f"wrote {config.output} and {config.summary_path}", markup=False, highlight=False)


def report_command(ctx: typer.Context) -> None:
    """Write one self-contained HTML page with everything found in a run folder."""
    config = parse(ReportConfig, ctx.args, "rubricrl report")
    out.print(f"wrote {write_report(config.run_dir, config.output)}", markup=False)
