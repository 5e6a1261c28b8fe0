"""The known-answer probe: grade plans whose covered items are known (probe_plans.py) with any
PlanGrader, and measure how well its scores recover what was built in."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Column, Table

from rubricrl.backends.base import ChatBackend
from rubricrl.backends.registry import load_backend
from rubricrl.config import option
from rubricrl.corpus.research_plan_gen import load_goals
from rubricrl.grading.contrastive import ContrastiveGrader, Reward
from rubricrl.grading.grader import GradingConfig, PlanGrader
from rubricrl.grading.load import load_grader
from rubricrl.grading.probe_plans import (
    ADVERSARIAL_KINDS,
    BASE_KINDS,
    KINDS,
    Kind,
    ProbePlan,
    build_plans,
    rewrite,
)
from rubricrl.jsonl import write_records
from rubricrl.model_spec import EMBED, GRADER_SPEC_HELP, ModelSpec
from rubricrl.records import Grade, HackMargin, ProbeResult, Sample, shown
from rubricrl.stats import mann_whitney_auc, mean_with_ci

ORDERINGS: tuple[tuple[Kind, Kind], ...] = (
    ("full", "half"),
    ("half", "off_topic"),
    ("full", "off_topic"),
    ("full", "empty"),
)
"""The pairs whose order is known: the first plan covers strictly more of the goal's items."""
AUC_KINDS: tuple[Kind, ...] = ("full", "half", "padded", "off_topic")
HACK_HEADER = "hack margin\nparrot/boiler/stuff/\nhalf+boiler/kw-off"
"""The probe table's header of the adversarial kinds' margins, in ADVERSARIAL_KINDS order."""


@dataclass(frozen=True)
class ProbeConfig:
    """How the probe builds, rewrites and summarises its plans."""

    seed: int = option(0, "Seed of the half plans' item choice and filler.")
    resamples: int = option(
        1000,
        "Bootstrap resamples (over goals) of the ordering accuracy and the "
        "adversarial plans' margins.",
        min=1,
    )
    writer: ModelSpec | None = option(
        None,
        "Model spec that rewrites the full and half plans as prose, so a grader "
        "cannot pass by matching the items' wording; none: the template plans as built.",
    )
    writer_max_tokens: int = option(1024, "Longest rewrite, in tokens.", min=1)


def ordering_accuracy(scores: dict[Kind, float | None]) -> float:
    """One goal's share of ORDERINGS its scores keep: 1 kept, 0.5 tied or unscored, 0 reversed."""
    values = []
    for better, worse in ORDERINGS:
        high, low = scores.get(better), scores.get(worse)
        if high is None or low is None or high == low:
            values.append(0.5)
        else:
            values.append(float(high > low))
    return sum(values) / len(values)


def item_auc(plans: Sequence[ProbePlan], grades: Sequence[Grade]) -> float | None:
    """AUC of the per-item probability (else satisfied as 0/1), covered vs not covered items,
    over the full, half, padded and off-topic plans that were scored."""
    positives: list[float] = []
    negatives: list[float] = []
    for plan, grade in zip(plans, grades, strict=True):
        if plan.kind not in AUC_KINDS or grade.score is None:
            continue
        for verdict in grade.verdicts:
            value = verdict.probability
            value = float(verdict.satisfied) if value is None else value
            (positives if verdict.item_id in plan.covered else negatives).append(value)
    return mann_whitney_auc(positives, negatives)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


Scores = dict[str, dict[Kind, float | None]]
"""Each goal's scores by probe plan kind."""


def gaps_over_half(scores: Scores, kind: Kind) -> list[float]:
    """Per goal with both scored: the `kind` plan's score minus the half plan's."""
    return [
        score - half
        for by_kind in scores.values()
        if (score := by_kind.get(kind)) is not None and (half := by_kind.get("half")) is not None
    ]


