"""Pure statistics for evaluation: win rates, means with bootstrap intervals, judge agreement, AUC."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Win-rate convention: a win for A counts 1, a tie 1/2, a loss 0.
OUTCOME_VALUE = {"A": 1.0, "tie": 0.5, "B": 0.0}
WIN_RATE_CONVENTION = "win rate of A over B; a tie counts as half a win"
MEAN_P_CONVENTION = (
    "win rate of A over B: mean P(A better) per goal, both orders averaged; the share of goals"
    " decided for A (a tie half) beside it"
)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided confidence interval [low, high]."""

    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class WinRate:
    """The win rate of A over B with its interval, the raw outcome counts and, when the rate is
    a mean of probabilities, the decisions' share beside it (`thresholded`)."""

    rate: Estimate
    wins: int
    losses: int
    ties: int
    thresholded: float | None = None


def mean_with_ci(
    values: Sequence[float], resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """Mean of `values` (e.g. per-plan rubric scores) with a seeded percentile bootstrap interval."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("mean_with_ci needs at least one value")
    mean = float(data.mean())
    if resamples <= 0:
        return Estimate(mean, mean, mean, int(data.size))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, data.size, size=(resamples, data.size))
    means = data[draws].mean(axis=1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return Estimate(mean, float(low), float(high), int(data.size))


def share_with_ci(
    values: Sequence[float], resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """Mean of values in [0, 1] (outcomes, or probabilities) with a seeded bootstrap interval.

    A unanimous sample's resamples all agree, and a zero-width interval would claim certainty
    that a finite sample cannot give: it gets the Wilson interval of its share instead."""
    estimate = mean_with_ci(values, resamples, seed, confidence)
    if estimate.high > estimate.low:
        return estimate
    from statsmodels.stats.proportion import proportion_confint  # 1.4 s to import: only here

    n = estimate.n
    low, high = proportion_confint(estimate.value * n, n, 1 - confidence, method="wilson")
    return Estimate(estimate.value, float(low), float(high), n)


def win_rate(
    decisions: Sequence[str],
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    probabilities: Sequence[float] | None = None,
) -> WinRate:
    """Win rate of A over B from "A" / "B" / "tie" decisions, ties counting half.

    With `probabilities` (each decision's P(A better)) the rate is their mean, and the decisions'
    share is kept beside it: cutting each probability at 1/2 throws away how sure the judge was,
    and a share of cut decisions estimates something else than the mean probability."""
    unknown = set(decisions) - set(OUTCOME_VALUE)
    if unknown:
        raise ValueError(f"unknown decisions {sorted(unknown)}")
    if probabilities is not None and len(probabilities) != len(decisions):
        raise ValueError("one probability per decision")
    counts = Counter(decisions)
    cut = [OUTCOME_VALUE[d] for d in decisions]
    values = cut if probabilities is None else probabilities
    return WinRate(
        share_with_ci(values, resamples, seed, confidence),
        wins=counts["A"],
        losses=counts["B"],
        ties=counts["tie"],
        thresholded=None if probabilities is None else sum(cut) / len(cut),
    )


def mann_whitney_auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """P(a random positive scores above a random negative), a tie counting half; None if a
    class is empty. From the rank sum (Mann-Whitney U / (n_pos * n_neg)), ties ranked midway."""
    pos, neg = np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    if pos.size == 0 or neg.size == 0:
        return None
    _, inverse, counts = np.unique(
        np.concatenate([pos, neg]), return_inverse=True, return_counts=True
    )
    ends = np.cumsum(counts)
    midranks = (ends - counts + 1 + ends) / 2.0  # tied values share the mean of their ranks
    u = midranks[inverse[: pos.size]].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def percent_agreement(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of items on which two raters gave the same label."""
    _check_paired(a, b)
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa between two raters; None when chance agreement is total (kappa undefined)."""
    _check_paired(a, b)
    observed = percent_agreement(a, b)
    count_a, count_b = Counter(a), Counter(b)
    n = len(a)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def position_bias(orders: Sequence[tuple[str, str]]) -> float:
    """Share of pairs where a judge picked the same position ("1" or "2") in both orders.

    Each element holds the position chosen when A was shown first and when B was shown first;
    a judge without position bias picks the same *plan*, hence different positions.
    """
    if not orders:
        raise ValueError("position_bias needs at least one pair")
    same = sum(first == second and first in ("1", "2") for first, second in orders)
    return same / len(orders)


def _check_paired(a: Sequence[str], b: Sequence[str]) -> None:
    if len(a) != len(b) or not a:
        raise ValueError("agreement needs two non-empty label lists of equal length")
