"""Probability verdicts: a two-way answer read from next-token probabilities, not generated text.

The answer is read at a plain-text position right after the question (never inside JSON, where
probabilities saturate) and normalised over the two choices; too little mass on them means the
model meant to say something else, and the verdict is unscored with that reason.
"""

from __future__ import annotations

from rubricrl.backends.base import ChoiceProbs

YES_NO = ("Yes", "No")


def first_choice_probability(
    probs: ChoiceProbs, choices: tuple[str, str], min_mass: float
) -> float | str:
    """P(first) / (P(first) + P(second)), or the reason it cannot be trusted."""
    first, second = (probs.probs.get(choice, 0.0) for choice in choices)
    mass = first + second
    if mass <= 0.0 or mass < min_mass:
        return (
            f"only {mass:.3f} of the next-token probability is on {choices[0]!r}/{choices[1]!r} "
            f"(at least {min_mass} needed)"
        )
    return first / mass
