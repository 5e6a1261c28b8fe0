"""Annotators weighed by skill: Dawid-Skene (crowd-kit, Ustalov et al.) estimates each annotator's
confusion between labels, so a careless annotator counts less than in a plain majority vote."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from crowdkit.aggregation import DawidSkene
from pandas.errors import Pandas4Warning


@dataclass(frozen=True)
class SkillWeighted:
    """Dawid-Skene's aggregate of the votes: each task's label and P(label), each annotator's skill."""

    labels: dict[str, str]  # task -> most probable label (first of `categories` on a tie)
    probabilities: dict[str, dict[str, float]]  # task -> category -> posterior (sums to 1)
    skills: dict[str, float]  # annotator -> sum_k prior_k * P(says k | truth k), in [0, 1]


def weigh_annotators(
    labels: Mapping[str, Mapping[str, str]],
    categories: Sequence[str] = ("A", "B", "tie"),
    iterations: int = 100,
) -> SkillWeighted | None:
    """Dawid-Skene over `labels` (annotator -> task -> label); None when there is nothing to weigh:
    no votes, or no task labelled by at least two annotators."""
    rows = sorted(
        (task, who, label) for who, votes in labels.items() for task, label in votes.items()
    )
    if unknown := {label for _, _, label in rows} - set(categories):
        raise ValueError(f"labels outside {list(categories)}: {sorted(unknown)}")
    votes = pd.DataFrame(rows, columns=["task", "worker", "label"])
    if not (votes.groupby("task").size() >= 2).any():
        return None
    with warnings.catch_warnings():  # crowd-kit 1.4.2 still passes pandas 3's deprecated inplace=
        warnings.simplefilter("ignore", Pandas4Warning)
        model = DawidSkene(n_iter=iterations).fit(votes)
    assert model.probas_ is not None and model.priors_ is not None and model.errors_ is not None
    order = list(categories)
    posterior = model.probas_.reindex(columns=order, fill_value=0.0).sort_index()
    # errors_ rows are (worker, observed label), columns the true label: each column sums to 1
    # per worker, so errors_.loc[(w, k), k] = P(w says k | truth k). Labels nobody (or this
    # annotator) used are missing and count as 0.
    workers = sorted({who for _, who, _ in rows})
    grid = pd.MultiIndex.from_product([workers, order], names=["worker", "label"])
    confusion = model.errors_.reindex(index=grid, columns=order, fill_value=0.0)
    prior = model.priors_.reindex(order, fill_value=0.0)
    probabilities = {
        str(task): dict(zip(order, map(float, row), strict=True))
        for task, row in zip(posterior.index, posterior.to_numpy(dtype=float), strict=True)
    }
    return SkillWeighted(
        labels={task: max(p, key=p.__getitem__) for task, p in probabilities.items()},
        probabilities=probabilities,
        skills={w: float(sum(prior[k] * confusion.at[(w, k), k] for k in order)) for w in workers},
    )
