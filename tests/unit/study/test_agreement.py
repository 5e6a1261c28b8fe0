"""Kappa and alpha on hand-computed and published examples."""

from __future__ import annotations

import math

import pytest

from rubricrl.study.agreement import alpha, pair_agreement, rater_kappas


def test_pair_agreement_counts_only_units_both_labelled() -> None:
    x = {"u1": "A", "u2": "B", "u3": "A", "u4": None}
    y = {"u1": "A", "u2": "B", "u3": "B", "u5": "A"}
    result = pair_agreement(("x", "y"), x, y)
    assert (result.n, result.unscored) == (3, 2)
    assert result.percent == pytest.approx(2 / 3)
    # observed 2/3; expected: x has A 2/3, B 1/3; y has A 1/3, B 2/3 -> 2/9 + 2/9 = 4/9
    assert result.kappa == pytest.approx((2 / 3 - 4 / 9) / (1 - 4 / 9))


def test_rater_kappas_skip_pairs_without_shared_units() -> None:
    ratings = {"a": {"u1": "A"}, "b": {"u1": "A"}, "c": {"u9": "B"}}
    pairs = rater_kappas(ratings)
    assert [p.judges for p in pairs] == [["a", "b"]]


def test_alpha_matches_krippendorffs_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal: 0.691
    nan = math.nan
    rows = [
        [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
        [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
        [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
    ]
    ratings = {
        f"r{i}": {f"u{j:02}": v for j, v in enumerate(row) if not math.isnan(v)}
        for i, row in enumerate(rows)
    }
    assert alpha(ratings, "nominal") == pytest.approx(0.691358, abs=1e-6)


def test_alpha_is_none_when_undefined() -> None:
    assert alpha({"a": {"u": 1.0}, "b": {"v": 1.0}}, "nominal") is None  # no unit rated twice
    assert alpha({"a": {"u": 1.0}, "b": {"u": 1.0}}, "ordinal") is None  # one value only
    assert alpha({"a": {"u": 1.0, "v": 0.0}, "b": {"u": 1.0, "v": 0.0}}, "nominal") == 1.0
