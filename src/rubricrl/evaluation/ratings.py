"""Bradley-Terry ratings of many models (or checkpoints) from pairwise comparisons.

Scores come from `evalica.bradley_terry`; a comparison's outcome is the jury's decision (a tie
counting half a win) or, where given, the probability that A's plan is better, entered as a
fractional win. Scores read on the Elo scale, 400 * log10 of a model's strength over the
reference model's (the first model seen, unless named), so the reference scores 0 and a gap of
d points means P(higher beats lower) = 1 / (1 + 10^(-d/400)): 100 points is about 64%, 200
about 76%. It is the scale readers of arena leaderboards know, and it keeps the numbers in a
range people can compare at a glance, unlike raw strengths.

Intervals are seeded percentile bootstraps that resample goals, each goal with all of its
comparisons, since comparisons on one goal share its difficulty. The reference's interval is
the point 0 by construction, so separability against it asks whether the other model's
interval excludes 0.

Every fit adds one virtual tie to each pair of models judged directly: without it a model
that wins (or loses) every game, which is common on a few goals and in bootstrap resamples,
has no finite score, and evalica then returns equal scores for all. Against hundreds of real
comparisons its pull toward 0 is small: about 3 points at 100 games a pair, less with more.

Pairwise tests use an exact two-sided sign test over goals (a goal's outcome is the mean of
that pair's comparisons on it; goals that come out even are left out of the test and count
half in the win rate), Holm-corrected across pairs.

No style control: evalica's Bradley-Terry takes no covariates (plan length, formatting), so
these ratings do not adjust for style; use the length-controlled win rates for that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import evalica
import numpy as np
import pandas as pd
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from rubricrl.errors import InputError
from rubricrl.evaluation.jury import jury_outcome
from rubricrl.records import SCALE, TEST, Comparison, ModelRating, PairTest, RatingSummary

ELO = 400.0 / np.log(10.0)  # Elo points per natural-log unit of strength
VIRTUAL_TIES = 1.0  # per pair judged directly, in every fit: keeps scores finite


def ratings(
    comparisons: Sequence[Comparison],
    reference: str | None = None,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> RatingSummary:
    """Ratings, intervals, pairwise tests and separability from comparisons of several models.

    A comparison's outcome for A is the jury's (`jury.jury_outcome`: P(A better) from probability
    verdicts, else the decision, a tie half); unscored comparisons are left out and counted."""
    if resamples < 0 or not 0.0 < confidence < 1.0:
        raise InputError(
            f"need resamples >= 0 and 0 < confidence < 1; got {resamples}, {confidence}"
        )
    names: list[str] = []
    rows: list[tuple[str, str, str, float]] = []  # goal, model a, model b, outcome for a
    for comparison in comparisons:
        a, b = comparison.model_a, comparison.model_b
        if a == b:
            raise InputError(f"comparison {comparison.id} compares {a} with itself")
        names.extend(name for name in (a, b) if name not in names)
        value = jury_outcome(comparison)
        if value is not None:
            rows.append((comparison.sample_id, a, b, value))
    if len(names) < 2:
        raise InputError("ratings need comparisons of at least two models")
    if not rows:
        raise InputError(f"none of the {len(comparisons)} comparisons has a scored outcome")
    models = [name for name in names if any(name in row[1:3] for row in rows)]
    _check_connected(models, rows)
    reference = reference or models[0]
    if reference not in models:
        raise InputError(f"reference {reference} has no scored comparison")

    goals = list(dict.fromkeys(row[0] for row in rows))
    pairs = list(dict.fromkeys(_ordered(models, a, b) for _, a, b, _ in rows))
    wins = np.zeros((len(goals), len(pairs)))  # per goal and pair: A's summed outcome
    counts = np.zeros((len(goals), len(pairs)))  # and its number of comparisons
    goal_of, pair_of = {g: i for i, g in enumerate(goals)}, {p: k for k, p in enumerate(pairs)}
    for goal, a, b, value in rows:
        pair = _ordered(models, a, b)
        flipped = pair != (a, b)
        wins[goal_of[goal], pair_of[pair]] += 1.0 - value if flipped else value
        counts[goal_of[goal], pair_of[pair]] += 1.0

    design = _Design.of(models, pairs, reference)
    fit = design.fit(wins.sum(axis=0), counts.sum(axis=0))
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(goals), np.full(len(goals), 1.0 / len(goals)), size=resamples)
    boot = np.array([design.fit(d @ wins, d @ counts) for d in draws]).reshape(-1, len(models))
    tail = (1.0 - confidence) / 2.0 * 100.0
    bounds = [
        (0.0, 0.0) if i == design.reference else _interval(boot[:, i], tail)
        for i in range(len(models))
    ]

    games = {m: sum(1 for row in rows if m in row[1:3]) for m in models}
    rated = [
        ModelRating(
            name=m,
            score=float(fit[i]),
            low=bounds[i][0],
            high=bounds[i][1],
            rank=1 + int(np.sum(fit > fit[i])),
            games=games[m],
        )
        for i, m in enumerate(models)
    ]
    by_name = {m.name: m for m in rated}
    tests = _pair_tests(pairs, wins, counts, by_name)
    apart = [_separable(by_name[x], by_name[y]) for x, y in combinations(models, 2)]
    return RatingSummary(
        reference=reference,
        scale=SCALE,
        test=TEST,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        goals=len(goals),
        scored=len(rows),
        unscored=len(comparisons) - len(rows),
        models=sorted(rated, key=lambda m: (m.rank, models.index(m.name))),
        pairs=tests,
        separability=sum(apart) / len(apart),
    )


def _ordered(models: list[str], a: str, b: str) -> tuple[str, str]:
    return (a, b) if models.index(a) < models.index(b) else (b, a)


def _check_connected(models: list[str], rows: list[tuple[str, str, str, float]]) -> None:
    """Refuse models no chain of scored comparisons links: their scores are not comparable."""
    reached, frontier = {models[0]}, [models[0]]
    while frontier:
        here = frontier.pop()
        for _, a, b, _ in rows:
            other = b if a == here else a if b == here else None
            if other is not None and other not in reached:
                reached.add(other)
                frontier.append(other)
    apart = [m for m in models if m not in reached]
    if apart:
        raise InputError(
            f"no chain of scored comparisons links {models[0]} and {apart[0]}: "
            "their ratings would not be comparable"
        )


@dataclass(frozen=True)
class _Design:
    """What every fit shares: each pair twice (A's wins, then B's), the models, the reference."""

    models: list[str]
    reference: int
    xs: list[str]
    ys: list[str]
    winners: list[evalica.Winner]
    index: pd.Index
    incidence: np.ndarray  # models x pairs: 1 where the model plays in the pair

    @classmethod
    def of(cls, models: list[str], pairs: list[tuple[str, str]], reference: str) -> _Design:
        incidence = np.array([[m in pair for pair in pairs] for m in models], dtype=float)
        return cls(
            models=models,
            reference=models.index(reference),
            xs=[a for a, _ in pairs] * 2,
            ys=[b for _, b in pairs] * 2,
            winners=[evalica.Winner.X] * len(pairs) + [evalica.Winner.Y] * len(pairs),
            index=pd.Index(models),
            incidence=incidence,
        )

    def fit(self, wins: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Elo-scale scores from each pair's total outcome for A and its count, with the
        virtual ties; NaN for a model without games (all NaN when the reference has none)."""
        prior = VIRTUAL_TIES / 2.0
        weights = np.concatenate([wins + prior, counts - wins + prior]).clip(min=0.0)
        result = evalica.bradley_terry(
            self.xs,
            self.ys,
            self.winners,
            index=self.index,
            weights=weights.tolist(),
            tolerance=1e-8,
            limit=1000,
        )
        by_name = result.scores.to_dict()  # evalica sorts by score: read by name
        strength = np.array([by_name[m] for m in self.models], dtype=float)
        played = self.incidence @ counts
        if played[self.reference] == 0:
            return np.full(len(self.models), np.nan)
        scores = ELO * np.log(strength / strength[self.reference])
        scores[played == 0] = np.nan
        return scores


