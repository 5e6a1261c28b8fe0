"""The coverage grader's threshold: the encoder's calibrated one unless the config sets one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from rubricrl.grading.coverage import THRESHOLDS, CoverageGrader, CoverageGrading
from tests.builders import plan, sample

ITEM = "The plan compares against a strong baseline."
SENTENCE = "We run the strongest published method beside ours."


class TwoTextEncoder:
    """ITEM and SENTENCE at cosine 0.43: covered at mpnet's 0.42, not at MiniLM's 0.45."""

    def __init__(self, name: str) -> None:
        self.name = name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = {ITEM: [1.0, 0.0], SENTENCE: [0.43, float(np.sqrt(1 - 0.43**2))]}
        return np.asarray([vectors[text] for text in texts])


@pytest.mark.parametrize(
    ("encoder", "threshold", "covered"),
    [("all-mpnet-base-v2", 0.42, True), ("all-MiniLM-L6-v2", 0.45, False), ("mine", 0.45, False)],
)
def test_an_unset_threshold_is_the_encoders_calibrated_one(
    encoder: str, threshold: float, covered: bool
) -> None:
    grader = CoverageGrader(TwoTextEncoder(encoder))
    [grade] = grader.grade_many([(sample(items=[ITEM]), plan(text=SENTENCE))])
    assert grader.threshold == threshold
    assert grader.name == f"embed:{encoder}|cos>={threshold:g}"
    assert grade.verdicts[0].satisfied is covered
    assert ((grade.verdicts[0].probability or 0.0) >= 0.5) is covered


def test_a_threshold_in_the_config_wins() -> None:
    grader = CoverageGrader(TwoTextEncoder("all-mpnet-base-v2"), CoverageGrading(threshold=0.5))
    [grade] = grader.grade_many([(sample(items=[ITEM]), plan(text=SENTENCE))])
    assert grader.threshold == 0.5 and grader.name.endswith("|cos>=0.5")
    assert not grade.verdicts[0].satisfied


def test_both_shipped_encoders_are_calibrated() -> None:
    assert THRESHOLDS == {"all-MiniLM-L6-v2": 0.45, "all-mpnet-base-v2": 0.42}
