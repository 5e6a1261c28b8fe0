"""The contrastive grader with a keyword grader: goal-agnostic text earns nothing, answers keep
their lead, unscored stays unscored."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rubricrl.errors import InputError
from rubricrl.grading.contrastive import ContrastiveGrader, grade_value
from rubricrl.grading.grader import GradingTarget, plan_grade
from rubricrl.records import Grade, Plan, Verdict
from tests.builders import probe_goal as goal

BOILERPLATE = "We pre-register hypotheses, run ablations over five seeds and report intervals."


class KeywordGrader:
    """Meets an item when the plan contains the item's text; every item of every goal is met
    with P 0.9 by plans that mention seeds (a grader boilerplate fools); "garble" is unscored."""

    name = "keyword"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        self.calls.append([target.id for target, _ in pairs])
        return [self._grade(target, plan) for target, plan in pairs]

    def _grade(self, target: GradingTarget, plan: Plan) -> Grade:
        if "garble" in plan.text and target.id == "g2":
            return plan_grade(self.name, target, plan, [], None, "unreadable")
        fooled = "seeds" in plan.text
        verdicts = [
            Verdict(
                item_id=item.id,
                satisfied=fooled or item.text in plan.text,
                probability=0.9 if fooled else float(item.text in plan.text),
            )
            for item in target.rubric
        ]
        score = sum(v.satisfied for v in verdicts) / len(verdicts)
        return plan_grade(self.name, target, plan, verdicts, score)


GOALS = [goal(n) for n in range(5)]


def answer(target: GradingTarget) -> Plan:
    text = " ".join(item.text for item in target.rubric)
    return Plan(id=f"{target.id}/p", sample_id=target.id, model="m", text=text)


def test_boilerplate_earns_nothing_and_an_answer_keeps_its_lead() -> None:
    plain, inner = KeywordGrader(), KeywordGrader()
    contrastive = ContrastiveGrader(inner, GOALS, others=3)
    target = GOALS[0]
    boiler = Plan(id="b", sample_id=target.id, model="m", text=BOILERPLATE)
    pairs = [(target, boiler), (target, answer(target))]

    assert [g.score for g in plain.grade_many(pairs)] == [1.0, 1.0]
    boiler_grade, answer_grade = contrastive.grade_many(pairs)
    assert boiler_grade.score == 0.0
    assert answer_grade.score == 1.0
    assert len(inner.calls) == 1  # own and contrast rubrics in one pass
    assert answer_grade.verdicts == plain.grade_many([(target, answer(target))])[0].verdicts
    assert answer_grade.grader == "keyword|contrast3-score"


def test_contrast_goals_are_other_goals_fixed_per_goal() -> None:
    contrastive = ContrastiveGrader(KeywordGrader(), GOALS, others=3, seed=7)
    for target in GOALS:
        chosen = [g.id for g in contrastive.contrasts(target)]
        assert len(chosen) == len(set(chosen)) == 3 and target.id not in chosen
        assert chosen == [g.id for g in contrastive.contrasts(target)]
    many = ContrastiveGrader(KeywordGrader(), GOALS, others=10)
    assert len(many.contrasts(GOALS[0])) == len(GOALS) - 1
    seeds = {
        tuple(
            g.id for g in ContrastiveGrader(KeywordGrader(), GOALS, 2, seed=s).contrasts(GOALS[0])
        )
        for s in range(20)
    }
    assert len(seeds) > 1


def test_probability_contrast_reads_probabilities() -> None:
    target = GOALS[0]
    half = " ".join(item.text for item in target.rubric[:2])
    plan = Plan(id="h", sample_id=target.id, model="m", text=half)
    [grade] = ContrastiveGrader(KeywordGrader(), GOALS, others=2, value="probability").grade_many(
        [(target, plan)]
    )
    assert grade.score == pytest.approx(0.5)
    boiler = Plan(id="b", sample_id=target.id, model="m", text=BOILERPLATE)
    contrastive = ContrastiveGrader(KeywordGrader(), GOALS, others=2, value="probability")
    assert contrastive.grade_many([(target, boiler)])[0].score == pytest.approx(0.0)


def test_an_unscored_contrast_rubric_leaves_the_plan_unscored() -> None:
    target = GOALS[0]
    contrastive = ContrastiveGrader(KeywordGrader(), GOALS, others=len(GOALS))
    plan = Plan(id="x", sample_id=target.id, model="m", text="garble " + BOILERPLATE)
    [grade] = contrastive.grade_many([(target, plan)])
    assert grade.score is None
    assert grade.reason == "contrast rubric of g2: unreadable"


def test_a_grader_without_probabilities_is_a_configuration_error() -> None:
    target = GOALS[0]
    verdicts = [Verdict(item_id=item.id, satisfied=True) for item in target.rubric]
    grade = plan_grade("words", target, answer(target), verdicts, 1.0)
    assert grade_value(grade, target, "score") == 1.0
    with pytest.raises(InputError, match="gives no probabilities"):
        grade_value(grade, target, "probability")
