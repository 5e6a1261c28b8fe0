"""Rubric-item and leakage filters."""

from rubricrl.corpus.select import (
    SelectionRules,
    drop_near_duplicates,
    item_problem,
    leakage,
    rules_against_people,
)
from rubricrl.records import ItemReview

RULES = SelectionRules()


def test_checkable_items() -> None:
    assert (
        item_problem("The plan compares against a tuned baseline at equal compute.", RULES) is None
    )
    assert item_problem("Uses baselines.", RULES) == "too short to check"
    assert item_problem("Does the plan include an ablation of the loss?", RULES) == (
        "a question, not a requirement"
    )
    assert item_problem("The plan is clear.", RULES) == "generic, satisfied by any plan"
    assert item_problem("The proposal should be well-written", RULES) == (
        "generic, satisfied by any plan"
    )


def test_near_duplicates_keep_the_first() -> None:
    items = [
        "The plan measures calibration on the external test hospitals.",
        "The plan measures calibration on external test hospitals.",
        "The plan reports the cost of labelling new records.",
    ]
    assert drop_near_duplicates(items, threshold=0.7) == [0, 2]


def test_leakage_is_high_when_goal_copies_the_solution() -> None:
    solution = "We weight partially observed patients by follow-up time in a time-to-event design."
    assert leakage(solution, solution) == 1.0
    assert leakage("Find a safe dose-escalation design for small paediatric trials.", solution) == 0


def test_rules_are_checked_against_what_people_rejected() -> None:
    def review(text: str, rejected: bool) -> ItemReview:
        return ItemReview(
            id=text, sample_id="s", item_id=text, text=text, approvals=int(not rejected),
            rejections=int(rejected), rejected=rejected,
        )  # fmt: skip

    reviews = [
        review("The plan measures held-out accuracy before and after tuning.", False),
        review("Is it good?", True),  # a question: the rules drop it too
        review("The plan compares the method with two baselines at equal compute.", True),
    ]
    assert rules_against_people(reviews, SelectionRules()) == {
        "people keep, rules keep": 1,
        "people reject, rules keep": 1,
        "people reject, rules reject": 1,
    }
