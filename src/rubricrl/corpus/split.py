"""Train/test split by paper: no paper's samples on both sides, the same split for the same seed."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rich.console import RenderableType

from rubricrl.config import option
from rubricrl.corpus.research_plan_gen import export_samples
from rubricrl.errors import InputError
from rubricrl.jsonl import load_records, write_records
from rubricrl.records import Sample


@dataclass(frozen=True, kw_only=True)
class SplitConfig:
    """Split samples into train and test by paper (JSONL, plus parquet for `datasets`)."""

    samples: Path = option(help="Samples JSONL.", positional=True, input="file")
    output: Path = option(help="Folder for the train/test files.", flags=("-o",), output="dir")
    test_fraction: float = option(0.2, "Share of papers that go to test.", min=0.0, max=1.0)
    seed: int = option(0, "Shuffle seed: the same seed, the same split.")


@dataclass(frozen=True)
class SplitResult:
    train: list[Sample]
    test: list[Sample]


@dataclass(frozen=True)
class SplitSummary:
    """How many samples went to each side, and where they are."""

    train: int
    test: int
    output: Path
    failed = False

    def render(self) -> RenderableType:
        return (
            f"train: {self.train} samples, test: {self.test} samples -> {self.output}"
            f" (load with datasets.load_dataset('parquet', data_dir='{self.output / 'hf'}'))"
        )


def split_by_paper(samples: list[Sample], test_fraction: float, seed: int = 0) -> SplitResult:
    """Shuffle the papers with `seed` and put round(fraction x papers) of them (at least one) in test."""
    if not 0 < test_fraction < 1:
        raise InputError(f"--test-fraction must lie strictly between 0 and 1, got {test_fraction}")
    by_paper: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_paper[sample.provenance.paper_id].append(sample)
    if len(by_paper) < 2:
        raise InputError(f"cannot split {len(by_paper)} paper(s) by paper: need at least 2")
    papers = sorted(by_paper)
    random.Random(seed).shuffle(papers)
    test_count = min(len(papers) - 1, max(1, round(test_fraction * len(papers))))
    test_papers = set(papers[:test_count])
    return SplitResult(
        train=[s for s in samples if s.provenance.paper_id not in test_papers],
        test=[s for s in samples if s.provenance.paper_id in test_papers],
    )


def write_split(result: SplitResult, out_dir: Path) -> None:
    """JSONL of our records, plus parquet in the released schema that `datasets` loads directly."""
    for name, samples in (("train", result.train), ("test", result.test)):
        write_records(out_dir / f"{name}.jsonl", samples)
        export_samples(samples, out_dir / "hf" / f"{name}.parquet")


def split(config: SplitConfig) -> SplitSummary:
    """`rubricrl split`: the samples file split by paper into the output folder."""
    result = split_by_paper(load_records(config.samples, Sample), config.test_fraction, config.seed)
    write_split(result, config.output)
    return SplitSummary(len(result.train), len(result.test), config.output)
