"""Experts and jury in one estimate: a prediction-powered win rate (PPI++, the `ppi-python`
package) from expert votes on a few goals and the jury's outcomes on many.

The estimand is the experts' win rate of A over B (a tie counting half). The jury's mean alone
is biased wherever the jury disagrees with the experts; the experts' mean alone is unbiased but
rests on few goals. PPI adds to the jury's mean over every goal the experts' correction,
measured on the goals both judged, and tunes how far to trust the jury (`lam`: 0 ignores it,
1 is plain PPI) to shrink the interval without biasing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from ppi_py import classical_mean_ci, ppi_mean_ci, ppi_mean_pointestimate

from rubricrl.errors import InputError
from rubricrl.evaluation.jury import jury_outcome
from rubricrl.records import Comparison, FusedEstimate, FusedWinRate, Preference
from rubricrl.stats import OUTCOME_VALUE, WIN_RATE_CONVENTION

MIN_HUMAN_GOALS = 2


def human_outcome(votes: Sequence[Preference]) -> float:
    """The experts' outcome for A on one goal: 1 per vote for A, 1/2 per tie, 0 per vote for B,
    averaged over the annotators who voted."""
    if not votes:
        raise InputError("a goal with human votes has none")
    return float(np.mean([OUTCOME_VALUE[v] for v in votes]))


def _checked(values: Sequence[float | None], what: str) -> np.ndarray:
    data = np.asarray([v for v in values if v is not None], dtype=float)
    if data.size and (not np.isfinite(data).all() or data.min() < 0.0 or data.max() > 1.0):
        raise InputError(f"{what} must lie in [0, 1]")
    return data


def power_tuning(labelled: np.ndarray, predicted: np.ndarray, unlabelled: np.ndarray) -> float:
    """PPI++'s variance-minimising lam for a mean, clipped to [0, 1] (as ppi_py chooses it):
    cov(Y, Yhat) / ((1 + n / N) var(Yhat)); 0 when the jury's outcomes never vary, where
    ppi_py would divide by zero."""
    everything = np.concatenate([predicted, unlabelled])
    spread = float(np.var(everything, ddof=1))
    if spread == 0.0:
        return 0.0
    covariance = float(np.mean((labelled - labelled.mean()) * (predicted - predicted.mean())))
    ratio = labelled.size / unlabelled.size
    return float(np.clip(covariance / ((1.0 + ratio) * spread), 0.0, 1.0))


def _estimate(value: float, bounds: tuple[np.ndarray, np.ndarray], n: int) -> FusedEstimate:
    low, high = (float(np.clip(np.ravel(b)[0], 0.0, 1.0)) for b in bounds)
    return FusedEstimate(value=float(np.ravel(value)[0]), low=low, high=high, n=n)


def fused_win_rate(
    human: Sequence[float],
    jury_voted: Sequence[float | None],
    jury_unvoted: Sequence[float | None],
    confidence: float = 0.95,
) -> FusedWinRate:
    """Experts-only, jury-only and prediction-powered win rates of A over B.

    `human[i]` is the experts' outcome on the i-th voted goal (see `human_outcome`) and
    `jury_voted[i]` the jury's outcome or P(A better) on it; `jury_unvoted` holds the jury's
    on goals without an expert vote. A None jury outcome (unscored) leaves its goal out of the
    jury and PPI estimates; the experts-only estimate keeps it.
    """
    if len(human) != len(jury_voted):
        raise InputError(f"{len(human)} human outcomes but {len(jury_voted)} jury outcomes")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must lie in (0, 1), not {confidence}")
    y = _checked(human, "human outcomes")
    if y.size < MIN_HUMAN_GOALS:
        raise InputError(
            f"a fused win rate needs human votes on at least {MIN_HUMAN_GOALS} goals, got {y.size}"
        )
    scored = [i for i, j in enumerate(jury_voted) if j is not None]
    if len(scored) < MIN_HUMAN_GOALS:
        raise InputError(
            f"a fused win rate needs at least {MIN_HUMAN_GOALS} goals with both human votes and "
            f"a scored jury outcome, got {len(scored)}"
        )
    y_paired = y[scored]
    yhat = _checked(jury_voted, "jury outcomes")
    yhat_unvoted = _checked(jury_unvoted, "jury outcomes")
    if yhat_unvoted.size == 0:
        raise InputError("a fused win rate needs jury outcomes on goals without human votes")
    alpha = 1.0 - confidence

    human_estimate = _estimate(y.mean(), classical_mean_ci(y, alpha=alpha), y.size)
    every = np.concatenate([yhat, yhat_unvoted])
    jury_estimate = _estimate(every.mean(), classical_mean_ci(every, alpha=alpha), every.size)
    lam = power_tuning(y_paired, yhat, yhat_unvoted)
    value = ppi_mean_pointestimate(y_paired, yhat, yhat_unvoted, lam=lam)
    bounds = ppi_mean_ci(y_paired, yhat, yhat_unvoted, alpha=alpha, lam=lam)
    return FusedWinRate(
        human=human_estimate,
        jury=jury_estimate,
        ppi=_estimate(value, bounds, y_paired.size),
        unvoted=int(yhat_unvoted.size),
        lam=lam,
        confidence=confidence,
        convention=WIN_RATE_CONVENTION,
    )


def fuse_study(
    votes: Mapping[str, Sequence[Preference]],
    comparisons: Sequence[Comparison],
    confidence: float = 0.95,
) -> FusedWinRate:
    """The fused win rate from expert votes by goal (sample id -> each annotator's preference)
    and the jury's comparisons of the same two models (one per goal)."""
    by_goal: dict[str, Comparison] = {}
    for comparison in comparisons:
        if comparison.sample_id in by_goal:
            raise InputError(f"goal {comparison.sample_id} is compared twice")
        by_goal[comparison.sample_id] = comparison
    voted = sorted(votes)
    human = [human_outcome(votes[goal]) for goal in voted]
    jury_voted = [jury_outcome(by_goal[g]) if g in by_goal else None for g in voted]
    jury_unvoted = [jury_outcome(c) for goal, c in by_goal.items() if goal not in votes]
    return fused_win_rate(human, jury_voted, jury_unvoted, confidence)
