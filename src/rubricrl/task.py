"""The policy's task, shared by training and evaluation: the plan prompt, plan ids, word limit."""

from __future__ import annotations

from rubricrl.backends.base import Conversation, user
from rubricrl.prompts import load_prompt

PLAN_PROMPT = "plan"
MAX_PLAN_WORDS = 750  # the paper's limit: the prompt states it and the format penalty enforces it


def plan_conversation(goal: str, max_words: int = MAX_PLAN_WORDS) -> Conversation:
    """The one-turn conversation asking a model for a plan for `goal`."""
    return user(load_prompt(PLAN_PROMPT).render(goal=goal, max_words=max_words))


def plan_id(sample_id: str, index: int) -> str:
    """The id of the `index`-th plan written for a goal."""
    return f"{sample_id}#{index}"
