"""Kappa, alpha and AC1 on hand-computed and published examples."""

from __future__ import annotations

import math

import pytest

from rubricrl.study.agreement import ac1, alpha, pair_agreement, rater_kappas


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


def two_raters(table: dict[tuple[str, str], int]) -> dict[str, dict[str, str | None]]:
    """Two raters' labels from a contingency table (x's label, y's label) -> units."""
    pairs = [pair for pair, count in table.items() for _ in range(count)]
    return {
        "x": {f"u{i}": x for i, (x, _) in enumerate(pairs)},
        "y": {f"u{i}": y for i, (_, y) in enumerate(pairs)},
    }


# 100 goals, both approve 80, both reject 5, x approves alone 10, y approves alone 5:
# a skewed approval rate (x 90%, y 85%).
SKEWED = {("yes", "yes"): 80, ("no", "no"): 5, ("yes", "no"): 10, ("no", "yes"): 5}


def test_ac1_matches_a_hand_computed_two_rater_table() -> None:
    # pa = 0.85; pi_yes = (0.90 + 0.85) / 2 = 0.875; pe = 2 * 0.875 * 0.125 / (2 - 1) = 0.21875
    # AC1 = (0.85 - 0.21875) / (1 - 0.21875) = 0.808
    assert ac1(two_raters(SKEWED)) == pytest.approx(0.63125 / 0.78125)


def test_ac1_matches_a_hand_computed_three_rater_example_with_missing_labels() -> None:
    ratings: dict[str, dict[str, str | None]] = {
        "r1": {"u1": "A", "u2": "A", "u3": "B", "u4": "A"},
        "r2": {"u1": "A", "u2": "A", "u3": "B", "u4": None},
        "r3": {"u1": "A", "u2": "B"},
    }
    # units rated twice or more: u1 all agree (1), u2 A,A,B (2 of 6 ordered pairs), u3 B,B (1)
    # pa = (1 + 1/3 + 1) / 3 = 7/9; over all four units pi_A = (1 + 2/3 + 0 + 1) / 4 = 2/3
    # pe = 2 * (2/3) * (1/3) = 4/9; AC1 = (7/9 - 4/9) / (5/9) = 0.6
    assert ac1(ratings) == pytest.approx(0.6)


def test_ac1_equals_kappa_on_balanced_labels() -> None:
    # 50/50 marginals for both raters: pe is 0.5 under both kappa and AC1
    balanced = {("yes", "yes"): 40, ("no", "no"): 40, ("yes", "no"): 10, ("no", "yes"): 10}
    ratings = two_raters(balanced)
    kappa = pair_agreement(("x", "y"), ratings["x"], ratings["y"]).kappa
    assert kappa == pytest.approx(0.6)
    assert ac1(ratings) == pytest.approx(0.6)


def test_skewed_approval_deflates_kappa_but_not_ac1() -> None:
    ratings = two_raters(SKEWED)
    agreement = pair_agreement(("x", "y"), ratings["x"], ratings["y"])
    # kappa: pe = 0.9 * 0.85 + 0.1 * 0.15 = 0.78, kappa = (0.85 - 0.78) / 0.22 = 0.318
    assert agreement.percent == pytest.approx(0.85)
    assert agreement.kappa == pytest.approx(0.07 / 0.22)
    nominal = {
        r: {u: float(v == "yes") for u, v in labels.items()} for r, labels in ratings.items()
    }
    alpha_value = alpha(nominal, "nominal")
    assert alpha_value is not None and alpha_value < 0.35
    ac1_value = ac1(ratings)
    assert ac1_value is not None and ac1_value > 0.8


def test_ac1_is_undefined_without_two_categories_or_a_unit_rated_twice() -> None:
    assert ac1({"x": {"u1": "A"}, "y": {"u1": "A"}}) is None
    assert ac1({"x": {"u1": "A"}, "y": {"u2": "B"}}) is None
    assert ac1({"x": {"u1": "A"}, "y": {"u1": "A"}}, categories=["A", "B"]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not among the categories"):
        ac1({"x": {"u1": "C"}, "y": {"u1": "A"}}, categories=["A", "B"])
