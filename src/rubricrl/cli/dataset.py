"""`rubricrl extract | split | import | export`: from papers, or the released data, to samples."""

from __future__ import annotations

import typer
from rich.table import Table

from rubricrl.cli import console
from rubricrl.cli import out as results
from rubricrl.config import parse
from rubricrl.corpus.extract import ExtractConfig, extract
from rubricrl.corpus.extract_report import report_path
from rubricrl.corpus.research_plan_gen import (
    ExportConfig,
    ImportConfig,
    export_samples,
    import_samples,
)
from rubricrl.corpus.split import SplitConfig, split_by_paper, write_split
from rubricrl.jsonl import load_records
from rubricrl.records import Sample


def extract_command(ctx: typer.Context) -> None:
    """Mine research goals, rubrics and reference solutions from papers (resumable)."""
    config = parse(ExtractConfig, ctx.args, "rubricrl extract")
    report = extract(config)
    table = Table("count", "value", title=f"extract -> {config.output}")
    table.add_row("papers (finished)", f"{report.papers} ({len(report.papers_done)})")
    table.add_row("insights", str(report.insights))
    table.add_row("samples kept", str(report.samples_kept))
    for reason, count in report.dropped_samples.items():
        table.add_row(f"sample dropped: {reason}", str(count))
    for reason, count in report.dropped_items.items():
        table.add_row(f"item dropped: {reason}", str(count))
    table.add_row("papers cut to fit", str(len(report.cut_papers)))
    results.print(table)
    results.print(f"report: {report_path(config.output)}")


def split_command(ctx: typer.Context) -> None:
    """Split samples into train and test by paper (JSONL, plus parquet for `datasets`)."""
    config = parse(SplitConfig, ctx.args, "rubricrl split")
    result = split_by_paper(load_records(config.samples, Sample), config.test_fraction, config.seed)
    write_split(result, config.output)
    results.print(
        f"train: {len(result.train)} samples, test: {len(result.test)} samples -> {config.output}"
        f" (load with datasets.load_dataset('parquet', data_dir='{config.output / 'hf'}'))"
    )


def import_command(ctx: typer.Context) -> None:
    """Import samples in the research-plan-gen schema, keeping the original ids."""
    config = parse(ImportConfig, ctx.args, "rubricrl import")
    report = import_samples(
        config.source, config.output, config.subset, config.split, config.domain
    )
    for line in report.bad_rows:
        console.print(f"[yellow]skipped[/yellow] {line}", highlight=False)
    results.print(
        f"imported {report.imported} samples ({report.skipped_existing} already there, "
        f"{len(report.bad_rows)} bad rows) -> {config.output}"
    )
    if report.bad_rows:
        raise typer.Exit(1)


def export_command(ctx: typer.Context) -> None:
    """Write samples in the research-plan-gen schema, to share them the same way."""
    config = parse(ExportConfig, ctx.args, "rubricrl export")
    records = load_records(config.samples, Sample)
    export_samples(records, config.output)
    results.print(f"exported {len(records)} samples -> {config.output}")
