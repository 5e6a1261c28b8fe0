"""The known-answer probe with fake graders: plans built as labelled, metrics worked out by hand."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from pydantic import ValidationError
from rich.console import Console

from rubricrl.backends.base import Conversation
from rubricrl.backends.fake import FakeBackend
from rubricrl.errors import InputError
from rubricrl.grading import probe
from rubricrl.grading.grader import GradingTarget
from rubricrl.grading.parse import count_words
from rubricrl.grading.probe import (
    ProbeConfig,
    item_auc,
    ordering_accuracy,
    probe_table,
    run_probe,
    summarize_probe,
)
from rubricrl.grading.probe_plans import FILLER, ProbePlan, build_plans, item_sentence, rewrite
from rubricrl.records import Grade, Plan, ProbeResult, Provenance, RubricItem, Sample, Verdict


def goal(n: int, items: int = 4) -> Sample:
    return Sample(
        id=f"g{n}",
        goal=f"Problem number {n} is hard. It has constraints.",
        rubric=[
            RubricItem(id=f"i{k}", text=f"The plan handles aspect {k} of problem {n}.")
            for k in range(1, items + 1)
        ],
        reference_solution="",
        provenance=Provenance(paper_id="p", creator="test"),
    )


def grade_of(target: GradingTarget, plan: Plan, verdicts: list[Verdict], name: str) -> Grade:
    score = sum(v.satisfied for v in verdicts) / len(verdicts) if verdicts else 0.0
    return Grade(
        id=plan.id,
        plan_id=plan.id,
        sample_id=target.id,
        grader=name,
        verdicts=verdicts,
        score=score,
    )


class OracleGrader:
    """Satisfied exactly when the plan contains the item's templated sentence."""

    name = "oracle"

    def __init__(self) -> None:
        self.calls = 0

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        self.calls += 1
        return [
            grade_of(
                target,
                plan,
                [
                    Verdict(item_id=item.id, satisfied=item_sentence(item.text) in plan.text)
                    for item in target.rubric
                ],
                self.name,
            )
            for target, plan in pairs
        ]


class CoinGrader:
    """Satisfied by a seeded coin flip, whatever the plan says."""

    name = "coin"

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        return [
            grade_of(
                target,
                plan,
                [
                    Verdict(item_id=item.id, satisfied=self.rng.random() < 0.5)
                    for item in target.rubric
                ],
                self.name,
            )
            for target, plan in pairs
        ]


class WordyGrader(OracleGrader):
    """The oracle, but any plan of `words` words or more meets every item."""

    name = "wordy"

    def __init__(self, words: int) -> None:
        super().__init__()
        self.words = words

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        grades = super().grade_many(pairs)
        return [
            grade_of(
                target,
                plan,
                [Verdict(item_id=item.id, satisfied=True) for item in target.rubric],
                self.name,
            )
            if count_words(plan.text) >= self.words
            else grade
            for (target, plan), grade in zip(pairs, grades, strict=True)
        ]


# --- the plans ----------------------------------------------------------------------------


def test_each_goal_gets_five_plans_labelled_with_what_they_cover() -> None:
    goals = [goal(0), goal(1, items=5), goal(2)]
    plans = build_plans(goals, seed=3)
    assert len(plans) == 15
    by = {(p.sample.id, p.kind): p for p in plans}
    for sample in goals:
        full, half, padded = (by[sample.id, kind] for kind in ("full", "half", "padded"))
        ids = {item.id for item in sample.rubric}
        assert full.covered == ids
        assert len(half.covered) == len(ids) // 2 and half.covered < ids
        assert padded.covered == half.covered
        assert padded.text.startswith(half.text)
        assert count_words(padded.text) >= count_words(full.text) > count_words(half.text)
        assert count_words(padded.text) < count_words(full.text) + max(map(count_words, FILLER))
        for item in sample.rubric:
            assert (item_sentence(item.text) in half.text) == (item.id in half.covered)
            assert item_sentence(item.text) not in padded.text[len(half.text) :]
        assert by[sample.id, "empty"].text == "" and not by[sample.id, "empty"].covered
        assert not by[sample.id, "off_topic"].covered
    assert by["g0", "off_topic"].text == by["g1", "full"].text
    assert by["g2", "off_topic"].text == by["g0", "full"].text


