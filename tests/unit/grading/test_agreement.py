"""Grader agreement with reference verdicts, against hand-computed accuracy and kappa."""

import pytest

from rubricrl.grading.agreement import Confusion, agreement
from rubricrl.records import Grade
from tests import builders
from tests.builders import verdict


def grade(plan: str, met: dict[str, bool], scored: bool = True) -> Grade:
    """Plan `plan`'s grade meeting the items `met` says, failing the others on guideline 1."""
    verdicts = [verdict(i, [] if m else [1]) for i, m in met.items()]
    return builders.grade(plan, sum(met.values()) / len(met) if scored else None, verdicts)


def test_accuracy_kappa_and_confusion() -> None:
    candidate = [grade("p1", {"a": True, "b": True}), grade("p2", {"a": False, "b": False})]
    reference = [grade("p1", {"a": True, "b": False}), grade("p2", {"a": False, "b": False})]
    result = agreement(candidate, reference)
    # observed 3/4; chance: 0.5*0.25 + 0.5*0.75 = 0.5; kappa = (0.75 - 0.5) / 0.5
    assert result.accuracy == pytest.approx(0.75)
    assert result.kappa == pytest.approx(0.5)
    assert result.per_item == {
        "a": Confusion(true_met=1, true_unmet=1),
        "b": Confusion(false_met=1, true_unmet=1),
    }


def test_unscored_or_unmatched_plans_are_skipped_not_counted() -> None:
    candidate = [
        grade("p1", {"a": True}),
        grade("p2", {"a": True}, scored=False),
        grade("p3", {"a": True}),
    ]
    reference = [grade("p1", {"a": True}), grade("p2", {"a": True})]
    result = agreement(candidate, reference)
    assert (result.plans, result.skipped, result.verdicts) == (1, 2, 1)
    assert result.accuracy == 1.0
    assert result.kappa is None  # one label only: chance agreement is total


def test_nothing_in_common_gives_no_numbers() -> None:
    result = agreement([grade("p1", {"a": True})], [])
    assert (result.accuracy, result.kappa, result.verdicts) == (None, None, 0)
