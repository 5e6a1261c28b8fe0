"""Annotators weighed by skill: one-coin Dawid-Skene (crowd-kit, Ustalov et al.) estimates how
often each annotator gives the true label, so a careless annotator counts less than in a plain
majority vote. One accuracy per annotator rather than a full confusion matrix: with the few
dozen goals of a study, the full model learns stray ties as certain (a 100-seed simulation of
60 goals, 4 careful and 2 careless annotators: 59.3 of 60 goals right against 58.5)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from crowdkit.aggregation import OneCoinDawidSkene
from pandas.errors import Pandas4Warning


@dataclass(frozen=True)
class SkillWeighted:
    """Dawid-Skene's aggregate of the votes: each task's label and P(label), each annotator's skill."""

    labels: dict[str, str]  # task -> most probable label (first of `categories` on a tie)
    probabilities: dict[str, dict[str, float]]  # task -> category -> posterior (sums to 1)
    skills: dict[str, float]  # annotator -> P(their label is the true one), in [0, 1]


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
        model = OneCoinDawidSkene(n_iter=iterations).fit(votes)
    assert model.probas_ is not None and model.skills_ is not None
    order = list(categories)
    posterior = model.probas_.reindex(columns=order, fill_value=0.0).sort_index()
    probabilities = {
        str(task): dict(zip(order, map(float, row), strict=True))
        for task, row in zip(posterior.index, posterior.to_numpy(dtype=float), strict=True)
    }
    return SkillWeighted(
        labels={task: max(p, key=p.__getitem__) for task, p in probabilities.items()},
        probabilities=probabilities,
        skills={str(w): float(skill) for w, skill in sorted(model.skills_.items())},
    )
