"""Judges read both presentation orders; the jury folds verdicts by majority or mean."""

from __future__ import annotations

import json

import pytest

from rubricrl.backends.base import Completion, Conversation, JsonSchema, Sampling
from rubricrl.backends.fake import FakeBackend
from rubricrl.errors import InputError
from rubricrl.evaluation.judge import (
    PREFERENCE_SCHEMA,
    Judge,
    Pair,
    plan_for_position,
    position_of,
)
from rubricrl.evaluation.jury import Jury, decide, judge_verdict
from rubricrl.records import Judgment, Plan, Provenance, RubricItem, Sample


def make_pair(index: int = 0) -> Pair:
    sample = Sample(
        id=f"g{index}",
        goal=f"Goal number {index}",
        rubric=[RubricItem(id="r1", text="Uses a held-out split")],
        reference_solution="The authors did a secret thing",
        provenance=Provenance(paper_id="p", creator="fake", domain="ml"),
    )
    plan_a = Plan(id=f"a{index}", sample_id=sample.id, model="base", text=f"ALPHA plan {index}")
    plan_b = Plan(id=f"b{index}", sample_id=sample.id, model="tuned", text=f"BETA plan {index}")
    return Pair(f"pair{index}", sample, plan_a, plan_b)


def reply(position: str) -> str:
    return json.dumps({"rationale": "because", "preferred": position})


def prefers(word: str) -> FakeBackend:
    """A judge that always prefers the plan containing `word`, wherever it is shown."""

    def respond(conversation: Conversation) -> str:
        text = conversation[-1]["content"]
        other = "BETA" if word == "ALPHA" else "ALPHA"
        return reply("1" if text.index(word) < text.index(other) else "2")

    return FakeBackend(respond, spec=f"prefers-{word}")


def judgment(preferred: str, a_first: bool = True) -> Judgment:
    return Judgment(judge="j", a_first=a_first, preferred=preferred)  # type: ignore[arg-type]


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
    backend = FakeBackend(lambda c: "no idea")
    first, second = Judge(backend, retries=2).judge(make_pair())
    assert first.preferred is None and second.preferred is None
    assert first.reason == "unreadable after 3 attempt(s): reply holds no JSON object"
    assert len(backend.calls) == 6  # both orders, three attempts each
    assert [s.seed for s in backend.samplings] == [None, 1, 2]


def test_a_reply_readable_on_retry_is_scored() -> None:
    # A shown first: unreadable, then position 1 (A); B shown first: position 2 (A) at once.
    replies = iter(["no idea", reply("2"), reply("1")])
    first, second = Judge(FakeBackend(lambda c: next(replies))).judge(make_pair())
    assert (first.preferred, second.preferred) == ("A", "A")
    assert first.reason is None and second.reason is None


def test_judge_shows_both_orders_and_passes_the_schema() -> None:
    seen: list[JsonSchema | None] = []

    class Recording(FakeBackend):
        def batch(
            self,
            conversations: list[Conversation],
            sampling: Sampling,
            schema: JsonSchema | None = None,
        ) -> list[Completion]:
            seen.append(schema)
            return super().batch(conversations, sampling, schema)

    backend = Recording(lambda c: reply("1"))
    first, second = Judge(backend).judge(make_pair())
    prompts = [c[-1]["content"] for c in backend.calls]
    assert prompts[0].index("ALPHA") < prompts[0].index("BETA")
    assert prompts[1].index("BETA") < prompts[1].index("ALPHA")
    assert seen == [PREFERENCE_SCHEMA]
    assert (first.a_first, first.preferred) == (True, "A")
    assert (second.a_first, second.preferred) == (False, "B")


def test_rubric_and_reference_are_shown_only_when_asked() -> None:
    pair = make_pair()
    plain = Judge(FakeBackend(lambda c: reply("1"))).conversation(pair, True)[-1]["content"]
    assert "held-out split" not in plain and "secret thing" not in plain
    full = Judge(FakeBackend(lambda c: reply("1")), show_rubric=True, show_reference=True)
    content = full.conversation(pair, True)[-1]["content"]
    assert "held-out split" in content and "secret thing" in content


def test_judge_verdict_needs_both_orders_to_agree() -> None:
    assert judge_verdict(judgment("A"), judgment("A", False)) == "A"
    assert judge_verdict(judgment("A"), judgment("B", False)) == "tie"
    assert judge_verdict(judgment("B"), judgment("tie", False)) == "tie"


@pytest.mark.parametrize(
    ("verdicts", "majority", "mean"),
    [
        (["A", "tie", "tie"], "tie", "A"),
        (["A", "A", "B"], "A", "A"),
        (["A", "B"], "tie", "tie"),
        (["B", "B", "A", "A", "B"], "B", "B"),
        (["B", "tie", "tie", "A", "B"], "tie", "B"),
        (["A"], "A", "A"),
    ],
)
def test_majority_and_mean_rules(verdicts: list[str], majority: str, mean: str) -> None:
    assert decide(verdicts, "majority") == majority  # type: ignore[arg-type]
    assert decide(verdicts, "mean") == mean  # type: ignore[arg-type]


def test_unscored_verdicts_are_left_out_of_the_decision() -> None:
    assert judge_verdict(judgment("A"), Judgment(judge="j", a_first=False, preferred=None)) is None
    assert decide([None, "A", None, "tie", "A"]) == "A"
    assert decide([None, "B"], "mean") == "B"
    assert decide([None, None]) is None


def test_first_position_judge_gives_only_ties() -> None:
    jury = Jury([Judge(FakeBackend(lambda c: reply("1")))])
    assert {c.decision for c in jury.compare([make_pair(i) for i in range(4)])} == {"tie"}


def test_judge_that_prefers_a_survives_the_swap() -> None:
    jury = Jury([Judge(prefers("ALPHA")), Judge(prefers("BETA"))], rule="mean")
    comparisons = Jury([Judge(prefers("ALPHA"))]).compare([make_pair(i) for i in range(3)])
    assert [c.decision for c in comparisons] == ["A", "A", "A"]
    assert [c.decision for c in jury.compare([make_pair()])] == ["tie"]


def test_jury_sends_one_batch_per_judge() -> None:
    backend = prefers("ALPHA")
    calls = []
    original = backend.batch

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(args[0]))
        return original(*args, **kwargs)

    backend.batch = counting  # type: ignore[method-assign]
    comparisons = Jury([Judge(backend)]).compare([make_pair(i) for i in range(5)])
    assert calls == [10]
    assert [len(c.judgments) for c in comparisons] == [2] * 5
    assert comparisons[0].model_a == "base" and comparisons[0].domain == "ml"


def test_jury_rejects_bad_setups() -> None:
    with pytest.raises(InputError, match="at least one"):
        Jury([])
    with pytest.raises(InputError, match="once"):
        Jury([Judge(FakeBackend(lambda c: "")), Judge(FakeBackend(lambda c: ""))])
    with pytest.raises(InputError, match="rule"):
        Jury([Judge(FakeBackend(lambda c: ""))], rule="vote")  # type: ignore[arg-type]
