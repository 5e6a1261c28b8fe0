"""The reward maths, against hand-computed values."""

import pytest

from rubricrl.grading.score import FormatPenalty, dense_score, penalized, rubric_score, summarize
from rubricrl.records import RubricItem, Verdict
from tests.builders import grade, verdict

ITEMS = [RubricItem(id=i, text=f"item {i}") for i in ("a", "b", "c")]


def test_score_is_the_satisfied_share() -> None:
    verdicts = [verdict("a", []), verdict("b", [3]), verdict("c", [])]
    assert rubric_score(ITEMS, verdicts) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "verdicts",
    [
        [verdict("a", []), verdict("b", [])],
        [verdict("a", []), verdict("b", []), verdict("z", [])],
        [verdict("a", []), verdict("a", []), verdict("b", [])],
    ],
)
def test_verdicts_not_matching_the_items_give_no_score(verdicts: list[Verdict]) -> None:
    assert rubric_score(ITEMS, verdicts) is None


def test_no_items_give_no_score() -> None:
    assert rubric_score([], []) is None


def test_dense_score_is_the_mean_share_of_the_maximum() -> None:
    verdicts = [
        verdict("a", [], [3] * 7),  # 21/21
        verdict("b", [1], [0, 3, 3, 3, 3, 3, 3]),  # 18/21
        verdict("c", [1, 2], [0, 0, 3, 3, 3, 3, 3]),  # 15/21
    ]
    assert dense_score(ITEMS, verdicts) == pytest.approx((21 + 18 + 15) / 63)
    assert dense_score(ITEMS, [verdict("a", []), verdict("b", []), verdict("c", [])]) is None


@pytest.mark.parametrize(
    ("has_solution", "words", "expected"),
    [(True, 750, 0.8), (True, 751, 0.3), (False, 10, -0.2), (False, 900, -0.7)],
)
def test_format_penalties_subtract(has_solution: bool, words: int, expected: float) -> None:
    assert penalized(0.8, has_solution=has_solution, words=words) == pytest.approx(expected)


def test_penalties_are_configurable_and_unscored_stays_unscored() -> None:
    lenient = FormatPenalty(word_limit=100, missing_solution=0.0, over_length=0.25)
    assert penalized(0.5, has_solution=False, words=101, penalty=lenient) == pytest.approx(0.25)
    assert penalized(None, has_solution=False, words=10_000) is None


def test_summary_counts_unscored_and_keys_items_by_goal() -> None:
    summary = summarize(
        [
            grade("p1", 0.5, [verdict("a", []), verdict("b", [1])]),
            grade("p2", 1.0, [verdict("a", []), verdict("b", [])]),
            grade("p3", None, []),
        ]
    )
    assert (summary.grades, summary.unscored) == (3, 1)
    assert summary.mean_score == pytest.approx(0.75)
    assert summary.item_satisfaction == {"s/a": 1.0, "s/b": 0.5}


def test_summary_counts_unscored_reasons_most_common_first() -> None:
    grades = [
        grade("a", None, reason="request refused: HTTP 400"),
        grade("b", None, reason="unreadable reply"),
        grade("c", None, reason="request refused: HTTP 400"),
        grade("d", 1.0),
    ]
    summary = summarize(grades)
    assert summary.unscored == 3
    assert list(summary.unscored_reasons.items()) == [
        ("request refused: HTTP 400", 2),
        ("unreadable reply", 1),
    ]


def test_a_summary_without_one_score_is_failed() -> None:
    assert summarize([]).failed
    assert summarize([grade("a", None), grade("b", None)]).failed
    assert not summarize([grade("a", None), grade("b", 0.0)]).failed