def test_plans_are_seeded() -> None:
    goals = [goal(n, items=10) for n in range(4)]
    assert build_plans(goals, seed=1) == build_plans(goals, seed=1)
    halves = {
        seed: [p.covered for p in build_plans(goals, seed) if p.kind == "half"] for seed in (1, 2)
    }
    assert halves[1] != halves[2]


def test_item_sentences_read_as_plan_sentences() -> None:
    assert (
        item_sentence("The plan tracks the gap over steps.")
        == "Our study tracks the gap over steps."
    )
    assert item_sentence("Uses few labels.") == "Our study also addresses this: uses few labels."


def test_goals_with_one_item_are_skipped_and_two_goals_are_needed() -> None:
    plans = build_plans([goal(0), goal(1, items=1), goal(2)])
    assert {p.sample.id for p in plans} == {"g0", "g2"}
    with pytest.raises(InputError, match="at least two goals"):
        build_plans([goal(0), goal(1, items=1)])


def test_rewrites_go_in_one_batch_and_keep_the_labels() -> None:
    def respond(conversation: Conversation) -> str:
        plan = conversation[-1]["content"].split("Plan:\n", 1)[1]
        if "aspect 1 of problem 1" in plan:
            return "<think>hmm</think>"  # nothing left after thinking: kept as built
        return f"<solution>REWRITTEN {plan.upper()}</solution>"

    writer = FakeBackend(respond)
    goals = [goal(0), goal(1)]
    built = build_plans(goals)
    plans = rewrite(built, writer, seed=5, max_tokens=300)
    assert len(writer.samplings) == 1 and len(writer.calls) == 4  # full and half of each goal
    assert writer.samplings[0].max_tokens == 300 and writer.samplings[0].seed == 5
    by = {(p.sample.id, p.kind): p for p in plans}
    before = {(p.sample.id, p.kind): p for p in built}
    assert [p.covered for p in plans] == [p.covered for p in built]
    assert by["g0", "full"].text.startswith("REWRITTEN ")
    assert by["g1", "full"].text == before["g1", "full"].text  # the empty rewrite
    assert by["g0", "padded"].text.startswith(by["g0", "half"].text)
    assert count_words(by["g0", "padded"].text) >= count_words(by["g0", "full"].text)
    assert by["g1", "off_topic"].text == by["g0", "full"].text
    assert by["g0", "empty"].text == ""


# --- the metrics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "accuracy"),
    [
        ({"full": 1.0, "half": 0.5, "off_topic": 0.0, "empty": 0.0}, 1.0),
        ({"full": 0.0, "half": 0.5, "off_topic": 1.0, "empty": 1.0}, 0.0),
        # full=half ties (0.5), half>off, full>off, full>empty: (0.5 + 3) / 4
        ({"full": 0.5, "half": 0.5, "off_topic": 0.0, "empty": 0.0}, 0.875),
        # an unscored half leaves two pairs at 0.5: (0.5 + 0.5 + 1 + 1) / 4
        ({"full": 1.0, "half": None, "off_topic": 0.0, "empty": 0.0}, 0.75),
    ],
)
def test_ordering_accuracy_by_hand(scores: dict, accuracy: float) -> None:
    assert ordering_accuracy(scores) == pytest.approx(accuracy)


