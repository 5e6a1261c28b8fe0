"""Agreement among annotators and between people and LLM judges: Cohen's kappa per pair of raters
(rubricrl.stats), Krippendorff's alpha over all raters (the `krippendorff` package), and Gwet's
AC1 over all raters, which unlike kappa and alpha stays high when one label dominates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np

from rubricrl.evaluation.win_rates import judge_agreement
from rubricrl.records import JudgeAgreement

Ratings = Mapping[str, Mapping[str, str]]  # rater -> unit -> label


def pair_agreement(
    names: tuple[str, str], x: Mapping[str, str | None], y: Mapping[str, str | None]
) -> JudgeAgreement:
    """Percent agreement and Cohen's kappa of two raters over the units both labelled."""
    units = sorted(x.keys() | y.keys())
    return judge_agreement(names, [x.get(u) for u in units], [y.get(u) for u in units])


def rater_kappas(ratings: Ratings) -> list[JudgeAgreement]:
    """Cohen's kappa for every pair of raters that labelled at least one unit in common."""
    pairs = [pair_agreement((a, b), ratings[a], ratings[b]) for a, b in combinations(ratings, 2)]
    return [pair for pair in pairs if pair.n > 0]


def alpha(
    ratings: Mapping[str, Mapping[str, float]],
    level: Literal["nominal", "ordinal"],
) -> float | None:
    """Krippendorff's alpha over every rater; None when no unit has two ratings or every rating
    is the same value (alpha is undefined then)."""
    units = sorted({u for labels in ratings.values() for u in labels})
    data = np.full((len(ratings), len(units)), np.nan)
    for row, labels in enumerate(ratings.values()):
        for column, unit in enumerate(units):
            if unit in labels:
                data[row, column] = labels[unit]
    paired = (~np.isnan(data)).sum(axis=0) >= 2
    values = np.unique(data[:, paired][~np.isnan(data[:, paired])])
    if not paired.any() or values.size < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data[:, paired], level_of_measurement=level))


def ac1(
    ratings: Mapping[str, Mapping[str, str | None]], categories: Sequence[str] | None = None
) -> float | None:
    """Gwet's AC1 over every rater for nominal labels (Gwet, Handbook of Inter-Rater
    Reliability, 4th ed., ch. 2 and 4), a None label or a missing unit counting as unrated.

    Observed agreement pa: over units rated at least twice, the share of agreeing rater pairs,
    sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)). Chance agreement pe = sum_k pi_k (1 - pi_k) / (q - 1),
    pi_k the share of label k averaged over every rated unit, q the number of `categories`
    (default: the labels seen). AC1 = (pa - pe) / (1 - pe); None when no unit is rated twice or
    there are fewer than two categories.

    Written here rather than taken from the maintained `irrCAC` package, which pins numpy<2 and
    pandas<3 and would downgrade this project's numpy and pandas.
    """
    by_unit: dict[str, list[str]] = {}
    for labels in ratings.values():
        for unit, label in labels.items():
            if label is not None:
                by_unit.setdefault(unit, []).append(label)
    labels_seen = sorted({label for unit_labels in by_unit.values() for label in unit_labels})
    kinds = list(categories) if categories is not None else labels_seen
    unknown = set(labels_seen) - set(kinds)
    if unknown:
        raise ValueError(f"labels {sorted(unknown)} are not among the categories")
    if len(kinds) < 2 or not by_unit:
        return None
    counts = np.array([[labels.count(k) for k in kinds] for labels in by_unit.values()], float)
    raters = counts.sum(axis=1)
    paired = raters >= 2
    if not paired.any():
        return None
    pairs = raters[paired] * (raters[paired] - 1)
    pa = float(((counts[paired] * (counts[paired] - 1)).sum(axis=1) / pairs).mean())
    pi = (counts / raters[:, None]).mean(axis=0)
    pe = float((pi * (1 - pi)).sum() / (len(kinds) - 1))
    return (pa - pe) / (1 - pe)
