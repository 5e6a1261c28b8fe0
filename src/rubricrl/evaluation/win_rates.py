"""Win rates of A over B from comparisons: overall, per domain and per judge, with bootstrap
intervals, position bias and agreement between judges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

from rubricrl.errors import InputError
from rubricrl.evaluation.judge import Position, position_of
from rubricrl.evaluation.jury import (
    Rule,
    a_better_probability,
    jury_probability,
    orders_by_judge,
    verdicts_by_judge,
)
from rubricrl.records import (
    Comparison,
    ComparisonSummary,
    JudgeAgreement,
    JudgeWinRate,
    Judgment,
    WinRateRow,
)
from rubricrl.stats import (
    MEAN_P_CONVENTION,
    OUTCOME_VALUE,
    WIN_RATE_CONVENTION,
    cohen_kappa,
    percent_agreement,
    position_bias,
    win_rate,
)


def rate_row(
    decisions: Sequence[str | None],
    resamples: int,
    seed: int,
    probabilities: Sequence[float | None] | None = None,
) -> WinRateRow:
    """Win rate over the scored decisions, and how many were unscored (None). Where any scored
    decision has its P(A better) in `probabilities`, the rate is the mean probability (a decision
    without one counts as its outcome) and the decisions' share is kept beside it."""
    scored = [i for i, decision in enumerate(decisions) if decision is not None]
    unscored = len(decisions) - len(scored)
    if not scored:
        empty = {"win_rate": None, "ci_low": None, "ci_high": None}
        return WinRateRow(n=0, **empty, wins=0, losses=0, ties=0, unscored=unscored)
    cut = [str(decisions[i]) for i in scored]
    given = [probabilities[i] if probabilities else None for i in scored]
    values = None
    if any(p is not None for p in given):
        values = [OUTCOME_VALUE[d] if p is None else p for d, p in zip(cut, given, strict=True)]
    result = win_rate(cut, resamples, seed, probabilities=values)
    return WinRateRow(
        n=result.rate.n,
        win_rate=result.rate.value,
        ci_low=result.rate.low,
        ci_high=result.rate.high,
        wins=result.wins,
        losses=result.losses,
        ties=result.ties,
        unscored=unscored,
        thresholded=result.thresholded,
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


def _judge_probability(orders: tuple[Judgment, Judgment]) -> float | None:
    """One judge's P(A better) over both orders; None without probability verdicts."""
    a_first, b_first = orders
    if a_first.first_better is None or b_first.first_better is None:
        return None
    return a_better_probability(a_first, b_first)


def summarize(
    comparisons: Sequence[Comparison],
    rule: Rule,
    resamples: int = 1000,
    seed: int = 0,
    *,
    verdicts: str = "generated",
    sampling: Mapping[str, float | int] | None = None,
) -> ComparisonSummary:
    """Win rate with a bootstrap 95% interval, per domain and per judge, position bias, agreement;
    with probability verdicts the mean P(A better) per goal, the decided share beside it.

    Unscored decisions and verdicts are left out of every rate and counted beside it. `verdicts`
    and `sampling` (the judges') are recorded, so a summary says what produced it."""
    if not comparisons:
        raise InputError("no comparisons to summarize")
    judged = [verdicts_by_judge(c.judgments) for c in comparisons]
    orders = [orders_by_judge(c.judgments) for c in comparisons]
    names = list(judged[0])
    jury = [jury_probability(c) for c in comparisons]
    domains: dict[str, list[int]] = {}
    for index, comparison in enumerate(comparisons):
        domains.setdefault(comparison.domain or "unknown", []).append(index)

    def jury_row(indices: Sequence[int]) -> WinRateRow:
        decisions = [comparisons[i].decision for i in indices]
        return rate_row(decisions, resamples, seed, [jury[i] for i in indices])

    by_judge = {
        name: JudgeWinRate(
            **rate_row(
                [v[name] for v in judged],
                resamples,
                seed,
                [_judge_probability(o[name]) for o in orders],
            ).model_dump(),
            position_bias=_position_bias(
                [(position_of(o[name][0]), position_of(o[name][1])) for o in orders]
            ),
        )
        for name in names
    }
    overall = jury_row(range(len(comparisons)))
    return ComparisonSummary(
        model_a=comparisons[0].model_a,
        model_b=comparisons[0].model_b,
        judges=names,
        rule=rule,
        convention=WIN_RATE_CONVENTION if overall.thresholded is None else MEAN_P_CONVENTION,
        confidence=0.95,
        bootstrap=resamples,
        seed=seed,
        verdicts=verdicts,
        sampling=dict(sampling or {}),
        overall=overall,
        by_domain={domain: jury_row(indices) for domain, indices in sorted(domains.items())},
        by_judge=by_judge,
        agreement=[
            judge_agreement((x, y), [v[x] for v in judged], [v[y] for v in judged])
            for x, y in combinations(names, 2)
        ],
    )
