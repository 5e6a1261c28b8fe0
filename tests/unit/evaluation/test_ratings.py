"""Bradley-Terry ratings: planted strengths recovered, goal-bootstrap intervals, separability,
sign tests with Holm, unscored comparisons counted apart, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from rubricrl.errors import InputError
from rubricrl.evaluation.jury import jury_probability
from rubricrl.evaluation.ratings import ratings
from rubricrl.records import Comparison, Judgment, Preference

TIE = 0.2  # share of ties in the planted outcomes


def comparison(
    goal: int, a: str, b: str, decision: Preference | None, judgments: list[Judgment] | None = None
) -> Comparison:
    return Comparison(
        id=f"g{goal}-{a}-{b}",
        sample_id=f"g{goal}",
        model_a=a,
        model_b=b,
        judgments=judgments or [],
        decision=decision,
    )


def planted(true: dict[str, float], goals: int = 200, seed: int = 0) -> list[Comparison]:
    """Every pair judged on every goal, outcomes drawn from Bradley-Terry probabilities on the
    Elo scale, with ties: a tie with probability TIE, else a win chosen so that A's expected
    outcome (a tie counting half) is the Bradley-Terry probability."""
    rng = np.random.default_rng(seed)
    names = list(true)
    rows = []
    for goal in range(goals):
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                p = 1.0 / (1.0 + 10.0 ** ((true[b] - true[a]) / 400.0))
                win = (p - TIE / 2) / (1.0 - TIE)
                tie, draw = rng.random(2)
                decision: Preference = "tie" if tie < TIE else "A" if draw < win else "B"
                rows.append(comparison(goal, a, b, decision))
    return rows


SPREAD = {"base": 0.0, "sft": 200.0, "rl": 400.0}


def test_planted_strengths_come_out_in_order_near_the_truth() -> None:
    summary = ratings(planted(SPREAD), resamples=200)
    assert [m.name for m in summary.models] == ["rl", "sft", "base"]
    assert [m.rank for m in summary.models] == [1, 2, 3]
    assert summary.reference == "base"
    scores = {m.name: m for m in summary.models}
    assert scores["base"].score == 0.0 and scores["base"].low == scores["base"].high == 0.0
    for name, truth in SPREAD.items():
        rating = scores[name]
        assert rating.low is not None and rating.high is not None
        assert rating.low <= rating.score <= rating.high
        assert rating.score == pytest.approx(truth, abs=60)
        assert rating.games == 400
    assert (summary.goals, summary.scored, summary.unscored) == (200, 600, 0)


def test_intervals_cover_the_true_strengths_in_most_seeds() -> None:
    true = {"base": 0.0, "sft": 100.0, "rl": 250.0}
    covered = []
    for seed in range(40):
        summary = ratings(planted(true, seed=seed), resamples=100, seed=seed)
        for rating in summary.models:
            if rating.name != "base":
                assert rating.low is not None and rating.high is not None
                covered.append(rating.low <= true[rating.name] <= rating.high)
    assert np.mean(covered) >= 0.9


def test_separability_is_full_for_separated_models_and_not_for_twins() -> None:
    assert ratings(planted(SPREAD), resamples=200).separability == 1.0
    twins = ratings(planted({"a": 0.0, "b": 0.0, "strong": 400.0}), resamples=200)
    assert twins.separability < 1.0
    pair = {(p.a, p.b): p for p in twins.pairs}
    assert not pair[("a", "b")].separable and pair[("a", "strong")].separable


def test_pair_tests_are_sign_tests_with_holm_above_the_raw_p_values() -> None:
    summary = ratings(planted({"a": 0.0, "b": 0.0, "c": 60.0}, goals=150), resamples=50)
    assert [(p.a, p.b) for p in summary.pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    for pair in summary.pairs:
        assert pair.p_holm >= pair.p_value
        assert pair.n == 150 == pair.wins + pair.losses + pair.ties
        assert pair.win_rate == pytest.approx((pair.wins + pair.ties / 2) / pair.n)
    assert max(p.p_holm for p in summary.pairs) <= 1.0


def test_an_exact_sign_test_by_hand() -> None:
    rows = [comparison(g, "x", "y", "A") for g in range(8)]
    rows += [comparison(8, "x", "y", "B"), comparison(9, "x", "y", "tie")]
    (pair,) = ratings(rows, resamples=20).pairs
    assert (pair.wins, pair.losses, pair.ties, pair.win_rate) == (8, 1, 1, 0.85)
    assert pair.p_value == pytest.approx(20 / 512)  # P(8 or more of 9, or 1 or fewer) at 1/2
    assert pair.p_holm == pair.p_value  # one pair: nothing to correct


def test_a_goals_comparisons_of_one_pair_are_one_outcome_either_way_round() -> None:
    rows = [comparison(0, "x", "y", "A"), comparison(0, "y", "x", "A")]  # one each: even
    rows += [comparison(1, "y", "x", "B")]
    (pair,) = ratings(rows, resamples=20).pairs
    assert (pair.a, pair.b, pair.n, pair.wins, pair.ties) == ("x", "y", 2, 1, 1)


def test_unscored_comparisons_are_counted_and_left_out() -> None:
    rows = planted({"a": 0.0, "b": 100.0}, goals=60)
    unscored = [comparison(g, "a", "b", None) for g in range(60, 70)]
    unscored.append(comparison(70, "a", "c", None))  # c has no scored game: not rated
    with_unscored = ratings(rows + unscored, resamples=100)
    alone = ratings(rows, resamples=100)
    assert (with_unscored.scored, with_unscored.unscored) == (60, 11)
    assert with_unscored.goals == alone.goals == 60
    assert with_unscored.models == alone.models
    assert with_unscored.pairs == alone.pairs


def test_a_single_pair_of_models_is_rated() -> None:
    summary = ratings(planted({"base": 0.0, "trained": 150.0}), resamples=200)
    assert [m.name for m in summary.models] == ["trained", "base"]
    assert len(summary.pairs) == 1 and summary.separability == 1.0
    assert summary.pairs[0].win_rate < 0.5 and summary.pairs[0].p_holm < 0.01


def test_a_model_judged_on_few_goals_still_gets_an_interval() -> None:
    rows = planted({"a": 0.0, "b": 100.0}, goals=100)
    rows += [comparison(g, "b", "late", "tie") for g in range(3)]
    summary = ratings(rows, resamples=200)  # "late" is missing from some resamples
    late = next(m for m in summary.models if m.name == "late")
    assert late.games == 3 and late.low is not None and late.high is not None
    assert late.low <= late.score <= late.high


def test_a_clean_sweep_gets_a_finite_score_and_no_zero_width_interval() -> None:
    summary = ratings([comparison(g, "a", "b", "A") for g in range(10)], resamples=50)
    best, worst = summary.models
    assert best.name == "a" and np.isfinite(worst.score) and worst.score < -300
    assert (worst.low, worst.high) == (None, None)  # every resample is the same sweep
    assert summary.pairs[0].p_value < 0.01  # the sign test still speaks


def test_ties_count_half() -> None:
    summary = ratings([comparison(g, "a", "b", "tie") for g in range(20)], resamples=50)
    assert all(m.score == pytest.approx(0.0, abs=1e-6) for m in summary.models)
    (pair,) = summary.pairs
    assert (pair.win_rate, pair.ties, pair.p_value) == (0.5, 20, 1.0)
    assert summary.separability == 0.0


def test_probabilities_replace_decisions_and_come_from_probability_verdicts() -> None:
    def judged(a_first: float, b_first: float) -> list[Judgment]:
        return [
            Judgment(judge="j", a_first=True, preferred="A", first_better=a_first),
            Judgment(judge="j", a_first=False, preferred="B", first_better=b_first),
        ]

    rows = [comparison(g, "a", "b", "A", judged(0.9, 0.3)) for g in range(30)]
    assert jury_probability(rows[0]) == pytest.approx(0.8)
    assert jury_probability(comparison(0, "a", "b", "A")) is None
    soft = ratings(rows, resamples=50)
    hard = ratings([comparison(g, "a", "b", "A") for g in range(30)], resamples=50)
    b_soft = next(m for m in soft.models if m.name == "b")
    assert b_soft.score == pytest.approx(-400 * np.log10(24.5 / 6.5))  # one virtual tie
    assert next(m for m in hard.models if m.name == "b").score < b_soft.score
    assert soft.pairs[0].win_rate == pytest.approx(0.8)


def test_a_named_reference_anchors_the_scale_and_seeds_repeat() -> None:
    rows = planted(SPREAD, goals=80)
    summary = ratings(rows, reference="rl", resamples=100, seed=3)
    scores = {m.name: m.score for m in summary.models}
    assert scores["rl"] == 0.0 and scores["base"] < scores["sft"] < 0.0
    assert ratings(rows, reference="rl", resamples=100, seed=3) == summary
    lines = summary.render().splitlines()
    assert "reference rl" in lines[0] and lines[1].startswith("1. rl: 0 ")
    assert summary.failed is False


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        ([], {}, "at least two models"),
        ([comparison(0, "a", "a", "A")], {}, "with itself"),
        ([comparison(0, "a", "b", None), comparison(1, "a", "b", None)], {}, "scored"),
        ([comparison(0, "a", "b", "A"), comparison(1, "c", "d", "B")], {}, "no chain"),
        ([comparison(0, "a", "b", "A")], {"reference": "z"}, "reference z"),
    ],
)
def test_unusable_input_is_refused_in_one_line(
    rows: list[Comparison], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[")) as error:
        ratings(rows, resamples=10, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)
