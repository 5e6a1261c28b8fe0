"""The compare stage: a jury judges two models' plans goal by goal; writes comparisons and a summary."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from rubricrl.backends import Sampling, load_backend
from rubricrl.backends.base import ChatBackend
from rubricrl.backends.registry import SPEC_HELP
from rubricrl.errors import BackendError, InputError
from rubricrl.evaluation.judge import Judge, Pair, Position, position_of
from rubricrl.evaluation.jury import Jury, Rule, check_jury, orders_by_judge, verdicts_by_judge
from rubricrl.grading.grader import Verdicts
from rubricrl.jsonl import JsonlWriter, load_records
from rubricrl.layout import summary_path
from rubricrl.progress import progress_bar
from rubricrl.records import (
    Comparison,
    ComparisonSummary,
    JudgeAgreement,
    JudgeWinRate,
    Plan,
    Sample,
    WinRateRow,
)
from rubricrl.stats import (
    WIN_RATE_CONVENTION,
    cohen_kappa,
    percent_agreement,
    position_bias,
    win_rate,
)


@dataclass(frozen=True, kw_only=True)
class CompareConfig:
    """Judge two models' plans goal by goal, in both orders; A's win rate over B with intervals."""

    plans_a: Path = field(
        metadata={"help": "Plans of model A (JSONL of Plan).", "positional": True, "input": "file"}
    )
    plans_b: Path = field(
        metadata={"help": "Plans of model B (JSONL of Plan).", "positional": True, "input": "file"}
    )
    goals: Path = field(
        metadata={"help": "Goals the plans answer (JSONL of Sample).", "input": "file"}
    )
    output: Path = field(
        metadata={
            "help": "Comparisons JSONL; the summary goes beside it.",
            "flags": ("-o",),
            "output": "file",
        }
    )
    judge: tuple[str, ...] = field(
        metadata={"help": f"Judge model spec ({SPEC_HELP}); repeat for a jury."}
    )
    verdicts: Verdicts = field(
        default="generated",
        metadata={
            "help": "generated: the judge writes its preference; prob: P(first plan better) read "
            "in both orders and averaged, so position bias cancels."
        },
    )
    min_mass: float = field(
        default=0.2,
        metadata={
            "help": "prob verdicts: least P(1)+P(2) for a judgment to count as scored.",
            "min": 0.0,
            "max": 1.0,
        },
    )
    show_rubric: bool = field(default=False, metadata={"help": "Show judges the rubric."})
    show_reference: bool = field(
        default=False, metadata={"help": "Show judges the paper's reference solution."}
    )
    rule: Rule = field(default="majority", metadata={"help": "Jury rule."})
    bootstrap: int = field(
        default=1000, metadata={"help": "Bootstrap resamples for intervals.", "min": 1}
    )
    seed: int = field(
        default=0, metadata={"help": "Seed of the judges' sampling and the bootstrap."}
    )
    allow_partial: bool = field(
        default=False, metadata={"help": "Compare only the goals both plan files cover."}
    )
    chunk: int = field(
        default=256,
        metadata={"help": "Goals per backend batch (results are saved per chunk).", "min": 1},
    )
    max_tokens: int = field(
        default=256, metadata={"help": "Most tokens per judge reply.", "min": 1}
    )
    temperature: float = field(
        default=0.0, metadata={"help": "Judge sampling temperature.", "min": 0.0}
    )
    retries: int = field(
        default=1, metadata={"help": "Extra attempts for unreadable judge replies.", "min": 0}
    )

    @property
    def summary_path(self) -> Path:
        return summary_path(self.output)


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
        check_jury(config.judge, config.rule)
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
    with JsonlWriter(config.output, redo=lambda row: row.get("decision") is None) as writer:
        todo = [pair for pair in pairs if pair.id not in writer]
        step = max(config.chunk, 1)
        with progress_bar("compare", len(pairs), len(pairs) - len(todo)) as progress:
            for start in range(0, len(todo), step):
                chunk = todo[start : start + step]
                try:
                    writer.write_all(jury.compare(chunk))
                except BackendError as error:
                    done = len(pairs) - len(todo) + start
                    raise BackendError(
                        f"{error}; {done} of {len(pairs)} comparisons kept in {config.output}, "
                        "re-run to resume"
                    ) from error
                progress.advance(len(chunk))
    wanted = {pair.id for pair in pairs}
    comparisons = [
        c for c in load_records(config.output, Comparison, allow_empty=True) if c.id in wanted
    ]
    summary = summarize(comparisons, config.rule, config.bootstrap, config.seed)
    config.summary_path.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return summary


def rate_row(decisions: Sequence[str | None], resamples: int, seed: int) -> WinRateRow:
    """Win rate over the scored decisions, and how many were unscored (None)."""
    scored = [decision for decision in decisions if decision is not None]
    unscored = len(decisions) - len(scored)
    if not scored:
        empty = {"win_rate": None, "ci_low": None, "ci_high": None}
        return WinRateRow(n=0, **empty, wins=0, losses=0, ties=0, unscored=unscored)
    result = win_rate(scored, resamples, seed)
    return WinRateRow(
        n=result.rate.n,
        win_rate=result.rate.value,
        ci_low=result.rate.low,
        ci_high=result.rate.high,
        wins=result.wins,
        losses=result.losses,
        ties=result.ties,
        unscored=unscored,
    )


def _position_bias(orders: Sequence[tuple[Position | None, Position | None]]) -> float | None:
    scored = [(first, second) for first, second in orders if first and second]
    return position_bias(scored) if scored else None


def judge_agreement(
    judges: tuple[str, str], x: Sequence[str | None], y: Sequence[str | None]
) -> JudgeAgreement:
    """Agreement of two judges over the pairs both scored."""
    both = [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    first, second = [a for a, _ in both], [b for _, b in both]
    return JudgeAgreement(
        judges=list(judges),
        n=len(both),
        unscored=len(x) - len(both),
        percent=percent_agreement(first, second) if both else None,
        kappa=cohen_kappa(first, second) if both else None,
    )


def summarize(
    comparisons: Sequence[Comparison], rule: Rule, resamples: int = 1000, seed: int = 0
) -> ComparisonSummary:
    """Win rate with a bootstrap 95% interval, per domain and per judge, position bias, agreement.

    Unscored decisions and verdicts are left out of every rate and counted beside it."""
    if not comparisons:
        raise InputError("no comparisons to summarize")
    verdicts = [verdicts_by_judge(c.judgments) for c in comparisons]
    names = list(verdicts[0])
    by_domain: dict[str, list[str | None]] = {}
    for comparison in comparisons:
        by_domain.setdefault(comparison.domain or "unknown", []).append(comparison.decision)
    orders = [orders_by_judge(c.judgments) for c in comparisons]
    by_judge = {
        name: JudgeWinRate(
            **rate_row([v[name] for v in verdicts], resamples, seed).model_dump(),
            position_bias=_position_bias(
                [(position_of(o[name][0]), position_of(o[name][1])) for o in orders]
            ),
        )
        for name in names
    }
    return ComparisonSummary(
        model_a=comparisons[0].model_a,
        model_b=comparisons[0].model_b,
        judges=names,
        rule=rule,
        convention=WIN_RATE_CONVENTION,
        confidence=0.95,
        bootstrap=resamples,
        seed=seed,
        overall=rate_row([c.decision for c in comparisons], resamples, seed),
        by_domain={d: rate_row(ds, resamples, seed) for d, ds in sorted(by_domain.items())},
        by_judge=by_judge,
        agreement=[
            judge_agreement((x, y), [v[x] for v in verdicts], [v[y] for v in verdicts])
            for x, y in combinations(names, 2)
        ],
    )


def number(value: float | None, digits: int = 3) -> str:
    """A rate or statistic for the terminal; n/a when there is none."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def rate_line(label: str, r: WinRateRow) -> str:
    """`label: rate [low, high] (n=...: wins, losses, ties, unscored)`."""
    return (
        f"{label}: {number(r.win_rate)} [{number(r.ci_low)}, {number(r.ci_high)}] "
        f"(n={r.n}: {r.wins} wins, {r.losses} losses, {r.ties} ties, {r.unscored} unscored)"
    )


def render_summary(summary: ComparisonSummary) -> str:
    """A few human-readable lines of a summary, for the terminal."""
    lines = [
        f"{summary.model_a} vs {summary.model_b} ({summary.convention}, 95% bootstrap CI)",
        rate_line("overall", summary.overall),
        *(rate_line(f"domain {d}", r) for d, r in summary.by_domain.items()),
        *(
            rate_line(f"judge {j}", r) + f", position bias {number(r.position_bias, 2)}"
            for j, r in summary.by_judge.items()
        ),
        *(
            f"agreement {a.judges[0]} ~ {a.judges[1]} over {a.n} pairs: "
            f"{number(a.percent, 2)}, kappa "
            + ("undefined" if a.kappa is None else f"{a.kappa:.2f}")
            for a in summary.agreement
        ),
    ]
    return "\n".join(lines)
