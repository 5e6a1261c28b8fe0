"""A pairwise judge: shows a goal's two plans in both orders and reads which position it prefers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from rubricrl.backends.base import ChatBackend, Conversation, JsonSchema, Sampling, user
from rubricrl.prompts import load_prompt
from rubricrl.records import Judgment, Plan, Preference, Sample

Position = str  # "1" (shown first), "2" (shown second) or "tie"

PREFERENCE_SCHEMA: JsonSchema = {
    "type": "object",
    # The rationale comes first so that a model reasons before it commits to a verdict.
    "properties": {
        "rationale": {"type": "string", "maxLength": 300},
        "preferred": {"type": "string", "enum": ["1", "2", "tie"]},
    },
    "required": ["rationale", "preferred"],
    "additionalProperties": False,
}

# An unreadable reply becomes a tie whose rationale starts with this marker, so it can be counted.
UNPARSED = "[unparsed reply] "

_POSITION_WORDS = {"1": "1", "2": "2", "tie": "tie", "plan 1": "1", "plan 2": "2"}


@dataclass(frozen=True)
class Pair:
    """One goal and the two plans to compare for it; `id` names the resulting Comparison."""

    id: str
    sample: Sample
    plan_a: Plan
    plan_b: Plan


def plan_for_position(position: Position, a_first: bool) -> Preference:
    """The plan a chosen position stands for, given the presentation order."""
    if position == "tie":
        return "tie"
    return "A" if (position == "1") == a_first else "B"


def position_of(judgment: Judgment) -> Position:
    """The position a judgment chose (the inverse of `plan_for_position`)."""
    if judgment.preferred == "tie":
        return "tie"
    return "1" if (judgment.preferred == "A") == judgment.a_first else "2"


def parse_preference(text: str) -> tuple[Position, str] | None:
    """The (position, rationale) in the last JSON object of a reply that has a valid `preferred`."""
    decoder = json.JSONDecoder()
    start = text.rfind("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            position = _POSITION_WORDS.get(str(value.get("preferred", "")).strip().lower())
            if position is not None:
                return position, str(value.get("rationale", ""))[:300]
        start = text.rfind("{", 0, start)
    return None


class Judge:
    """One model acting as a judge; every call sends all its conversations in one batch."""

    def __init__(
        self,
        backend: ChatBackend,
        sampling: Sampling | None = None,
        show_rubric: bool = False,
        show_reference: bool = False,
    ) -> None:
        self.backend = backend
        self.name = backend.spec
        self.sampling = sampling or Sampling(temperature=0.0, max_tokens=256)
        self.show_rubric = show_rubric
        self.show_reference = show_reference
        self.template = load_prompt("judge")

    def conversation(self, pair: Pair, a_first: bool) -> Conversation:
        """The prompt showing `pair` with plan A first (or B first when `a_first` is False)."""
        first, second = (pair.plan_a, pair.plan_b) if a_first else (pair.plan_b, pair.plan_a)
        sample = pair.sample
        return user(
            self.template.render(
                goal=sample.goal,
                rubric=sample.rubric if self.show_rubric else [],
                reference=sample.reference_solution if self.show_reference else "",
                first=first.text,
                second=second.text,
            )
        )

    def judge(self, pair: Pair) -> tuple[Judgment, Judgment]:
        """Both orders of one pair: (A shown first, B shown first)."""
        return self.judge_many([pair])[0]

    def judge_many(self, pairs: Sequence[Pair]) -> list[tuple[Judgment, Judgment]]:
        """Both orders of every pair, in one backend batch."""
        conversations = [self.conversation(p, a_first) for p in pairs for a_first in (True, False)]
        completions = self.backend.batch(conversations, self.sampling, PREFERENCE_SCHEMA)
        judgments = [
            self._judgment(completion.text, a_first=index % 2 == 0)
            for index, completion in enumerate(completions)
        ]
        return list(zip(judgments[0::2], judgments[1::2], strict=True))

    def _judgment(self, text: str, a_first: bool) -> Judgment:
        parsed = parse_preference(text)
        if parsed is None:
            return Judgment(
                judge=self.name, a_first=a_first, preferred="tie", rationale=UNPARSED + text[:200]
            )
        position, rationale = parsed
        return Judgment(
            judge=self.name,
            a_first=a_first,
            preferred=plan_for_position(position, a_first),
            rationale=rationale,
        )
