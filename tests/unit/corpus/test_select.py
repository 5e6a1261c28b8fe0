"""Rubric-item and leakage filters."""

from rubricrl.corpus.select import SelectionRules, drop_near_duplicates, item_problem, leakage

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