def _interval(values: np.ndarray, tail: float) -> tuple[float | None, float | None]:
    """The bootstrap's percentile interval; none when every resample agrees (a unanimous handful
    of goals), since a zero-width interval would claim a certainty those goals cannot give."""
    kept = values[np.isfinite(values)]
    if kept.size == 0 or np.ptp(kept) == 0.0:
        return None, None
    low, high = np.percentile(kept, [tail, 100.0 - tail])
    return float(low), float(high)


def _separable(x: ModelRating, y: ModelRating) -> bool:
    if x.low is None or x.high is None or y.low is None or y.high is None:
        return False
    return x.low > y.high or y.low > x.high


def _pair_tests(
    pairs: list[tuple[str, str]],
    wins: np.ndarray,
    counts: np.ndarray,
    by_name: dict[str, ModelRating],
) -> list[PairTest]:
    rows = []
    for k, (a, b) in enumerate(pairs):
        judged = counts[:, k] > 0
        outcome = wins[judged, k] / counts[judged, k]
        won, lost = int(np.sum(outcome > 0.5)), int(np.sum(outcome < 0.5))
        p = binomtest(won, won + lost, 0.5).pvalue if won + lost else 1.0
        rows.append((a, b, outcome, won, lost, float(p)))
    holm = multipletests([row[5] for row in rows], method="holm")[1]
    return [
        PairTest(
            a=a,
            b=b,
            n=len(outcome),
            wins=won,
            losses=lost,
            ties=len(outcome) - won - lost,
            win_rate=float(outcome.mean()),
            p_value=p,
            p_holm=float(adjusted),
            separable=_separable(by_name[a], by_name[b]),
        )
        for (a, b, outcome, won, lost, p), adjusted in zip(rows, holm, strict=True)
    ]