def test_item_auc_uses_probability_else_the_verdict() -> None:
    sample = goal(0, items=2)
    plans = [
        ProbePlan(sample, "half", "x", frozenset({"i1"})),
        ProbePlan(sample, "off_topic", "y", frozenset()),
        ProbePlan(sample, "empty", "", frozenset()),  # not counted: its answer is trivial
    ]
    grades = [
        grade_of(
            sample,
            p.plan(),
            [
                Verdict(item_id="i1", satisfied=True, probability=0.9),
                Verdict(item_id="i2", satisfied=False, probability=0.4),
            ]
            if p.kind == "half"
            else [
                Verdict(item_id="i1", satisfied=True),  # no probability: counts as 1.0
                Verdict(item_id="i2", satisfied=False),
            ],
            "g",
        )
        for p in plans
    ]
    # positive 0.9 against negatives 0.4, 1.0, 0.0 (empty skipped): 2 of 3 pairs
    assert item_auc(plans, grades) == pytest.approx(2 / 3)


def test_the_oracle_orders_every_pair_and_separates_every_item() -> None:
    grader = OracleGrader()
    result = run_probe([goal(n) for n in range(6)], grader, ProbeConfig(resamples=200))
    assert grader.calls == 1
    assert (result.ordering_accuracy, result.ci_low, result.ci_high) == (1.0, 1.0, 1.0)
    assert result.item_auc == 1.0
    assert result.length_bias == 0.0
    assert result.unscored_share == 0.0
    assert (result.goals, result.plans, result.grader, result.writer) == (6, 30, "oracle", None)
    assert result.mean_scores == {
        "full": 1.0,
        "half": 0.5,
        "padded": 0.5,
        "off_topic": 0.0,
        "empty": 0.0,
    }
    assert result.items_per_second == pytest.approx(6 * 5 * 4 / result.seconds)


def test_a_coin_is_at_chance() -> None:
    result = run_probe([goal(n, items=10) for n in range(300)], CoinGrader(seed=0))
    assert result.ordering_accuracy == pytest.approx(0.5, abs=0.05)
    assert result.ci_low < 0.5 < result.ci_high
    assert result.item_auc == pytest.approx(0.5, abs=0.05)


def test_a_grader_that_rewards_length_shows_length_bias() -> None:
    goals = [goal(n) for n in range(4)]
    plans = build_plans(goals)
    shortest_full = min(count_words(p.text) for p in plans if p.kind == "full")
    result = run_probe(goals, WordyGrader(words=shortest_full))
    # padded plans reach the full length and meet all 4 items; their halves meet 2
    assert result.length_bias == pytest.approx(0.5)
    assert result.mean_scores["padded"] == 1.0


def test_unscored_plans_are_counted_and_left_out_of_length_bias() -> None:
    goals = [goal(0), goal(1)]
    plans = build_plans(goals)
    grades = OracleGrader().grade_many([(p.sample, p.plan()) for p in plans])
    grades = [
        g.model_copy(update={"score": None, "verdicts": [], "reason": "x"})
        if (p.sample.id, p.kind) == ("g0", "padded")
        else g
        for p, g in zip(plans, grades, strict=True)
    ]
    result = summarize_probe("oracle", plans, grades, seconds=2.0)
    assert result.unscored_share == pytest.approx(1 / 10)
    assert result.length_bias == 0.0  # only g1's pair is left
    assert result.items_per_second == pytest.approx((10 - 1) * 4 / 2.0)


def test_the_writer_named_in_the_config_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = FakeBackend(lambda c: "Rewritten without any item.", spec="fake-writer")
    monkeypatch.setattr(probe, "load_backend", lambda spec: writer)
    result = run_probe([goal(0), goal(1)], OracleGrader(), ProbeConfig(writer="hf:/w"))
    assert result.writer == "fake-writer"
    assert result.mean_scores["full"] == 0.0  # the rewrite dropped the wording the oracle reads


def test_results_are_frozen_records_and_render_as_a_table() -> None:
    result = run_probe([goal(0), goal(1)], OracleGrader(), ProbeConfig(resamples=0))
    with pytest.raises(ValidationError):
        ProbeResult(**result.model_dump(), surprise=1)
    with pytest.raises(ValidationError):
        result.goals = 3  # type: ignore[misc]
    console = Console(width=250, record=True)
    console.print(probe_table([result, result.model_copy(update={"grader": "other"})]))
    text = console.export_text()
    assert "oracle" in text and "other" in text and "1.00 [1.00, 1.00]" in text
