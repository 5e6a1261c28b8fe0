"""A length-controlled win rate of A over B: what the judges' preference would be if both plans
had the same length, in the spirit of AlpacaEval 2's length-controlled win rate.

The model is a logistic GLM (Binomial family; fractional preferences allowed, so probability
verdicts fit as they are) of A's preference on x = tanh((words_a - words_b) / s), with s the
standard deviation of the length differences. tanh, as AlpacaEval does, bounds the pull of a few
extreme length gaps (a judge's taste for length saturates; a linear term would let outliers set
the slope and so the extrapolation to x = 0), and s makes the unit the spread of the differences
themselves, independent of how much longer A is on average.

Goal effects, where identified (enough goals whose rows differ in length difference, e.g. several
plans per goal), enter as the goal's mean x beside x (Mundlak's device): the coefficient on x is
then the within-goal length effect, the one per-goal dummies would give, while the goal-level
association of length and preference is held apart. Dummies are not used: with goal-clustered
errors each dummy's score sums to zero within its cluster, so the clustered variance of exactly
the terms the win rate rests on collapses; unanimous goals would separate; and dummies condition
on the goals drawn, where the question is how A fares on goals like these.

Each goal weighs the same (rows weighted 1 / rows of its goal), errors are clustered by goal
(`cov_type="cluster"`), and intervals are Wald intervals on the log-odds scale with a t quantile
on goals - 1 degrees of freedom, mapped through the logistic function: the delta method on the
clustered covariance, kept inside (0, 1), deterministic and cheap, where a goal bootstrap would
refit hundreds of times and its resamples would often separate when goals are few. The
length-controlled win rate is the prediction at zero length difference (x = 0 and, with goal
effects, goal mean x = 0), the same for every goal and so also its average over goals.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import stats as scipy_stats

from rubricrl.records import LengthControlledWinRate

MIN_GOALS = 5
# A fitted log-odds beyond this means a fitted probability within 3e-7 of 0 or 1: separation.
_SEPARATED = 15.0


@dataclass(frozen=True)
class Judged:
    """One judged pair: its goal, A's preference in [0, 1] (1: A better, 0.5: tie, or
    P(A better)) and both plans' lengths in words."""

    goal: str
    preference: float
    words_a: int
    words_b: int

    def __post_init__(self) -> None:
        if not 0.0 <= self.preference <= 1.0:  # also rejects NaN
            raise ValueError(f"preference {self.preference} is not in [0, 1]")
        if self.words_a < 0 or self.words_b < 0:
            raise ValueError("plan lengths cannot be negative")


@dataclass(frozen=True)
class _Fit:
    coef: np.ndarray
    cov: np.ndarray


def _fit(y: np.ndarray, design: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> _Fit | str:
    """A goal-clustered Binomial GLM fit, or why it cannot be trusted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation and convergence are judged below
        try:
            model = sm.GLM(y, design, family=sm.families.Binomial(), var_weights=weights)
            result = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        except (ValueError, np.linalg.LinAlgError) as error:
            return f"the fit failed ({error})"
    coef, cov = np.asarray(result.params), np.asarray(result.cov_params())
    if not result.converged or np.abs(design @ coef).max() > _SEPARATED:
        return "perfect separation: some preferences are predicted exactly"
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return "the clustered covariance is degenerate"
    return _Fit(coef, cov)


def _interval(value: float, se: float, crit: float) -> tuple[float, float]:
    return value - crit * se, value + crit * se


def _expit(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def length_controlled_win_rate(
    judged: Sequence[Judged], confidence: float = 0.95, min_goals: int = MIN_GOALS
) -> LengthControlledWinRate:
    """A's length-controlled win rate over B from judged pairs (see the module docstring).

    Never raises on degenerate data: too few goals, no length variation, no preference
    variation or perfect separation come back as a `reason` with the estimate left None."""
    goals = sorted({row.goal for row in judged})
    index = {goal: i for i, goal in enumerate(goals)}
    groups = np.array([index[row.goal] for row in judged], dtype=int)
    y = np.array([row.preference for row in judged], dtype=float)
    diff = np.array([row.words_a - row.words_b for row in judged], dtype=float)
    counts = np.bincount(groups, minlength=len(goals)) if len(judged) else np.zeros(0)
    weights = 1.0 / counts[groups] if len(judged) else np.zeros(0)

    fields: dict[str, object] = {
        "n_goals": len(goals),
        "n_rows": len(judged),
        "confidence": confidence,
        "raw_win_rate": float(np.sum(weights * y) / len(goals)) if goals else None,
        "raw_ci_low": None,
        "raw_ci_high": None,
        "lc_win_rate": None,
        "lc_ci_low": None,
        "lc_ci_high": None,
        "length_coef": None,
        "length_ci_low": None,
        "length_ci_high": None,
        "length_scale": None,
        "mean_length_difference": float(np.sum(weights * diff) / len(goals)) if goals else None,
        "goal_effects": False,
    }

    def done(reason: str | None) -> LengthControlledWinRate:
        return LengthControlledWinRate.model_validate({**fields, "reason": reason})

    if not goals:
        return done("no judged pairs")
    if len(goals) < min_goals:
        return done(f"{len(goals)} goals, fewer than the {min_goals} needed")
    if np.ptp(y) == 0:
        return done(f"every preference is {y[0]:g}: no variation to model")
    crit = float(scipy_stats.t.ppf(0.5 + confidence / 2, df=len(goals) - 1))

    raw = _fit(y, np.ones((len(y), 1)), weights, groups)
    if isinstance(raw, _Fit):
        low, high = _interval(raw.coef[0], math.sqrt(raw.cov[0, 0]), crit)
        fields["raw_ci_low"], fields["raw_ci_high"] = _expit(low), _expit(high)

    scale = float(np.std(diff))
    if scale == 0:
        return done("no length variation: every length difference is the same")
    fields["length_scale"] = scale
    x = np.tanh(diff / scale)
    goal_mean = (np.bincount(groups, weights=weights * x) / np.bincount(groups, weights=weights))[
        groups
    ]
    within = x - goal_mean
    varied = np.bincount(groups, weights=np.abs(within) > 1e-12) > 0
    use_effects = int(varied.sum()) >= min_goals and np.ptp(goal_mean) > 0
    columns = [np.ones_like(x), x, goal_mean] if use_effects else [np.ones_like(x), x]
    fit = _fit(y, np.column_stack(columns), weights, groups)
    if not isinstance(fit, _Fit):
        return done(fit)
    fields["goal_effects"] = bool(use_effects)

    se = np.sqrt(np.diag(fit.cov))
    low, high = _interval(fit.coef[0], se[0], crit)
    fields["lc_win_rate"] = _expit(fit.coef[0])
    fields["lc_ci_low"], fields["lc_ci_high"] = _expit(low), _expit(high)
    fields["length_coef"] = float(fit.coef[1])
    fields["length_ci_low"], fields["length_ci_high"] = _interval(fit.coef[1], se[1], crit)
    return done(None if isinstance(raw, _Fit) else f"raw interval: {raw}")
