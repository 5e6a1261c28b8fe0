"""Win rates that estimate what they claim: against a scripted judge of known preferences, the
95% interval covers the true win rate in nearly every seed, with written or probability verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from rubricrl.evaluation.jury import decide, judge_verdict
from rubricrl.evaluation.win_rates import summarize
from rubricrl.records import Comparison, Judgment, Preference

GOALS, SEEDS = 60, 100


def _judgment(a_first: bool, p_a: float, verdicts: str, rng: np.random.Generator) -> Judgment:
    """One order's judgment by a judge who finds A better with probability `p_a` on this goal."""
    if verdicts == "prob":
        first_better = float(np.clip((p_a if a_first else 1 - p_a) + rng.normal(0, 0.05), 0, 1))
        preferred: Preference = "A" if (first_better > 0.5) == a_first else "B"
        return Judgment(judge="j", a_first=a_first, preferred=preferred, first_better=first_better)
    return Judgment(judge="j", a_first=a_first, preferred="A" if rng.random() < p_a else "B")


def scripted_comparisons(truth: float, verdicts: str, seed: int) -> list[Comparison]:
    """GOALS goals whose P(A better) scatters around `truth` (a Beta with that mean)."""
    rng = np.random.default_rng(seed)
    comparisons = []
    for goal, p_a in enumerate(rng.beta(4 * truth, 4 * (1 - truth), size=GOALS)):
        judgments = [_judgment(a_first, float(p_a), verdicts, rng) for a_first in (True, False)]
        comparisons.append(
            Comparison(
                id=f"c{goal}",
                sample_id=f"g{goal}",
                model_a="trained",
                model_b="base",
                judgments=judgments,
                decision=decide([judge_verdict(*judgments)]),
            )
        )
    return comparisons


@pytest.mark.parametrize("verdicts", ["generated", "prob"])
@pytest.mark.parametrize("truth", [0.444, 0.914])
def test_the_interval_covers_the_true_win_rate_in_nine_seeds_of_ten(
    verdicts: str, truth: float
) -> None:
    covered = 0
    for seed in range(SEEDS):
        summary = summarize(scripted_comparisons(truth, verdicts, seed), "majority", 500, seed)
        low, high = summary.overall.ci_low, summary.overall.ci_high
        assert low is not None and high is not None and low < high
        covered += low <= truth <= high
    assert covered >= 0.9 * SEEDS, f"{verdicts}: covered {covered} of {SEEDS}"


def test_probability_verdicts_keep_the_probabilities_and_show_the_cut_share_apart() -> None:
    summary = summarize(scripted_comparisons(0.444, "prob", 0), "majority", 500, 0, verdicts="prob")
    mean_p = summary.overall.win_rate
    assert summary.verdicts == "prob" and summary.overall.thresholded is not None
    assert mean_p == pytest.approx(0.444, abs=0.08)
    assert summary.overall.thresholded != pytest.approx(mean_p, abs=1e-6)
