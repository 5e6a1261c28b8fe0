"""The layout of a run folder: every file a stage writes there and the report reads, named once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

POLICIES = ("base", "trained")  # the two policies a run compares


def summary_path(comparisons: Path) -> Path:
    """`comparisons.jsonl` -> `comparisons.summary.json`, in the same folder."""
    return comparisons.with_name(f"{comparisons.stem}.summary.json")


@dataclass(frozen=True)
class RunLayout:
    """Paths inside one run folder: corpus, split, training logs, plans, grades, comparisons."""

    root: Path

    @property
    def papers(self) -> Path:
        return self.root / "papers.jsonl"

    @property
    def samples(self) -> Path:
        return self.root / "samples.jsonl"

    @property
    def split(self) -> Path:
        return self.root / "split"

    @property
    def test_samples(self) -> Path:
        return self.root / "samples_test.jsonl"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def evals(self) -> Path:
        return self.root / "eval.jsonl"

    @property
    def probe(self) -> Path:
        """The known-answer probe's results, one ProbeResult row per grader."""
        return self.root / "probe.jsonl"

    @property
    def comparisons(self) -> Path:
        return self.root / "comparisons.jsonl"

    @property
    def summary(self) -> Path:
        return summary_path(self.comparisons)

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def human_summary(self) -> Path:
        """What `rubricrl study export -o RUN/human.jsonl` found (the report shows it)."""
        return summary_path(self.root / "human.jsonl")

    @property
    def study(self) -> Path:
        """The human study of the base and trained plans (rubricrl study serve)."""
        return self.root / "study.sqlite"

    def plans(self, policy: str) -> Path:
        return self.root / f"plans_{policy}.jsonl"

    def grades(self, policy: str) -> Path:
        return self.root / f"grades_{policy}.jsonl"

    def scores(self, policy: str) -> Path:
        """The score stage's summary of a policy's grades."""
        return summary_path(self.grades(policy))

    def report_inputs(self) -> list[Path]:
        """Every file the report reads, in the order it looks for them."""
        per_policy = [path(p) for path in (self.scores, self.grades, self.plans) for p in POLICIES]
        return [
            self.metrics,
            self.evals,
            self.summary,
            self.test_samples,
            self.samples,
            self.probe,
            *per_policy,
        ]
