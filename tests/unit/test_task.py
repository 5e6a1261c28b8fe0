"""The policy's task: one user turn asking for a plan within the word limit, and plan ids."""

from __future__ import annotations

from rubricrl.task import MAX_PLAN_WORDS, plan_conversation, plan_id


def test_the_plan_prompt_states_the_goal_and_the_word_limit() -> None:
    (message,) = plan_conversation("Find out why bridges hum.")
    assert message["role"] == "user"
    assert "Find out why bridges hum." in message["content"]
    assert str(MAX_PLAN_WORDS) in message["content"] and "<solution>" in message["content"]
    (short,) = plan_conversation("Find out why bridges hum.", max_words=120)
    assert "120" in short["content"] and str(MAX_PLAN_WORDS) not in short["content"]


def test_plan_ids_number_the_plans_of_a_goal() -> None:
    assert [plan_id("s1", i) for i in range(2)] == ["s1#0", "s1#1"]
