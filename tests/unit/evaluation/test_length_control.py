"""Length-controlled win rates: a planted judge that likes A and likes length, A writing longer."""

from __future__ import annotations

import numpy as np
import pytest

from rubricrl.evaluation.length_control import Judged, length_controlled_win_rate
from rubricrl.records import LengthControlledWinRate

A_EFFECT = 0.4  # log-odds by which the judges prefer A's plan at equal length
GOAL_SD = 0.5  # log-odds spread of that preference over goals
WORDS_SD = 80.0
SEEDS = range(40)


def length_free_win_rate() -> float:
    """The planted win rate at equal length, averaged over goals: E[expit(A_EFFECT + u)]."""
    z, w = np.polynomial.hermite_e.hermegauss(60)
    return float(np.sum(w / (1 + np.exp(-(A_EFFECT + GOAL_SD * z)))) / np.sum(w))


TRUTH = length_free_win_rate()


def planted(
    seed: int,
    length_effect: float = 1.0,
    longer_by: float = 120.0,
    fractional: bool = False,
    goals: int = 60,
) -> list[Judged]:
    """Two plan pairs per goal, three judges each; the judge prefers A by A_EFFECT (+ a goal
    effect) and the longer plan by `length_effect` log-odds per tanh(difference / sd)."""
    rng = np.random.default_rng(seed)
    rows = []
    for goal in range(goals):
        goal_effect = rng.normal(0.0, GOAL_SD)
        for _ in range(2):
            words_b = max(1, round(rng.normal(400, WORDS_SD)))
            words_a = max(1, round(rng.normal(400 + longer_by, WORDS_SD)))
            length = np.tanh((words_a - words_b) / (WORDS_SD * np.sqrt(2)))
            p = 1 / (1 + np.exp(-(A_EFFECT + goal_effect + length_effect * length)))
            for _ in range(3):
                if fractional:  # a probability verdict whose mean is p
                    preference = float(rng.beta(8 * p, 8 * (1 - p)))
                else:
                    preference = float(rng.random() < p)
                rows.append(Judged(f"g{goal}", preference, words_a, words_b))
    return rows


def covers(low: float | None, high: float | None, value: float | None) -> bool:
    assert low is not None and high is not None and value is not None
    assert low < high
    return low <= value <= high


def number(value: float | None) -> float:
    assert value is not None
    return value


def fit(rows: list[Judged]) -> LengthControlledWinRate:
    result = length_controlled_win_rate(rows)
    assert result.reason is None, result.reason
    assert result.lc_win_rate is not None and result.raw_win_rate is not None
    return result


def test_length_bias_is_removed_where_the_raw_rate_is_inflated() -> None:
    results = [fit(planted(seed)) for seed in SEEDS]
    raw = np.mean([r.raw_win_rate for r in results])
    assert raw > TRUTH + 0.08  # A's longer plans inflate the raw rate
    controlled = sum(covers(r.lc_ci_low, r.lc_ci_high, TRUTH) for r in results)
    uncontrolled = sum(covers(r.raw_ci_low, r.raw_ci_high, TRUTH) for r in results)
    assert controlled >= 0.9 * len(SEEDS)
    assert uncontrolled <= 0.2 * len(SEEDS)
    assert np.mean([r.length_coef for r in results]) == pytest.approx(1.0, abs=0.25)
    assert all(r.goal_effects and r.n_goals == 60 and r.n_rows == 360 for r in results)
    assert results[0].mean_length_difference == pytest.approx(120, abs=25)


def test_without_a_length_effect_raw_and_controlled_agree() -> None:
    results = [fit(planted(seed, length_effect=0.0)) for seed in SEEDS]
    for r in results:  # the intervals always overlap
        assert r.lc_ci_low is not None and r.lc_ci_high is not None
        assert r.raw_ci_low is not None and r.raw_ci_high is not None
        assert r.lc_ci_low <= r.raw_ci_high and r.raw_ci_low <= r.lc_ci_high
    inside = sum(covers(r.lc_ci_low, r.lc_ci_high, r.raw_win_rate) for r in results)
    assert inside >= 0.9 * len(SEEDS)  # and the raw rate mostly lies in the controlled interval
    gap = np.mean([abs(number(r.lc_win_rate) - number(r.raw_win_rate)) for r in results])
    assert gap < 0.05
    assert sum(covers(r.raw_ci_low, r.raw_ci_high, TRUTH) for r in results) >= 0.9 * len(SEEDS)
    assert np.mean([r.length_coef for r in results]) == pytest.approx(0.0, abs=0.2)


