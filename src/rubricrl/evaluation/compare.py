"""The compare stage: a jury judges two models' plans goal by goal; writes comparisons and a summary."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rubricrl.backends import Sampling, load_backend
from rubricrl.backends.base import ChatBackend
from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.evaluation.judge import Judge, Pair
from rubricrl.evaluation.jury import Jury, Rule, check_jury
from rubricrl.evaluation.win_rates import summarize
from rubricrl.grading.grader import Verdicts
from rubricrl.jsonl import Row, load_records
from rubricrl.model_spec import SPEC_HELP, ModelSpec
from rubricrl.records import Comparison, ComparisonSummary, Plan, Sample
from rubricrl.stage import Resumable, write_summary


@dataclass(frozen=True, kw_only=True)
class CompareConfig:
    """Judge two models' plans goal by goal, in both orders; A's win rate over B with intervals."""

    plans_a: Path = option(help="Plans of model A (JSONL of Plan).", positional=True, input="file")
    plans_b: Path = option(help="Plans of model B (JSONL of Plan).", positional=True, input="file")
    goals: Path = option(help="Goals the plans answer (JSONL of Sample).", input="file")
    output: Path = option(
        help="Comparisons JSONL; the summary goes beside it.", flags=("-o",), output="file"
    )
    judge: tuple[ModelSpec, ...] = option(
        help=f"Judge model spec ({SPEC_HELP}); repeat for a jury."
    )
    verdicts: Verdicts = option(
        "generated",
        "generated: the judge writes its preference; prob: P(first plan better) read "
        "in both orders and averaged, so position bias cancels.",
    )
    min_mass: float = option(
        0.2, "prob verdicts: least P(1)+P(2) for a judgment to count as scored.", min=0.0, max=1.0
    )
    show_rubric: bool = option(False, "Show judges the rubric.")
    show_reference: bool = option(False, "Show judges the paper's reference solution.")
    rule: Rule = option("majority", "Jury rule.")
    bootstrap: int = option(1000, "Bootstrap resamples for intervals.", min=1)
    seed: int = option(0, "Seed of the judges' sampling and the bootstrap.")
    allow_partial: bool = option(False, "Compare only the goals both plan files cover.")
    chunk: int = option(256, "Goals per backend batch (results are saved per chunk).", min=1)
    max_tokens: int = option(256, "Most tokens per judge reply.", min=1)
    temperature: float = option(0.0, "Judge sampling temperature.", min=0.0)
    retries: int = option(1, "Extra attempts for unreadable judge replies.", min=0)


def plans_by_goal(path: Path, goals_path: Path, samples: dict[str, Sample]) -> dict[str, Plan]:
    """The first plan (lowest index) per goal of one model's plan file, checked against the goals."""
    plans = load_records(path, Plan)
    models = sorted({plan.model for plan in plans})
    if len(models) > 1:
        raise InputError(
            f"{path}: plans of several models ({', '.join(models)}); keep one per file"
        )
    unknown = [plan.sample_id for plan in plans if plan.sample_id not in samples]
    if unknown:
        raise InputError(
            f"{path}: {len(set(unknown))} goal(s) missing from {goals_path} (e.g. {unknown[0]!r})"
        )
    chosen: dict[str, Plan] = {}
    for plan in sorted(plans, key=lambda p: p.index):
        chosen.setdefault(plan.sample_id, plan)
    return chosen


def _shared_goals(config: CompareConfig, a: dict[str, Plan], b: dict[str, Plan]) -> set[str]:
    shared = a.keys() & b.keys()
    only_a, only_b = len(a.keys() - shared), len(b.keys() - shared)
    if (only_a or only_b) and not config.allow_partial:
        raise InputError(
            f"{config.plans_a} and {config.plans_b} cover different goals: {len(shared)} shared, "
            f"{only_a} only in A, {only_b} only in B; pass --allow-partial to compare the shared ones"
        )
    if not shared:
        raise InputError(f"{config.plans_a} and {config.plans_b} share no goals")
    return set(shared)


def _run_digest(config: CompareConfig, judges: Sequence[Judge]) -> str:
    """A short hash of what shapes a decision, so a changed jury never reuses old rows."""
    settings = [
        [judge.name for judge in judges],
        judges[0].template.digest,
        judges[0].sampling.as_dict(),
        config.show_rubric,
        config.show_reference,
        config.rule,
        config.verdicts,
        config.min_mass,
    ]
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Goals:
    """The checked inputs: every goal both plan files answer, with each model's plan for it."""

    samples: list[Sample]
    plans_a: dict[str, Plan]
    plans_b: dict[str, Plan]

    @classmethod
    def load(cls, config: CompareConfig) -> Goals:
        samples = {sample.id: sample for sample in load_records(config.goals, Sample)}
        a = plans_by_goal(config.plans_a, config.goals, samples)
        b = plans_by_goal(config.plans_b, config.goals, samples)
        shared = _shared_goals(config, a, b)
        return cls([s for s in samples.values() if s.id in shared], a, b)

    def pairs(self, digest: str) -> list[Pair]:
        """The pairs to judge, in goals-file order."""
        return [
            Pair(
                f"{s.id}:{self.plans_a[s.id].id}~{self.plans_b[s.id].id}:{digest}",
                s,
                self.plans_a[s.id],
                self.plans_b[s.id],
            )
            for s in self.samples
        ]


def compare(
    config: CompareConfig, backends: Sequence[ChatBackend] | None = None
) -> ComparisonSummary:
    """Judge every shared goal's pair (resuming), write comparisons and the summary; return it."""
    goals = Goals.load(config)  # check every input before any model loads
    if backends is None:
        check_jury([str(spec) for spec in config.judge], config.rule)
        backends = [load_backend(spec) for spec in config.judge]
    sampling = Sampling(
        temperature=config.temperature, max_tokens=config.max_tokens, seed=config.seed
    )
    judges = [
        Judge(
            b,
            sampling,
            config.show_rubric,
            config.show_reference,
            config.retries,
            verdicts=config.verdicts,
            min_mass=config.min_mass,
        )
        for b in backends
    ]
    jury = Jury(judges, config.rule)
    pairs = goals.pairs(_run_digest(config, judges))
    with Resumable("compare", config.output, pairs, noun="pairs", redo=undecided) as work:
        for chunk in work.chunks(config.chunk):
            work.write(jury.compare(chunk))  # a BackendError stops it; the kernel says what is kept
    wanted = {pair.id for pair in pairs}
    comparisons = [
        c for c in load_records(config.output, Comparison, allow_empty=True) if c.id in wanted
    ]
    summary = summarize(
        comparisons,
        config.rule,
        config.bootstrap,
        config.seed,
        verdicts=config.verdicts,
        sampling={"temperature": config.temperature, "max_tokens": config.max_tokens},
    )
    write_summary(config.output, summary)
    return summary


def undecided(row: Row) -> bool:
    """Whether a comparison has no decision (no judge could answer), so a re-run judges it again."""
    return row.get("decision") is None
