"""Reliability curve and ECE of the jury's P(A better) against the experts' majority."""

from __future__ import annotations

import numpy as np
import pytest

from rubricrl.errors import InputError
from rubricrl.evaluation.calibration import calibration, human_majority, jury_calibration
from rubricrl.records import Comparison, Judgment, Preference


def test_hand_computed_curve_and_ece() -> None:
    # bin [0, 0.5): predictions 0.2, 0.4 -> mean 0.3, outcomes 0, 1 -> 0.5, gap 0.2
    # bin [0.5, 1]: predictions 0.6, 1.0 -> mean 0.8, outcomes 1, 1 -> 1.0, gap 0.2
    result = calibration([0.2, 0.4, 0.6, 1.0], [0.0, 1.0, 1.0, 1.0], bins=2)
    assert [(b.low, b.high, b.n) for b in result.curve] == [(0.0, 0.5, 2), (0.5, 1.0, 2)]
    assert [b.predicted for b in result.curve] == pytest.approx([0.3, 0.8])
    assert [b.observed for b in result.curve] == pytest.approx([0.5, 1.0])
    assert result.ece == pytest.approx(0.2)
    assert result.line() == "jury calibration over 4 goals: ECE 0.200 (2 bins)"
    assert len(result.lines()) == 3


def test_a_miscalibrated_jury_has_the_larger_ece() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random(2000)  # each goal's true P(experts' majority prefers A)
    outcomes = (rng.random(truth.size) < truth).astype(float)
    calibrated = calibration(truth.tolist(), outcomes.tolist())
    overconfident = calibration(np.where(truth > 0.5, 0.95, 0.05).tolist(), outcomes.tolist())
    biased = calibration(np.clip(truth + 0.25, 0, 1).tolist(), outcomes.tolist())
    assert calibrated.ece < 0.05
    assert overconfident.ece > calibrated.ece + 0.1
    assert biased.ece > calibrated.ece + 0.1


def test_human_majority_counts_ties_as_abstaining() -> None:
    assert human_majority(["A", "A", "B"]) == 1.0
    assert human_majority(["B", "tie", "tie"]) == 0.0
    assert human_majority(["A", "B", "tie"]) == 0.5


@pytest.mark.parametrize(
    ("predicted", "observed", "bins", "message"),
    [
        ([], [], 10, "at least one goal"),
        ([0.5], [1.0, 0.0], 10, "1 predictions but 2 outcomes"),
        ([1.5], [1.0], 10, "must lie in"),
        ([0.5], [1.0], 0, "at least one bin"),
    ],
)
def test_refuses_unusable_inputs(
    predicted: list[float], observed: list[float], bins: int, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        calibration(predicted, observed, bins)


def comparison(sample: str, a_first: float | None, b_first: float | None) -> Comparison:
    judgments = [
        Judgment(judge="j", a_first=True, preferred="A", first_better=a_first),
        Judgment(judge="j", a_first=False, preferred="B", first_better=b_first),
    ]
    return Comparison(
        id=sample, sample_id=sample, model_a="a", model_b="b", judgments=judgments, decision="A"
    )


def test_jury_calibration_uses_goals_with_votes_and_probabilities() -> None:
    votes: dict[str, list[Preference]] = {"g1": ["A"], "g2": ["B", "B"], "g3": ["A"]}
    comparisons = [
        comparison("g1", 0.9, 0.1),  # P(A better) 0.9, majority A
        comparison("g2", 0.7, 0.3),  # 0.7, majority B
        comparison("g3", None, None),  # no probability verdict: left out
        comparison("g9", 0.9, 0.1),  # no votes: left out
    ]
    result = jury_calibration(votes, comparisons, bins=1)
    assert result.n == 2
    assert result.ece == pytest.approx(abs(0.8 - 0.5))
