"""A judge reads both presentation orders, passes the preference schema, and asks again."""

from __future__ import annotations

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.evaluation.judge import PREFERENCE_SCHEMA, Judge, plan_for_position, position_of
from rubricrl.records import Judgment
from tests.builders import judge_pair
from tests.fakes import ScriptedBackend, judge_reply


def test_positions_map_to_plans_in_both_orders() -> None:
    assert plan_for_position("1", a_first=True) == "A"
    assert plan_for_position("1", a_first=False) == "B"
    assert plan_for_position("2", a_first=False) == "A"
    assert plan_for_position("tie", a_first=False) == "tie"
    for a_first in (True, False):
        for position in ("1", "2", "tie"):
            chosen = plan_for_position(position, a_first)
            assert position_of(Judgment(judge="j", a_first=a_first, preferred=chosen)) == position


def test_an_unreadable_reply_is_asked_again_then_left_unscored_with_the_reason() -> None:
    backend = ScriptedBackend("no idea")
    first, second = Judge(backend, retries=2).judge(judge_pair())
    assert first.preferred is None and second.preferred is None
    assert first.reason == "unreadable after 3 attempt(s): reply holds no JSON object"
    assert len(backend.conversations) == 6  # both orders, three attempts each
    assert [s.seed for s in backend.samplings if s] == [None, 1, 2]


def test_a_reply_readable_on_retry_is_scored() -> None:
    # A shown first: unreadable, then position 1 (A); B shown first: position 2 (A) at once.
    backend = ScriptedBackend(["no idea", judge_reply("2"), judge_reply("1")])
    first, second = Judge(backend).judge(judge_pair())
    assert (first.preferred, second.preferred) == ("A", "A")
    assert first.reason is None and second.reason is None


def test_judge_shows_both_orders_and_passes_the_schema() -> None:
    backend = ScriptedBackend(judge_reply("1"))
    first, second = Judge(backend).judge(judge_pair())
    prompts = backend.prompts
    assert prompts[0].index("ALPHA") < prompts[0].index("BETA")
    assert prompts[1].index("BETA") < prompts[1].index("ALPHA")
    assert backend.schemas == [PREFERENCE_SCHEMA]
    assert (first.a_first, first.preferred) == (True, "A")
    assert (second.a_first, second.preferred) == (False, "B")


def test_rubric_and_reference_are_shown_only_when_asked() -> None:
    pair = judge_pair()
    plain = Judge(ScriptedBackend(judge_reply("1"))).conversation(pair, True)[-1]["content"]
    assert "held-out split" not in plain and "secret thing" not in plain
    full = Judge(ScriptedBackend(judge_reply("1")), show_rubric=True, show_reference=True)
    content = full.conversation(pair, True)[-1]["content"]
    assert "held-out split" in content and "secret thing" in content


def first_plan_bias(
    conversation: list[dict[str, str]], choices: tuple[str, ...]
) -> dict[str, float]:
    """P(first better) = 0.5 + 0.3 (a strong position bias) + 0.1 when ALPHA is shown first."""
    text = conversation[-1]["content"]
    first = 0.8 + (0.1 if text.index("ALPHA") < text.index("BETA") else -0.1)
    return {"1": first, "2": 1.0 - first}


def test_probability_judge_keeps_raw_orders_and_the_jury_average_cancels_position() -> None:
    from rubricrl.evaluation.jury import a_better_probability, judge_verdict

    backend = ScriptedBackend(probs=first_plan_bias)
    first, second = Judge(backend, verdicts="prob").judge(judge_pair())
    assert [call.kind for call in backend.calls] == ["choice_probs"]
    assert backend.calls[0].choices == ("1", "2")
    assert "Answer with one character" in backend.calls[0].conversations[0][-1]["content"]
    # raw single orders: the first slot wins both times (A first: A; B first: B)
    assert (first.first_better, second.first_better) == pytest.approx((0.9, 0.7))
    assert (first.preferred, second.preferred) == ("A", "B")
    # averaged over both orders the bias cancels and A (ALPHA) wins by the content margin
    assert a_better_probability(first, second) == pytest.approx(0.6)
    assert judge_verdict(first, second) == "A"


def test_probability_judge_with_little_mass_is_unscored() -> None:
    backend = ScriptedBackend(probs={"1": 0.05, "2": 0.05})
    first, second = Judge(backend, verdicts="prob").judge(judge_pair())
    assert first.preferred is None and second.preferred is None
    assert first.reason is not None and "only 0.100" in first.reason


@pytest.mark.parametrize("verdicts", ["generated", "prob"])
def test_a_refused_order_is_unscored_with_the_reason(verdicts: str) -> None:
    def refuse_b_first(conversation: Conversation) -> bool:  # plan B (BETA) shown first
        text = conversation[-1]["content"]
        return text.index("BETA") < text.index("ALPHA")

    backend = ScriptedBackend(
        judge_reply("1"), probs={"1": 0.7, "2": 0.2}, refuse_when=refuse_b_first
    )
    a_first, b_first = Judge(backend, verdicts=verdicts).judge(judge_pair())  # type: ignore[arg-type]
    assert a_first.preferred == "A" and a_first.reason is None
    assert b_first.preferred is None and b_first.reason is not None
    assert b_first.reason.startswith("request refused: ") and "HTTP 400" in b_first.reason
