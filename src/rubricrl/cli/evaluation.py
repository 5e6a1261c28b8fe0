"""`rubricrl compare` and `rubricrl report`: the evaluation stage's commands."""

from __future__ import annotations

from pathlib import Path

import typer

from rubricrl.backends.registry import SPEC_HELP
from rubricrl.evaluation.compare import CompareConfig, compare, render_summary
from rubricrl.evaluation.jury import RULES
from rubricrl.evaluation.report import write_report


def compare_command(
    plans_a: Path = typer.Argument(..., help="Plans of model A (JSONL of Plan)."),
    plans_b: Path = typer.Argument(..., help="Plans of model B (JSONL of Plan)."),
    goals: Path = typer.Option(..., "--goals", help="Goals the plans answer (JSONL of Sample)."),
    judge: list[str] = typer.Option(
        ..., "--judge", help=f"Judge model spec ({SPEC_HELP}); repeat for a jury."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", help="Comparisons JSONL (a summary JSON goes beside it)."
    ),
    show_rubric: bool = typer.Option(False, "--show-rubric", help="Show judges the rubric items."),
    show_reference: bool = typer.Option(
        False, "--show-reference", help="Show judges the reference solution."
    ),
    rule: str = typer.Option("majority", "--rule", help=f"Jury rule: {' | '.join(RULES)}."),
    bootstrap: int = typer.Option(
        1000, "--bootstrap", help="Bootstrap resamples for the intervals."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the judges' sampling and the bootstrap."),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="Compare only goals both files cover."
    ),
    chunk: int = typer.Option(
        256, "--chunk", help="Goals per backend batch; results are saved per chunk."
    ),
    max_tokens: int = typer.Option(256, "--max-tokens", help="Most tokens per judge reply."),
    retries: int = typer.Option(
        1, "--retries", help="Extra attempts for unreadable judge replies."
    ),
) -> None:
    """Judge two models' plans goal by goal, in both orders, and report A's win rate over B."""
    config = CompareConfig(
        plans_a=plans_a,
        plans_b=plans_b,
        goals=goals,
        output=output,
        judges=tuple(judge),
        show_rubric=show_rubric,
        show_reference=show_reference,
        # compare() checks the rule and names the choices
        rule=rule,  # type: ignore[arg-type]
        bootstrap=bootstrap,
        seed=seed,
        allow_partial=allow_partial,
        chunk=chunk,
        max_tokens=max_tokens,
        retries=retries,
    )
    summary = compare(config)
    typer.echo(render_summary(summary))
    typer.echo(f"wrote {output} and {config.summary_path}")


def report_command(
    run_dir: Path = typer.Argument(
        ..., help="Run folder (metrics, evals, grades, plans, comparisons)."
    ),
    output: Path = typer.Option(Path("report.html"), "-o", "--output", help="HTML file to write."),
) -> None:
    """Write one self-contained HTML page with everything found in RUN_DIR."""
    typer.echo(f"wrote {write_report(run_dir, output)}")
