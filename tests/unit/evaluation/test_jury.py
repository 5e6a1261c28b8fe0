"""The jury folds each judge's two-order verdicts by majority or mean; unscored ones stay out."""

from __future__ import annotations

import pytest

from rubricrl.errors import InputError
from rubricrl.evaluation.judge import Judge
from rubricrl.evaluation.jury import Jury, decide, judge_verdict, jury_outcome, jury_probability
from rubricrl.records import Comparison, Judgment, Preference
from tests.builders import judge_pair, judgment
from tests.fakes import ScriptedBackend, judge_reply, prefers


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
    jury = Jury([Judge(ScriptedBackend(judge_reply("1")))])
    assert {c.decision for c in jury.compare([judge_pair(i) for i in range(4)])} == {"tie"}


def test_judge_that_prefers_a_survives_the_swap() -> None:
    jury = Jury([Judge(prefers("ALPHA")), Judge(prefers("BETA"))], rule="mean")
    comparisons = Jury([Judge(prefers("ALPHA"))]).compare([judge_pair(i) for i in range(3)])
    assert [c.decision for c in comparisons] == ["A", "A", "A"]
    assert [c.decision for c in jury.compare([judge_pair()])] == ["tie"]


def test_jury_sends_one_batch_per_judge() -> None:
    backend = prefers("ALPHA")
    comparisons = Jury([Judge(backend)]).compare([judge_pair(i) for i in range(5)])
    assert backend.batch_sizes == [10]
    assert [len(c.judgments) for c in comparisons] == [2] * 5
    assert comparisons[0].model_a == "base" and comparisons[0].domain == "ml"


def test_jury_rejects_bad_setups() -> None:
    with pytest.raises(InputError, match="at least one"):
        Jury([])
    with pytest.raises(InputError, match="once"):
        Jury([Judge(ScriptedBackend("")), Judge(ScriptedBackend(""))])
    with pytest.raises(InputError, match="rule"):
        Jury([Judge(ScriptedBackend(""))], rule="vote")  # type: ignore[arg-type]


def test_the_jury_outcome_is_its_probability_else_its_decision() -> None:
    def comparison(decision: Preference | None, *judgments: Judgment) -> Comparison:
        return Comparison(
            id="g", sample_id="g", model_a="a", model_b="b", judgments=list(judgments),
            decision=decision,
        )  # fmt: skip

    probable = comparison(
        "A",
        Judgment(judge="j", a_first=True, preferred="A", first_better=0.9),
        Judgment(judge="j", a_first=False, preferred="B", first_better=0.3),
    )
    assert jury_probability(probable) == pytest.approx(0.8)  # (0.9 + 1 - 0.3) / 2
    assert jury_outcome(probable) == pytest.approx(0.8)
    decided = comparison("tie", judgment("A", a_first=True), judgment("A", a_first=False))
    assert (jury_probability(decided), jury_outcome(decided)) == (None, 0.5)
    assert jury_outcome(comparison(None)) is None
