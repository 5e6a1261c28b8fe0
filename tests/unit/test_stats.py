"""Evaluation statistics against values worked out by hand."""

from __future__ import annotations

import pytest

from rubricrl.stats import (
    cohen_kappa,
    mann_whitney_auc,
    mean_with_ci,
    percent_agreement,
    position_bias,
    win_rate,
)


def test_win_rate_counts_ties_half() -> None:
    result = win_rate(["A", "A", "B", "tie"], resamples=200, seed=1)
    assert result.rate.value == pytest.approx(2.5 / 4)
    assert (result.wins, result.losses, result.ties, result.rate.n) == (2, 1, 1, 4)
    assert 0.0 <= result.rate.low <= result.rate.value <= result.rate.high <= 1.0


def test_a_unanimous_win_rate_gets_the_wilson_interval_not_a_zero_width_one() -> None:
    # Wilson, 7 of 7 at 95%: (1 + z²/14 - z·sqrt(z²/196)) / (1 + z²/7) = 1 / (1 + z²/7) = 0.6457
    result = win_rate(["A"] * 7)
    assert (result.rate.value, result.rate.high) == (1.0, 1.0)
    assert result.rate.low == pytest.approx(1 / (1 + 1.959964**2 / 7), abs=1e-4)


def test_a_win_rate_of_probabilities_keeps_the_decided_share_beside_it() -> None:
    result = win_rate(["A", "A", "B"], probabilities=[0.6, 0.9, 0.2], resamples=200)
    assert result.rate.value == pytest.approx(1.7 / 3)
    assert result.thresholded == pytest.approx(2 / 3)
    assert win_rate(["A"]).thresholded is None


def test_win_rate_interval_has_the_normal_width_for_a_coin() -> None:
    # 50 wins and 50 losses: standard error sqrt(.25/100) = .05, so about [.40, .60].
    result = win_rate(["A", "B"] * 50, resamples=4000, seed=3)
    assert result.rate.low == pytest.approx(0.40, abs=0.02)
    assert result.rate.high == pytest.approx(0.60, abs=0.02)


def test_bootstrap_is_reproducible_by_seed() -> None:
    decisions = ["A", "B", "tie", "A", "A", "B"]
    assert win_rate(decisions, seed=5) == win_rate(decisions, seed=5)
    assert win_rate(decisions, seed=5).rate != win_rate(decisions, seed=6).rate


def test_win_rate_rejects_unknown_labels() -> None:
    with pytest.raises(ValueError, match="unknown"):
        win_rate(["A", "C"])


def test_mean_with_ci() -> None:
    estimate = mean_with_ci([0.2, 0.4, 0.6], resamples=500)
    assert estimate.value == pytest.approx(0.4)
    assert 0.2 <= estimate.low < 0.4 < estimate.high <= 0.6
    assert mean_with_ci([0.5, 1.0], resamples=0).low == pytest.approx(0.75)
    with pytest.raises(ValueError):
        mean_with_ci([])


def test_percent_agreement() -> None:
    assert percent_agreement(["A", "B", "tie"], ["A", "tie", "tie"]) == pytest.approx(2 / 3)


def test_cohen_kappa_small_table() -> None:
    # observed 3/4; chance .5*.25 + .5*.75 = .5; kappa (.75 - .5) / .5 = .5
    assert cohen_kappa(["A", "A", "B", "B"], ["A", "B", "B", "B"]) == pytest.approx(0.5)


def test_cohen_kappa_textbook_table() -> None:
    # 2x2 table [[20, 5], [10, 15]]: observed .7, chance .5*.6 + .5*.4 = .5, kappa .4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_edges() -> None:
    assert cohen_kappa(["A", "B", "tie"], ["A", "B", "tie"]) == pytest.approx(1.0)
    assert cohen_kappa(["A", "A"], ["B", "B"]) == pytest.approx(0.0)
    assert cohen_kappa(["A", "A"], ["A", "A"]) is None
    with pytest.raises(ValueError):
        cohen_kappa(["A"], ["A", "B"])


def test_position_bias_counts_same_position_in_both_orders() -> None:
    orders = [("1", "1"), ("1", "2"), ("2", "2"), ("tie", "tie")]
    assert position_bias(orders) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("positives", "negatives", "auc"),
    [
        ([0.9, 0.8], [0.1, 0.2], 1.0),  # separated
        ([0.1], [0.9, 0.8], 0.0),  # reversed
        ([1, 1, 1], [1, 1], 0.5),  # all tied
        ([1, 0], [0, 0], 0.75),  # 0/1 verdicts: pairs 1>0, 1>0, 0=0, 0=0 -> (2 + 1) / 4
        ([0.8, 0.4], [0.4, 0.1], 0.875),  # pairs 1, 1, 0.5, 1 -> 3.5 / 4
    ],
)
def test_mann_whitney_auc_by_hand(
    positives: list[float], negatives: list[float], auc: float
) -> None:
    assert mann_whitney_auc(positives, negatives) == pytest.approx(auc)


def test_mann_whitney_auc_needs_both_classes() -> None:
    assert mann_whitney_auc([], [0.3]) is None
    assert mann_whitney_auc([0.3], []) is None