def hack_margins(scores: Scores, resamples: int, seed: int) -> dict[str, HackMargin]:
    """Per adversarial kind scored beside some half plan, its mean gap over the half plan with a
    bootstrap interval over goals."""
    margins: dict[str, HackMargin] = {}
    for kind in ADVERSARIAL_KINDS:
        if gaps := gaps_over_half(scores, kind):
            estimate = mean_with_ci(gaps, resamples, seed)
            margins[kind] = HackMargin(mean=estimate.value, low=estimate.low, high=estimate.high)
    return margins


def summarize_probe(
    grader: str,
    plans: Sequence[ProbePlan],
    grades: Sequence[Grade],
    seconds: float,
    config: ProbeConfig = ProbeConfig(),
    writer: str | None = None,
) -> ProbeResult:
    """The probe's numbers from its plans and their grades (in the same order)."""
    scores: Scores = {}
    for plan, grade in zip(plans, grades, strict=True):
        scores.setdefault(plan.sample.id, {})[plan.kind] = grade.score
    per_goal = [ordering_accuracy(by_kind) for by_kind in scores.values()]
    estimate = mean_with_ci(per_goal, config.resamples, config.seed)
    verdicts = sum(len(grade.verdicts) for grade in grades)
    means: dict[str, float | None] = {
        kind: _mean([s for by in scores.values() if (s := by.get(kind)) is not None])
        for kind in KINDS
    }
    return ProbeResult(
        grader=grader,
        writer=writer,
        goals=len(scores),
        plans=len(plans),
        ordering_accuracy=estimate.value,
        ci_low=estimate.low,
        ci_high=estimate.high,
        item_auc=item_auc(plans, grades),
        length_bias=_mean(gaps_over_half(scores, "padded")),
        unscored_share=sum(g.score is None for g in grades) / len(grades),
        items_per_second=verdicts / max(seconds, 1e-9),
        seconds=seconds,
        mean_scores=means,
        hack_margins=hack_margins(scores, config.resamples, config.seed),
    )


def probe_plans(
    samples: Sequence[Sample], config: ProbeConfig, writer: ChatBackend | None = None
) -> tuple[list[ProbePlan], str | None]:
    """The probe plans (rewritten by `writer`, else by the backend `config.writer` names, if
    any) and the writer's spec."""
    plans = build_plans(samples, config.seed)
    if writer is None and config.writer:
        writer = load_backend(config.writer)
    if writer is not None:
        plans = rewrite(plans, writer, config.seed, config.writer_max_tokens)
    return plans, writer.spec if writer else None


def grade_probe(
    plans: Sequence[ProbePlan],
    grader: PlanGrader,
    config: ProbeConfig = ProbeConfig(),
    writer: str | None = None,
) -> ProbeResult:
    """Grade the probe plans in one `grade_many` call, timed, and summarise."""
    pairs = [(plan.sample, plan.plan()) for plan in plans]
    start = time.perf_counter()
    grades = grader.grade_many(pairs)
    seconds = time.perf_counter() - start
    return summarize_probe(grader.name, plans, grades, seconds, config, writer)


def run_probe(
    samples: Sequence[Sample],
    grader: PlanGrader,
    config: ProbeConfig = ProbeConfig(),
    writer: ChatBackend | None = None,
) -> ProbeResult:
    """Build the probe plans and grade them with one grader."""
    plans, writer_spec = probe_plans(samples, config, writer)
    return grade_probe(plans, grader, config, writer_spec)


