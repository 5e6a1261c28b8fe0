"""The extraction report beside the samples: one per output file, accumulated over resumed runs.

It says which papers are finished (all their samples written), so a run killed between two
sample writes redoes that paper and writes only the missing ids, and what was kept and dropped,
and why: counts per reason and each dropped draft's reason by its would-be sample id.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table

from rubricrl.corpus.excerpt import Excerpt
from rubricrl.errors import InputError
from rubricrl.jsonl import replace_file


@dataclass
class ExtractReport:
    """Counts of what was kept and dropped, and why, over every run on one output file."""

    # the samples file it belongs to: where it is saved, not part of what it says
    output: Path = field(compare=False)
    papers: int = 0
    papers_done: list[str] = field(default_factory=list)
    insights: int = 0
    samples_kept: int = 0
    dropped_samples: Counter[str] = field(default_factory=Counter)
    dropped_items: Counter[str] = field(default_factory=Counter)
    dropped_drafts: dict[str, str] = field(default_factory=dict)
    cut_papers: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when papers were read but not one sample was kept from them."""
        return bool(self.papers_done) and self.samples_kept == 0

    def record_cut(self, paper_id: str, excerpt: Excerpt) -> None:
        """Note where the paper was cut to fit the creator's budget, if it was."""
        if excerpt.cut:
            self.cut_papers[paper_id] = (
                f"kept {excerpt.kept_chars} of {excerpt.total_chars} characters, "
                f"{excerpt.sections_kept} of {excerpt.sections_total} whole sections"
            )

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in vars(self).items() if k != "output"}, indent=2)

    def render(self) -> RenderableType:
        """The counts as a table, and where the full report lies."""
        table = Table("count", "value", title=f"extract -> {self.output}")
        table.add_row("papers (finished)", f"{self.papers} ({len(self.papers_done)})")
        table.add_row("insights", str(self.insights))
        table.add_row("samples kept", str(self.samples_kept))
        for reason, count in self.dropped_samples.items():
            table.add_row(f"sample dropped: {reason}", str(count))
        for reason, count in self.dropped_items.items():
            table.add_row(f"item dropped: {reason}", str(count))
        table.add_row("papers cut to fit", str(len(self.cut_papers)))
        failed = [f"failed: no sample kept from {len(self.papers_done)} papers"] * self.failed
        return Group(table, f"report: {report_path(self.output)}", *failed)

    def save(self) -> None:
        """Write beside the samples atomically, so a kill leaves the previous report whole."""
        replace_file(report_path(self.output), [self.to_json()])


def report_path(out_path: Path) -> Path:
    """Where the extraction report of `out_path` goes: samples.jsonl -> samples.report.json."""
    return out_path.with_suffix(".report.json")


def load_report(output: Path) -> ExtractReport:
    """The report of the samples file `output`, or a fresh one when there is none (or it
    predates `papers_done`, whose papers are then all redone, writing only missing samples).
    Without its samples, a report's finished papers are not finished: it starts over too."""
    path = report_path(output)
    if not (path.exists() and output.exists()):
        return ExtractReport(output=output)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: cannot read the extraction report ({error})") from None
    if not isinstance(data, dict) or "papers_done" not in data:
        return ExtractReport(output=output)
    try:
        return ExtractReport(
            papers=int(data["papers"]),
            papers_done=[str(paper) for paper in data["papers_done"]],
            insights=int(data["insights"]),
            samples_kept=int(data["samples_kept"]),
            dropped_samples=Counter(data["dropped_samples"]),
            dropped_items=Counter(data["dropped_items"]),
            dropped_drafts=dict(data.get("dropped_drafts", {})),
            cut_papers=dict(data["cut_papers"]),
            output=output,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path}: not an extraction report ({error!r})") from None
