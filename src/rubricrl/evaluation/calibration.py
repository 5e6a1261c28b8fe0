"""Calibration of the jury's P(A better) against the experts' majority: a reliability curve
over equal-width bins and the expected calibration error (ECE)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rubricrl.errors import InputError
from rubricrl.evaluation.jury import jury_probability
from rubricrl.records import Calibration, Comparison, Preference, ReliabilityBin


def human_majority(votes: Sequence[Preference]) -> float:
    """1 when more experts preferred A than B, 0 when more preferred B, 1/2 when as many did
    (ties abstain)."""
    if not votes:
        raise InputError("a goal with human votes has none")
    a, b = votes.count("A"), votes.count("B")
    return 1.0 if a > b else 0.0 if b > a else 0.5


def calibration(
    predicted: Sequence[float], observed: Sequence[float], bins: int = 10
) -> Calibration:
    """Reliability curve and ECE of predictions in [0, 1] against outcomes in [0, 1], over
    `bins` equal-width bins of the prediction (the last one closed at 1)."""
    p, y = np.asarray(predicted, dtype=float), np.asarray(observed, dtype=float)
    if p.shape != y.shape:
        raise InputError(f"{p.size} predictions but {y.size} outcomes")
    if p.size == 0:
        raise InputError("calibration needs at least one goal with a prediction and an outcome")
    if bins < 1:
        raise InputError(f"calibration needs at least one bin, not {bins}")
    both = np.concatenate([p, y])
    if not np.isfinite(both).all() or both.min() < 0.0 or both.max() > 1.0:
        raise InputError("predictions and outcomes must lie in [0, 1]")
    index = np.minimum((p * bins).astype(int), bins - 1)
    curve = [
        ReliabilityBin(
            low=k / bins,
            high=(k + 1) / bins,
            n=int((index == k).sum()),
            predicted=float(p[index == k].mean()),
            observed=float(y[index == k].mean()),
        )
        for k in range(bins)
        if (index == k).any()
    ]
    ece = sum(b.n * abs(b.predicted - b.observed) for b in curve) / p.size
    return Calibration(n=int(p.size), bins=bins, ece=float(ece), curve=curve)


def jury_calibration(
    votes: Mapping[str, Sequence[Preference]], comparisons: Sequence[Comparison], bins: int = 10
) -> Calibration:
    """The jury's calibration on the goals with expert votes (sample id -> preferences) and a
    probability verdict."""
    pairs = [
        (probability, human_majority(votes[c.sample_id]))
        for c in comparisons
        if c.sample_id in votes and (probability := jury_probability(c)) is not None
    ]
    return calibration([p for p, _ in pairs], [y for _, y in pairs], bins)
