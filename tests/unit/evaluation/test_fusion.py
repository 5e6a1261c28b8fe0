"""Prediction-powered win rates on planted truth: a few noisy expert votes, many jury outcomes."""

from __future__ import annotations

import numpy as np
import pytest
from ppi_py import ppi_mean_pointestimate

from rubricrl.errors import InputError
from rubricrl.evaluation.fusion import (
    fuse_study,
    fused_win_rate,
    human_outcome,
)
from rubricrl.records import Comparison, Judgment, Preference

P_A_BETTER = 0.6  # share of goals on which A's plan is truly better
VOTE_ACCURACY = 0.9  # an expert votes for the truly better plan this often
# The estimand: the experts' win rate, E[mean of three votes] = 0.1 + 0.8 * 0.6 = 0.58.
TRUTH = (1 - VOTE_ACCURACY) + (2 * VOTE_ACCURACY - 1) * P_A_BETTER
SEEDS = range(40)


def planted(
    seed: int, voted: int = 30, unvoted: int = 300, useful: bool = True
) -> tuple[list[float], list[float], list[float]]:
    """Experts' outcomes (three votes each) on `voted` goals, and a jury biased toward A that
    agrees with the truth most of the time, on those and `unvoted` more goals."""
    rng = np.random.default_rng(seed)
    better = rng.random(voted + unvoted) < P_A_BETTER
    right = rng.random((voted, 3)) < VOTE_ACCURACY
    human = np.where(right, better[:voted, None], ~better[:voted, None]).mean(axis=1)
    if useful:  # says A on 95% of the goals where A is better, and on 30% of the others
        jury = np.where(better, rng.random(better.size) < 0.95, rng.random(better.size) < 0.3)
    else:  # a coin
        jury = rng.random(better.size) < 0.5
    outcomes = jury.astype(float)
    return human.tolist(), outcomes[:voted].tolist(), outcomes[voted:].tolist()


def test_ppi_is_narrower_than_experts_alone_and_covers_the_truth() -> None:
    results = [fused_win_rate(*planted(seed)) for seed in SEEDS]
    covered = [r.ppi.low <= TRUTH <= r.ppi.high for r in results]
    assert sum(covered) >= 0.9 * len(results)
    assert all(r.ppi.width < r.human.width for r in results)
    # the jury alone is biased toward A: its tight interval misses the experts' win rate
    assert sum(r.jury.low <= TRUTH <= r.jury.high for r in results) <= 0.2 * len(results)
    assert all((r.human.n, r.jury.n, r.ppi.n, r.unvoted) == (30, 330, 30, 300) for r in results)


def test_power_tuning_matches_ppi_py_and_ignores_a_useless_jury() -> None:
    human, voted, unvoted = planted(0)
    result = fused_win_rate(human, voted, unvoted)
    assert result.ppi.value == pytest.approx(
        float(np.ravel(ppi_mean_pointestimate(*map(np.asarray, (human, voted, unvoted))))[0])
    )
    coins = [fused_win_rate(*planted(seed, useful=False)) for seed in range(10)]
    assert np.mean([r.lam for r in coins]) < 0.15
    assert all(r.ppi.width < 1.1 * r.human.width for r in coins)


def test_a_constant_jury_falls_back_to_the_experts() -> None:
    result = fused_win_rate([1.0, 0.0, 0.5, 1.0], [1.0] * 4, [1.0] * 10)
    assert result.lam == 0.0
    assert result.ppi.value == pytest.approx(result.human.value)
    assert result.ppi.width == pytest.approx(result.human.width)


def test_unscored_jury_goals_are_left_out_of_jury_and_ppi() -> None:
    result = fused_win_rate([1.0, 0.0, 1.0], [1.0, None, 0.0], [0.5, None, 1.0])
    assert (result.human.n, result.jury.n, result.ppi.n, result.unvoted) == (3, 4, 2, 2)


def test_intervals_are_clipped_to_zero_one() -> None:
    result = fused_win_rate([1.0, 1.0, 0.5], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0])
    for estimate in (result.human, result.jury, result.ppi):
        assert 0.0 <= estimate.low <= estimate.value <= estimate.high <= 1.0


@pytest.mark.parametrize(
    ("human", "voted", "unvoted", "message"),
    [
        ([1.0], [1.0], [0.0], "at least 2 goals, got 1"),
        ([1.0, 0.0], [1.0, None], [0.0], "scored jury outcome, got 1"),
        ([1.0, 0.0], [1.0, 0.0], [], "goals without human votes"),
        ([1.0, 0.0], [1.0], [0.0], "2 human outcomes but 1 jury"),
        ([1.0, 2.0], [1.0, 0.0], [0.0], "must lie in [0, 1]"),
    ],
)
def test_refuses_unusable_inputs(
    human: list[float], voted: list[float | None], unvoted: list[float | None], message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        fused_win_rate(human, voted, unvoted)
    assert "\n" not in str(info.value)


def test_lines_show_the_three_estimates() -> None:
    text = fused_win_rate(*planted(0)).render()
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("experts only: ") and lines[1].endswith("(n=30)")
    assert lines[2].startswith("jury only (all goals): ") and "(n=330)" in lines[2]
    assert lines[3].startswith("prediction-powered: ") and "+ 300 jury-only goals" in lines[3]


def judgment(a_first: bool, preferred: Preference, first_better: float | None = None) -> Judgment:
    return Judgment(judge="j", a_first=a_first, preferred=preferred, first_better=first_better)


def comparison(sample: str, decision: Preference | None, *judgments: Judgment) -> Comparison:
    return Comparison(
        id=sample,
        sample_id=sample,
        model_a="a",
        model_b="b",
        judgments=list(judgments),
        decision=decision,
    )


def test_the_experts_outcome_averages_their_votes_ties_half() -> None:
    assert human_outcome(["A", "A", "tie", "B"]) == pytest.approx(0.625)


def test_fuse_study_pairs_votes_with_comparisons_by_goal() -> None:
    votes: dict[str, list[Preference]] = {"g1": ["A", "A"], "g2": ["B"], "g3": ["tie"]}
    comparisons = [
        comparison("g1", "A"),
        comparison("g2", "B"),
        comparison("g4", "A"),
        comparison("g5", None),
    ]
    result = fuse_study(votes, comparisons)
    assert (result.human.n, result.ppi.n, result.jury.n, result.unvoted) == (3, 2, 3, 1)
    with pytest.raises(InputError, match="compared twice"):
        fuse_study(votes, [*comparisons, comparison("g1", "B")])
