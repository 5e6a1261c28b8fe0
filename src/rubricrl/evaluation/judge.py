"""A pairwise judge: shows a goal's two plans in both orders and reads which position it prefers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rubricrl.backends.base import (
    ChatBackend,
    ChoiceProbs,
    Conversation,
    JsonSchema,
    Sampling,
    user,
)
from rubricrl.backends.structured import Unreadable, ask_structured, refused_rows
from rubricrl.grading.grader import Verdicts
from rubricrl.grading.probability import first_choice_probability
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

FIRST_SECOND = ("1", "2")
RETRY_TEMPERATURE = 0.7  # a greedy judge would repeat an unreadable reply on every retry


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


def position_of(judgment: Judgment) -> Position | None:
    """The position a judgment chose (the inverse of `plan_for_position`); None if unscored."""
    if judgment.preferred is None or judgment.preferred == "tie":
        return judgment.preferred
    return "1" if (judgment.preferred == "A") == judgment.a_first else "2"


def parse_preference(reply: dict[str, str]) -> tuple[Position, str]:
    """The (position, rationale) of a judge's reply, already valid against PREFERENCE_SCHEMA."""
    return reply["preferred"], reply["rationale"]


class Judge:
    """One model acting as a judge; every call sends all its conversations in one batch."""

    def __init__(
        self,
        backend: ChatBackend,
        sampling: Sampling | None = None,
        show_rubric: bool = False,
        show_reference: bool = False,
        retries: int = 1,
        verdicts: Verdicts = "generated",
        min_mass: float = 0.2,
    ) -> None:
        self.backend = backend
        self.name = backend.spec
        self.sampling = sampling or Sampling(temperature=0.0, max_tokens=256)
        self.retries = retries
        self.show_rubric = show_rubric
        self.show_reference = show_reference
        self.verdicts = verdicts
        self.min_mass = min_mass
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
                answer_only=self.verdicts == "prob",
            )
        )

    def judge(self, pair: Pair) -> tuple[Judgment, Judgment]:
        """Both orders of one pair: (A shown first, B shown first)."""
        return self.judge_many([pair])[0]

    def judge_many(self, pairs: Sequence[Pair]) -> list[tuple[Judgment, Judgment]]:
        """Both orders of every pair, in one backend batch per attempt."""
        orders = [(pair, a_first) for pair in pairs for a_first in (True, False)]
        if self.verdicts == "prob":
            conversations = [self.conversation(pair, a_first) for pair, a_first in orders]
            found = refused_rows(
                lambda: self.backend.choice_probs(conversations, FIRST_SECOND), len(orders)
            )
            judgments = [
                self._probability_judgment(probs, a_first)
                for (_, a_first), probs in zip(orders, found, strict=True)
            ]
            return list(zip(judgments[0::2], judgments[1::2], strict=True))
        replies = ask_structured(
            self.backend,
            [self.conversation(pair, a_first) for pair, a_first in orders],
            self.sampling,
            PREFERENCE_SCHEMA,
            parse_preference,
            attempts=1 + self.retries,
            retry_temperature=RETRY_TEMPERATURE,
        )
        judgments = [
            self._judgment(reply, a_first)
            for (_, a_first), reply in zip(orders, replies, strict=True)
        ]
        return list(zip(judgments[0::2], judgments[1::2], strict=True))

    def _probability_judgment(self, probs: ChoiceProbs | Unreadable, a_first: bool) -> Judgment:
        """One order's raw P(the plan shown first is better); its preference is that order's
        alone (the jury averages both orders, so position bias cancels)."""
        if isinstance(probs, Unreadable):
            return Judgment(judge=self.name, a_first=a_first, preferred=None, reason=probs.reason)
        p = first_choice_probability(probs, FIRST_SECOND, self.min_mass)
        if isinstance(p, str):
            return Judgment(judge=self.name, a_first=a_first, preferred=None, reason=p)
        position = "1" if p > 0.5 else "2" if p < 0.5 else "tie"
        return Judgment(
            judge=self.name,
            a_first=a_first,
            preferred=plan_for_position(position, a_first),
            rationale=f"P(plan 1 better) {p:.3f}",
            first_better=p,
        )

    def _judgment(self, reply: tuple[Position, str] | Unreadable, a_first: bool) -> Judgment:
        if isinstance(reply, Unreadable):
            return Judgment(judge=self.name, a_first=a_first, preferred=None, reason=reply.reason)
        position, rationale = reply
        return Judgment(
            judge=self.name,
            a_first=a_first,
            preferred=plan_for_position(position, a_first),
            rationale=rationale,
        )
