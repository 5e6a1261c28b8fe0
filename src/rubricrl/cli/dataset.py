"""`rubricrl extract | split | import | export`: from papers, or the released data, to samples."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from rubricrl.backends import load_backend
from rubricrl.cli import console
from rubricrl.cli import out as results
from rubricrl.corpus.extract import ExtractConfig, extract, report_path
from rubricrl.corpus.research_plan_gen import HUB_NAME, export_samples, import_samples
from rubricrl.corpus.select import SelectionRules
from rubricrl.corpus.split import split_by_paper, write_split
from rubricrl.jsonl import load_records
from rubricrl.records import Sample


def extract_command(
    papers: Path = typer.Argument(..., help="papers.jsonl written by `rubricrl ingest`."),
    out: Path = typer.Option(..., "-o", "--output", help="samples.jsonl to append to."),
    creator: str = typer.Option("embedded", help="Model spec of the sample creator."),
    insights: int = typer.Option(3, help="Insights to ask for per paper."),
    draft_items: int = typer.Option(15, help="Rubric items drafted per goal."),
    keep_items: int = typer.Option(10, help="Rubric items kept per goal after selection."),
    min_items: int = typer.Option(5, help="Drop a sample left with fewer usable items."),
    max_paper_chars: int = typer.Option(12000, help="Paper text budget (cut rule in the docs)."),
    max_reference_chars: int = typer.Option(4000, help="Longest reference solution accepted."),
    max_tokens: int = typer.Option(2048, help="Token budget of each creator reply."),
    seed: int = typer.Option(0, help="Sampling seed of the creator."),
) -> None:
    """Mine research goals, rubrics and reference solutions from papers (resumable)."""
    config = ExtractConfig(
        insights=insights,
        draft_items=draft_items,
        max_paper_chars=max_paper_chars,
        max_reference_chars=max_reference_chars,
        max_tokens=max_tokens,
        seed=seed,
        rules=SelectionRules(keep_items=keep_items, min_items=min_items),
    )
    report = extract(papers, out, load_backend(creator), config)
    table = Table("count", "value", title=f"extract -> {out}")
    table.add_row("papers (already done)", f"{report.papers} ({report.papers_skipped})")
    table.add_row("insights", str(report.insights))
    table.add_row("samples kept", str(report.samples_kept))
    for reason, count in report.dropped_samples.items():
        table.add_row(f"sample dropped: {reason}", str(count))
    for reason, count in report.dropped_items.items():
        table.add_row(f"item dropped: {reason}", str(count))
    table.add_row("papers cut to fit", str(len(report.cut_papers)))
    results.print(table)
    results.print(f"report: {report_path(out)}")


def split_command(
    samples: Path = typer.Argument(..., help="samples.jsonl"),
    out_dir: Path = typer.Option(..., "-o", "--output", help="Folder for train/test files."),
    test_fraction: float = typer.Option(0.2, help="Share of papers that go to test."),
    seed: int = typer.Option(0, help="Shuffle seed: the same seed gives the same split."),
) -> None:
    """Split samples into train and test by paper (JSONL, plus parquet for `datasets`)."""
    result = split_by_paper(load_records(samples, Sample), test_fraction, seed)
    write_split(result, out_dir)
    results.print(
        f"train: {len(result.train)} samples, test: {len(result.test)} samples -> {out_dir}"
        f" (load with datasets.load_dataset('parquet', data_dir='{out_dir / 'hf'}'))"
    )


def import_command(
    source: str = typer.Argument(HUB_NAME, help="Hub dataset name, or a parquet/JSONL/CSV file."),
    out: Path = typer.Option(..., "-o", "--output", help="samples.jsonl to append to."),
    config: str | None = typer.Option(None, help="Hub config: ml, arxiv or pubmed."),
    split: str = typer.Option("train", help="Hub split: train or test."),
    domain: str | None = typer.Option(None, help="Domain to record (default: the config)."),
) -> None:
    """Import samples in the research-plan-gen schema, keeping the original ids."""
    report = import_samples(source, out, config, split, domain)
    for line in report.bad_rows:
        console.print(f"[yellow]skipped[/yellow] {line}", highlight=False)
    results.print(
        f"imported {report.imported} samples ({report.skipped_existing} already there, "
        f"{len(report.bad_rows)} bad rows) -> {out}"
    )
    if report.bad_rows:
        raise typer.Exit(1)


def export_command(
    samples: Path = typer.Argument(..., help="samples.jsonl"),
    out: Path = typer.Option(..., "-o", "--output", help="A .parquet, .jsonl or .csv file."),
) -> None:
    """Write samples in the research-plan-gen schema, to share them the same way."""
    records = load_records(samples, Sample)
    export_samples(records, out)
    results.print(f"exported {len(records)} samples -> {out}")
