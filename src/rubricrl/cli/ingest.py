"""`rubricrl ingest`: papers (PDF, LaTeX, JATS XML, Markdown/text) to `papers.jsonl`."""

from __future__ import annotations

import typer

from rubricrl.cli import console, out
from rubricrl.config import parse
from rubricrl.corpus.ingest import IngestConfig, write_failures
from rubricrl.corpus.ingest import ingest as ingest_papers


def ingest(ctx: typer.Context) -> None:
    """Parse papers into Paper records; exits 1 when any file failed."""
    config = parse(IngestConfig, ctx.args, "rubricrl ingest")
    output, errors = config.output, config.errors
    report = ingest_papers(config.paths, output, domain=config.domain, console=console)
    if errors is not None:
        write_failures(errors, report.failures)
    formats = ", ".join(f"{fmt} {n}" for fmt, n in sorted(report.written.items())) or "none"
    out.print(
        f"wrote {sum(report.written.values())} papers ({formats}) to {output}; "
        f"{report.already_done} already there; {len(report.failures)} failed",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if report.passed_over:
        kinds = ", ".join(f"{n} {s}" for s, n in sorted(report.passed_over.items()))
        console.print(
            f"passed over (not papers): {kinds}", markup=False, highlight=False, soft_wrap=True
        )
    for failure in report.failures:
        console.print(
            f"failed: {failure.source}: {failure.reason}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if report.failures:
        raise typer.Exit(1)
