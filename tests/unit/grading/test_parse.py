"""Reading plans out of policy replies and verdicts out of grader JSON, adversarial cases included."""

import pytest

from rubricrl.errors import ParseError
from rubricrl.grading.parse import extract_plan, has_solution, parse_verdicts

LABELS = ("1", "2", "3")


def reply(*entries: dict) -> dict:
    return {"verdicts": list(entries)}


def entry(label: str, violated: list[int] | None = None, **extra: object) -> dict:
    return {"item_id": label, "rationale": "r", "violated": violated or [], **extra}


@pytest.mark.parametrize(
    ("text", "plan"),
    [
        ("<think>ideas</think>\n<solution>\nthe plan\n</solution>", "the plan"),
        ("<think>a <solution>fake</solution></think><solution>real</solution>", "real"),
        ("<solution>draft</solution> more <solution>final</solution>", "final"),
        ("ideas that end here</think>the plan", "the plan"),
        ("<solution>cut off mid-pl", "cut off mid-pl"),
        ("a plan without tags", "a plan without tags"),
        ("<think>thinking that never ends", ""),
    ],
)
def test_extract_plan_keeps_only_the_plan(text: str, plan: str) -> None:
    assert extract_plan(text) == plan


def test_solution_tags_count_only_outside_thinking_and_closed() -> None:
    assert has_solution("<think>x</think><solution>p</solution>")
    assert not has_solution("<think><solution>p</solution></think>just prose")
    assert not has_solution("<solution>never closed")


@pytest.mark.parametrize("value", [None, [], {"verdict": []}, {"verdicts": "none"}])
def test_no_verdict_list_is_a_parse_error(value: object) -> None:
    with pytest.raises(ParseError):
        parse_verdicts(value, LABELS, 7)


def test_verdicts_come_back_in_offered_order_with_satisfied_derived() -> None:
    verdicts = parse_verdicts(reply(entry("3", [4, 2, 4]), entry("1"), entry("2", [7])), LABELS, 7)
    assert [v.item_id for v in verdicts] == ["1", "2", "3"]
    assert [v.satisfied for v in verdicts] == [True, False, False]
    assert verdicts[2].violated == [2, 4]


def test_numeric_ids_are_read_as_labels() -> None:
    assert parse_verdicts(reply({"item_id": 1, "violated": []}), ("1",), 7)[0].satisfied


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([entry("1"), entry("2"), entry("9")], "unknown item id '9'"),
        ([entry("1"), entry("2")], "no verdict for item"),
        ([entry("1"), entry("2"), entry("2"), entry("3")], "given twice"),
        ([entry("1"), entry("2"), entry("3", [8])], "from 1 to 7"),
        ([entry("1"), entry("2"), {"item_id": "3", "violated": "none"}], "list of integers"),
        ([entry("1"), entry("2"), {"item_id": "3"}], "list of integers"),
        ([entry("1"), entry("2"), "3: fine"], "not a JSON object"),
        ([entry("1"), entry("2"), {"violated": []}], "no item_id"),
    ],
)
def test_bad_verdict_lists_are_parse_errors(entries: list, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_verdicts({"verdicts": entries}, LABELS, 7)


def test_dense_scores_below_two_are_violations() -> None:
    text = reply({"item_id": "1", "rationale": "", "scores": [3, 1, 2, 0, 3, 3, 3]})
    verdict = parse_verdicts(text, ("1",), 7, dense=True)[0]
    assert verdict.violated == [2, 4]
    assert not verdict.satisfied
    assert verdict.guideline_scores == [3, 1, 2, 0, 3, 3, 3]


def test_dense_needs_one_score_per_guideline() -> None:
    with pytest.raises(ParseError, match="expected 7"):
        parse_verdicts(reply({"item_id": "1", "scores": [3, 3]}), ("1",), 7, dense=True)


def test_long_rationales_are_cut() -> None:
    text = reply({"item_id": "1", "rationale": "x" * 500, "violated": []})
    assert len(parse_verdicts(text, ("1",), 7, rationale_chars=50)[0].rationale) == 50