@dataclass(frozen=True, kw_only=True)
class GradeProbeConfig(ProbeConfig):
    """Know your grader before you train: ordering accuracy, item AUC and hackability.

    Grade plans whose covered rubric items are known by construction (all, a random half, that half padded, another goal's, none) and report how
    well each grader recovers them, and whether adversarial plans (the goal parroted, generic
    boilerplate, keyword stuffing) outscore the honest half. Run it on your goals before
    spending GPU-days."""

    goals: Path = option(
        help="Goals with rubrics: a samples JSONL, or a file in the released schema.",
        positional=True,
        input="file",
    )
    grader: tuple[ModelSpec, ...] = option(
        (EMBED,), f"Grader spec ({GRADER_SPEC_HELP}); repeat for one row each."
    )
    grading: GradingConfig = field(default_factory=GradingConfig)
    cache: bool = option(True, "Keep replies in the response cache.")
    reward: Reward = option(
        "score",
        "What the probe reads of a grade, as `train --reward` does: score (share of "
        "items met) or probability (mean P(satisfied)).",
    )
    contrast: int = option(
        0,
        "Probe the contrastive reward, as `train --contrast N` pays it: each plan's "
        "value minus its mean on N other probe goals' rubrics (0: off).",
        min=0,
    )
    max_goals: int | None = option(None, "Probe only the first N goals (default: all).", min=2)
    output: Path | None = option(
        None, "Write one ProbeResult JSON row per grader here.", flags=("-o",), output="file"
    )


def probe_graders(config: GradeProbeConfig) -> list[ProbeResult]:
    """One result per grader, over one set of probe plans."""
    samples = load_goals(config.goals)[: config.max_goals]
    plans, writer = probe_plans(samples, config)
    results = []
    for spec in config.grader:
        grader = load_grader(spec, config.grading, cache=config.cache)
        if config.contrast or config.reward != "score":
            grader = ContrastiveGrader(grader, samples, config.contrast, value=config.reward)
        results.append(grade_probe(plans, grader, config, writer))
    return results


@dataclass(frozen=True)
class ProbeSummary:
    """What `grade-probe` found: the probe table, each grader's verdict, and where it went."""

    results: list[ProbeResult]
    output: Path | None = None
    failed = False

    def render(self) -> RenderableType:
        lines = [f"{result.grader}: {result.verdict}" for result in self.results]
        wrote = [f"wrote {self.output}"] if self.output is not None else []
        return Group(probe_table(self.results), *lines, *wrote)


def known_answer_probe(config: GradeProbeConfig) -> ProbeSummary:
    """`rubricrl grade-probe`: probe every grader, writing their rows to `--output` if given."""
    results = probe_graders(config)
    if config.output is not None:
        write_records(config.output, results)
    return ProbeSummary(results, config.output)


def most_telling(results: Sequence[ProbeResult]) -> ProbeResult:
    """The result whose grader separated known answers best: ordering accuracy, then item AUC,
    then speed."""
    return max(results, key=lambda r: (r.ordering_accuracy, r.item_auc or 0.0, r.items_per_second))


def probe_table(results: Sequence[ProbeResult]) -> Table:
    """One row per grader; chance is 0.50 for both ordering accuracy and item AUC, and a hack
    margin is an adversarial plan's mean score minus the half plan's."""
    first = results[0] if results else None
    writer = f", rewritten by {first.writer}" if first and first.writer else ""
    # the slash-joined numbers cannot wrap, so the grader's spec folds instead of truncating them
    table = Table(
        Column("grader", overflow="fold"),
        "ordering [95% CI]",
        "item AUC",
        "length bias",
        "unscored",
        "items/s",
        Column("mean\nfull/half/pad/off/empty", no_wrap=True),
        Column(HACK_HEADER, no_wrap=True),
        "verdict",
        title=f"known-answer probe: {first.goals if first else 0} goals{writer} (chance 0.50)",
    )
    for r in results:
        table.add_row(
            r.grader,
            f"{r.ordering_accuracy:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]",
            shown(r.item_auc, 2),
            shown(r.length_bias, 2),
            f"{r.unscored_share:.0%}",
            f"{r.items_per_second:.1f}",
            "/".join(shown(r.mean_scores.get(kind), 2) for kind in BASE_KINDS),
            "/".join(
                shown(m.mean if (m := r.hack_margins.get(kind)) else None, 2)
                for kind in ADVERSARIAL_KINDS
            ),
            r.verdict,
        )
    return table
