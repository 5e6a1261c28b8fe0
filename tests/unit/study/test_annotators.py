"""Each annotator on their own: gold accuracy and the exclusion it triggers, agreement with the
others' majority (splits are no majority), median seconds, and rows in the given order."""

from __future__ import annotations

from rubricrl.records import HumanVote, Preference
from rubricrl.study.annotators import (
    agreement_with_others,
    annotator_rows,
    excluded_annotators,
    gold_accuracy,
)


def vote(who: str, task: str, preference: int, gold: Preference | None = None) -> HumanVote:
    return HumanVote(
        id=f"{task}~{who}", task_id=task, sample_id=task, annotator=who, a_first=True,
        preference=preference, seconds=float(len(who) + preference + 2), submitted=0.0,
        gold=gold,
    )  # fmt: skip


VOTES = [
    vote("ann", "t1", 2), vote("bob", "t1", 1), vote("cat", "t1", -1),
    vote("ann", "t2", -2), vote("bob", "t2", 1), vote("cat", "t2", -1),
    vote("ann", "t3", 0), vote("bob", "t3", 2), vote("cat", "t3", -2),  # others split
    vote("ann", "g1", 2, gold="A"), vote("bob", "g1", -1, gold="A"),
    vote("ann", "g2", -1, gold="B"), vote("bob", "g2", 0, gold="B"),  # a tie is never right
]  # fmt: skip


def test_gold_accuracy_counts_only_gold_votes_and_a_tie_is_wrong() -> None:
    assert gold_accuracy(VOTES, "ann") == (2, 2)
    assert gold_accuracy(VOTES, "bob") == (2, 0)
    assert gold_accuracy(VOTES, "cat") == (0, 0)


def test_only_annotators_under_the_minimum_with_gold_answered_are_left_out() -> None:
    assert excluded_annotators(VOTES, 0.7) == {"bob"}
    assert excluded_annotators(VOTES, 0.0) == set()
    assert excluded_annotators(VOTES, 1.01) == {"ann", "bob"}  # cat answered no gold


def test_agreement_is_with_the_others_majority_where_they_have_one() -> None:
    # ann: the others (bob, cat) split on every task, so there is nothing to agree with
    assert agreement_with_others(VOTES, "ann") is None
    # cat: t1 others ann A, bob A -> A (cat B: no); t2 ann B, bob A: split; t3 ann tie, bob A: split
    assert agreement_with_others(VOTES, "cat") == 0.0
    # bob: t1 ann A, cat B split; t2 ann B, cat B -> B (bob A: no); t3 ann tie, cat B: split
    assert agreement_with_others(VOTES, "bob") == 0.0
    agreeing = [*VOTES, vote("dan", "t2", -2)]
    assert agreement_with_others(agreeing, "dan") == 1.0  # ann B, bob A, cat B -> B


def test_rows_follow_the_names_and_carry_every_measure() -> None:
    rows = annotator_rows(["cat", "ann", "eve"], VOTES, {"bob"}, {"ann": 0.9}, {"cat": "working"})
    assert [row.name for row in rows] == ["cat", "ann", "eve"]
    cat, ann, eve = rows
    assert (cat.answered, cat.gold_answered, cat.gold_accuracy, cat.status) == (
        3,
        0,
        None,
        "working",
    )
    assert (ann.answered, ann.gold_correct, ann.skill, ann.excluded) == (3, 2, 0.9, False)
    assert ann.median_seconds == 5.0  # seconds 7, 3, 5, 7, 4 -> median 5
    assert (eve.answered, eve.median_seconds, eve.agreement, eve.skill) == (0, None, None, None)
