"""Agreement among annotators and between people and LLM judges: Cohen's kappa per pair of raters
(rubricrl.stats), Krippendorff's alpha over all raters (the `krippendorff` package)."""

from __future__ import annotations

from collections.abc import Mapping
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
