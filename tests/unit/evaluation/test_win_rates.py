"""Win rates from comparisons: by hand, per domain and per judge, unscored rows counted apart."""

from __future__ import annotations

import pytest

from rubricrl.errors import InputError
from rubricrl.evaluation.win_rates import judge_agreement, rate_row, summarize
from rubricrl.records import Comparison, Preference
from tests.builders import judgment


def comparison(
    index: int, first: Preference | None, second: Preference | None, domain: str | None = None
) -> Comparison:
    """One goal judged by one judge in both orders; the decision is the judge's verdict."""
    judgments = [judgment(first, a_first=True), judgment(second, a_first=False)]
    decision = first if first == second else ("tie" if first and second else first or second)
    return Comparison(
        id=f"c{index}",
        sample_id=f"g{index}",
        domain=domain,
        model_a="trained",
        model_b="base",
        judgments=judgments,
        decision=decision,
    )


def test_a_row_counts_ties_as_half_and_unscored_apart() -> None:
    row = rate_row(["A", "A", "B", "tie", None], resamples=200, seed=0)
    assert (row.n, row.wins, row.losses, row.ties, row.unscored) == (4, 2, 1, 1, 1)
    assert row.win_rate == pytest.approx(2.5 / 4)
    assert row.ci_low is not None and row.ci_high is not None
    assert row.ci_low <= row.win_rate <= row.ci_high


def test_a_row_with_nothing_scored_has_no_rate() -> None:
    row = rate_row([None, None], resamples=200, seed=0)
    assert (row.n, row.win_rate, row.ci_low, row.unscored) == (0, None, None, 2)


def test_agreement_uses_only_the_pairs_both_judges_scored() -> None:
    agreement = judge_agreement(("x", "y"), ["A", "B", None, "A"], ["A", "A", "B", None])
    assert (agreement.n, agreement.unscored, agreement.percent) == (2, 2, 0.5)


def test_summary_splits_by_domain_and_names_the_models() -> None:
    comparisons = [
        comparison(0, "A", "A", "ml"),
        comparison(1, "B", "B", "ml"),
        comparison(2, "A", "A", "bio"),
        comparison(3, "A", "A"),
    ]
    summary = summarize(comparisons, "majority", resamples=200)
    assert (summary.model_a, summary.model_b, summary.judges) == ("trained", "base", ["j"])
    assert summary.overall.win_rate == pytest.approx(0.75)
    assert {d: r.win_rate for d, r in summary.by_domain.items()} == {
        "bio": 1.0,
        "ml": 0.5,
        "unknown": 1.0,
    }
    assert summary.by_judge["j"].position_bias == 0.0  # each verdict held in both orders


def test_nothing_to_summarize_is_refused() -> None:
    with pytest.raises(InputError, match="no comparisons"):
        summarize([], "majority")
