"""A two-way probability verdict: normalised over its two choices, unscored on too little mass."""

from __future__ import annotations

import pytest

from rubricrl.backends.base import ChoiceProbs
from rubricrl.grading.probability import YES_NO, first_choice_probability


def test_normalises_over_the_two_choices() -> None:
    probs = ChoiceProbs({"Yes": 0.3, "No": 0.1})
    assert first_choice_probability(probs, YES_NO, min_mass=0.2) == pytest.approx(0.75)
    assert first_choice_probability(probs, ("No", "Yes"), min_mass=0.2) == pytest.approx(0.25)


def test_a_missing_choice_counts_zero() -> None:
    assert first_choice_probability(ChoiceProbs({"Yes": 0.6}), YES_NO, 0.5) == 1.0


@pytest.mark.parametrize("mass", [0.0, 0.49])
def test_too_little_mass_is_a_reason_not_a_number(mass: float) -> None:
    reason = first_choice_probability(ChoiceProbs({"Yes": mass / 2, "No": mass / 2}), YES_NO, 0.5)
    assert isinstance(reason, str) and f"only {mass:.3f}" in reason and "'Yes'/'No'" in reason