def test_probability_preferences_fit_as_fractions() -> None:
    results = [fit(planted(seed, fractional=True)) for seed in SEEDS]
    assert sum(covers(r.lc_ci_low, r.lc_ci_high, TRUTH) for r in results) >= 0.9 * len(SEEDS)
    assert np.mean([r.raw_win_rate for r in results]) > TRUTH + 0.08


def test_one_row_per_goal_fits_without_goal_effects() -> None:
    rows = [r for i, r in enumerate(planted(0, goals=200)) if i % 6 == 0]
    result = fit(rows)
    assert not result.goal_effects
    assert result.n_goals == result.n_rows == 200


def test_each_goal_weighs_the_same_in_the_raw_rate() -> None:
    rows = [Judged("g0", 1.0, 500, 400)] * 3 + [Judged("g1", 0.0, 400, 500)]
    result = length_controlled_win_rate(rows, min_goals=2)
    assert result.raw_win_rate == pytest.approx(0.5)
    assert result.mean_length_difference == pytest.approx(0.0)


def test_no_judged_pairs() -> None:
    result = length_controlled_win_rate([])
    assert result.reason == "no judged pairs"
    assert (result.n_goals, result.raw_win_rate, result.lc_win_rate) == (0, None, None)


def test_too_few_goals() -> None:
    rows = [Judged(f"g{i}", float(i % 2), 400 + 10 * i, 400) for i in range(3)]
    result = length_controlled_win_rate(rows)
    assert result.reason is not None and "3 goals" in result.reason
    assert result.lc_win_rate is None and result.raw_win_rate == pytest.approx(1 / 3)


def test_no_length_variation() -> None:
    rows = [Judged(f"g{i}", float(i % 3 == 0), 450, 400) for i in range(12)]
    result = length_controlled_win_rate(rows)
    assert result.reason is not None and "no length variation" in result.reason
    assert result.lc_win_rate is None and result.length_coef is None
    assert covers(result.raw_ci_low, result.raw_ci_high, 4 / 12)


def test_no_preference_variation() -> None:
    rows = [Judged(f"g{i}", 0.5, 400 + 10 * i, 400) for i in range(12)]
    result = length_controlled_win_rate(rows)
    assert result.reason is not None and "every preference is 0.5" in result.reason
    assert result.raw_win_rate == pytest.approx(0.5)
    assert result.lc_win_rate is None and result.raw_ci_low is None  # never a zero-width interval


def test_perfect_separation_by_length() -> None:
    rows = [Judged(f"g{d}", float(d > 0), 400 + d, 400) for d in range(-55, 60, 10)]
    result = length_controlled_win_rate(rows)
    assert result.reason is not None and "separation" in result.reason
    assert result.lc_win_rate is None and result.lc_ci_low is None


def test_preferences_and_lengths_are_checked() -> None:
    with pytest.raises(ValueError, match="not in"):
        Judged("g", 1.5, 10, 10)
    with pytest.raises(ValueError, match="not in"):
        Judged("g", float("nan"), 10, 10)
    with pytest.raises(ValueError, match="negative"):
        Judged("g", 0.5, -1, 10)


def test_lines_read_with_and_without_an_estimate() -> None:
    line = fit(planted(0)).line()
    assert line.startswith("length-controlled win rate 0.")
    assert "vs raw 0." in line and "60 goals, 360 judged pairs, goal effects" in line
    assert "log-odds" in line and "\n" not in line
    degenerate = length_controlled_win_rate([]).line()
    assert "n/a" in degenerate and "not length-controlled: no judged pairs" in degenerate
