"""The known-answer probe with fake graders: metrics worked out by hand."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import ValidationError
from rich.console import Console

from rubricrl.grading import probe
from rubricrl.grading.grader import GradingTarget, plan_grade
from rubricrl.grading.parse import count_words
from rubricrl.grading.probe import (
    GradeProbeConfig,
    ProbeConfig,
    grade_probe,
    item_auc,
    known_answer_probe,
    ordering_accuracy,
    probe_table,
    run_probe,
    summarize_probe,
)
from rubricrl.grading.probe_plans import (
    ADVERSARIAL_KINDS,
    ProbePlan,
    build_plans,
    item_sentence,
    keywords,
)
from rubricrl.jsonl import load_records, write_records
from rubricrl.model_spec import EMBED, EMBEDDED, ModelSpec
from rubricrl.records import Grade, HackMargin, Plan, ProbeResult, Verdict
from tests.builders import probe_goal as goal
from tests.fakes import ScriptedBackend


def grade_of(target: GradingTarget, plan: Plan, verdicts: list[Verdict], name: str) -> Grade:
    score = sum(v.satisfied for v in verdicts) / len(verdicts) if verdicts else 0.0
    return plan_grade(name, target, plan, verdicts, score)


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


class FooledOracle(OracleGrader):
    """The oracle, but a plan that `fools` it meets every item."""

    def fools(self, target: GradingTarget, text: str) -> bool:
        raise NotImplementedError

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        grades = super().grade_many(pairs)
        return [
            grade_of(
                target,
                plan,
                [Verdict(item_id=item.id, satisfied=True) for item in target.rubric],
                self.name,
            )
            if self.fools(target, plan.text)
            else grade
            for (target, plan), grade in zip(pairs, grades, strict=True)
        ]


class WordyGrader(FooledOracle):
    """The oracle, but any plan of `words` words or more meets every item."""

    name = "wordy"

    def __init__(self, words: int) -> None:
        super().__init__()
        self.words = words

    def fools(self, target: GradingTarget, text: str) -> bool:
        return count_words(text) >= self.words


class CoveredShareGrader:
    """The known answer: each plan meets exactly the items its probe plan covers."""

    name = "covered"

    def __init__(self, plans: Sequence[ProbePlan]) -> None:
        self.covered = {plan.plan().id: plan.covered for plan in plans}

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        return [
            grade_of(
                target,
                plan,
                [
                    Verdict(item_id=item.id, satisfied=item.id in self.covered[plan.id])
                    for item in target.rubric
                ],
                self.name,
            )
            for target, plan in pairs
        ]


class KeywordGrader(FooledOracle):
    """The oracle, but a plan at least half of whose words are the goal's keywords meets every
    item."""

    name = "keyword"

    def fools(self, target: GradingTarget, text: str) -> bool:
        return self.stuffed(text, keywords(target.goal))

    @staticmethod
    def stuffed(text: str, goal_words: list[str]) -> bool:
        words = [word.strip(".,:").lower() for word in text.split()]
        return bool(words) and sum(word in goal_words for word in words) >= len(words) / 2


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
    assert (result.goals, result.plans, result.grader, result.writer) == (6, 60, "oracle", None)
    assert result.mean_scores == {
        "full": 1.0,
        "half": 0.5,
        "padded": 0.5,
        "off_topic": 0.0,
        "empty": 0.0,
        "parrot": 0.0,
        "boilerplate": 0.0,
        "stuffing": 0.0,
        "half_boilerplate": 0.5,
        "keyword_off_topic": 0.0,
    }
    assert result.items_per_second == pytest.approx(6 * 10 * 4 / result.seconds)
    assert result.verdict == "robust"


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
    # every adversarial plan at least as long as a full plan meets all items too; the parrot is short
    assert result.hackable_by == [
        "boilerplate",
        "stuffing",
        "half_boilerplate",
        "keyword_off_topic",
    ]


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
    assert result.unscored_share == pytest.approx(1 / 20)
    assert result.length_bias == 0.0  # only g1's pair is left
    assert result.items_per_second == pytest.approx((20 - 1) * 4 / 2.0)


def test_the_known_answer_is_robust_to_every_adversarial_kind() -> None:
    goals = [goal(n) for n in range(6)]
    plans = build_plans(goals)
    result = grade_probe(plans, CoveredShareGrader(plans), ProbeConfig(resamples=200))
    # each adversarial plan covers nothing (0 of 4 items) but half_boilerplate, the half's 2
    assert result.hack_margins == {
        kind: HackMargin(mean=margin, low=margin, high=margin)
        for kind, margin in zip(ADVERSARIAL_KINDS, (-0.5, -0.5, -0.5, 0.0, -0.5), strict=True)
    }
    assert result.hackable_by == [] and result.verdict == "robust"
    assert ProbeResult.model_validate_json(result.model_dump_json()) == result
    assert (result.ordering_accuracy, result.item_auc, result.length_bias) == (1.0, 1.0, 0.0)


def test_a_grader_that_rewards_the_goals_words_is_hackable_by_stuffing() -> None:
    goals = [goal(n) for n in range(6)]
    result = run_probe(goals, KeywordGrader(), ProbeConfig(resamples=200))
    assert result.hack_margins["stuffing"] == HackMargin(mean=0.5, low=0.5, high=0.5)
    assert result.hackable_by == ["stuffing"]
    assert result.verdict == "hackable by stuffing"
    assert result.ordering_accuracy == 1.0  # the known orderings alone would not have told


@pytest.mark.parametrize(
    ("margins", "verdict"),
    [
        ({}, "untested"),  # a row written before the adversarial kinds
        ({"parrot": (0.05, 0.01, 0.09), "stuffing": (0.3, -0.01, 0.6)}, "robust"),
        (
            {"parrot": (0.06, 0.001, 0.1), "stuffing": (0.9, 0.8, 1.0)},
            "hackable by parrot, stuffing",
        ),
    ],
)
def test_hackable_needs_a_margin_above_the_threshold_and_an_interval_above_zero(
    margins: dict[str, tuple[float, float, float]], verdict: str
) -> None:
    old = run_probe([goal(0), goal(1)], OracleGrader(), ProbeConfig(resamples=0)).model_dump()
    del old["hack_margins"]
    row = ProbeResult.model_validate_json(json.dumps(old))
    assert row.hack_margins == {}
    hack_margins = {k: HackMargin(mean=m, low=lo, high=hi) for k, (m, lo, hi) in margins.items()}
    assert row.model_copy(update={"hack_margins": hack_margins}).verdict == verdict


def test_the_writer_named_in_the_config_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = ScriptedBackend(lambda c: "Rewritten without any item.", spec="fake-writer")
    monkeypatch.setattr(probe, "load_backend", lambda spec: writer)
    result = run_probe(
        [goal(0), goal(1)], OracleGrader(), ProbeConfig(writer=ModelSpec("hf", "/w"))
    )
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
    assert "parrot/boiler/stuff/" in text and "half+boiler/kw-off" in text
    assert "-0.50/-0.50/-0.50/0.00/-0.50" in text and "robust" in text


def test_grade_probe_writes_one_row_per_grader_and_says_each_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    goals = tmp_path / "goals.jsonl"
    write_records(goals, [goal(n) for n in range(3)])
    monkeypatch.setattr(probe, "load_grader", lambda spec, *args, **kw: OracleGrader())
    output = tmp_path / "probe.jsonl"
    config = GradeProbeConfig(goals=goals, grader=(EMBED, EMBEDDED), resamples=10, output=output)
    summary = known_answer_probe(config)
    assert load_records(output, ProbeResult) == summary.results and not summary.failed
    console = Console(width=250, record=True)
    console.print(summary.render(), markup=False, highlight=False)
    lines = console.export_text().splitlines()
    assert "known-answer probe: 3 goals" in lines[0]
    verdict = summary.results[0].verdict
    assert lines[-3:] == [f"oracle: {verdict}", f"oracle: {verdict}", f"wrote {output}"]
