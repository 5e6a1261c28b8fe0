"""Pure statistics for evaluation: win rates, means with bootstrap intervals, judge agreement, AUC."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Win-rate convention: a win for A counts 1, a tie 1/2, a loss 0.
OUTCOME_VALUE = {"A": 1.0, "tie": 0.5, "B": 0.0}
WIN_RATE_CONVENTION = "win rate of A over B; a tie counts as half a win"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided confidence interval [low, high]."""

    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class WinRate:
    """The win rate of A over B with its interval, and the raw outcome counts."""

    rate: Estimate
    wins: int
    losses: int
    ties: int


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


def win_rate(
    decisions: Sequence[str], resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> WinRate:
    """Win rate of A over B from "A" / "B" / "tie" decisions, ties counting half."""
    unknown = set(decisions) - set(OUTCOME_VALUE)
    if unknown:
        raise ValueError(f"unknown decisions {sorted(unknown)}")
    counts = Counter(decisions)
    estimate = mean_with_ci([OUTCOME_VALUE[d] for d in decisions], resamples, seed, confidence)
    return WinRate(estimate, wins=counts["A"], losses=counts["B"], ties=counts["tie"])


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
