"""Win rates of A over B from comparisons: overall, per domain and per judge, with bootstrap
intervals, position bias and agreement between judges."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from rubricrl.errors import InputError
from rubricrl.evaluation.judge import Position, position_of
from rubricrl.evaluation.jury import Rule, orders_by_judge, verdicts_by_judge
from rubricrl.records import (
    Comparison,
    ComparisonSummary,
    JudgeAgreement,
    JudgeWinRate,
    WinRateRow,
)
from rubricrl.stats import (
    WIN_RATE_CONVENTION,
    cohen_kappa,
    percent_agreement,
    position_bias,
    win_rate,
)


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
