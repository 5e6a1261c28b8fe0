"""Each annotator of a study on their own: gold accuracy and whether it leaves them out, time
per vote, agreement with the other annotators, Dawid-Skene skill, and a panel seat's state."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence

from rubricrl.records import AnnotatorRow, HumanVote, Preference


def preference_of(score: int) -> Preference:
    return "A" if score > 0 else "B" if score < 0 else "tie"


def labels_by_annotator(votes: Sequence[HumanVote]) -> dict[str, dict[str, Preference]]:
    """annotator -> task -> A / B / tie."""
    labels: dict[str, dict[str, Preference]] = {}
    for vote in votes:
        labels.setdefault(vote.annotator, {})[vote.task_id] = preference_of(vote.preference)
    return labels


def gold_accuracy(votes: Sequence[HumanVote], name: str) -> tuple[int, int]:
    """(gold tasks answered, answered right) by `name`; a tie is never right."""
    gold = [v for v in votes if v.annotator == name and v.gold is not None]
    return len(gold), sum(preference_of(v.preference) == v.gold for v in gold)


def excluded_annotators(votes: Sequence[HumanVote], gold_min: float) -> set[str]:
    """Annotators who answered a gold task and got a share under `gold_min` right."""
    left_out = set()
    for name in {v.annotator for v in votes}:
        answered, correct = gold_accuracy(votes, name)
        if answered and correct / answered < gold_min:
            left_out.add(name)
    return left_out


def _clear_majority(labels: Sequence[Preference]) -> Preference | None:
    """The most common label, or None when there is none or two share the top."""
    ranked = Counter(labels).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def agreement_with_others(votes: Sequence[HumanVote], name: str) -> float | None:
    """The share of `name`'s real votes that match the other annotators' majority on the task,
    over tasks where the others reached one (a split is no majority); None without any."""
    others: dict[str, list[Preference]] = {}
    for v in votes:
        if v.annotator != name and v.gold is None:
            others.setdefault(v.task_id, []).append(preference_of(v.preference))
    matches = [
        preference_of(v.preference) == majority
        for v in votes
        if v.annotator == name
        and v.gold is None
        and (majority := _clear_majority(others.get(v.task_id, []))) is not None
    ]
    return sum(matches) / len(matches) if matches else None


def annotator_rows(
    names: Sequence[str],
    votes: Sequence[HumanVote],
    excluded: set[str],
    skills: Mapping[str, float],
    status: Mapping[str, str],
) -> list[AnnotatorRow]:
    """One row per annotator, in `names` order."""
    rows = []
    for name in names:
        answered, correct = gold_accuracy(votes, name)
        seconds = [v.seconds for v in votes if v.annotator == name and v.seconds is not None]
        rows.append(
            AnnotatorRow(
                name=name,
                answered=sum(v.annotator == name and v.gold is None for v in votes),
                gold_answered=answered,
                gold_correct=correct,
                gold_accuracy=correct / answered if answered else None,
                excluded=name in excluded,
                median_seconds=statistics.median(seconds) if seconds else None,
                agreement=agreement_with_others(votes, name),
                skill=skills.get(name),
                status=status.get(name),
            )
        )
    return rows
