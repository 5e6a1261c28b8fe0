"""Records: frozen rows that refuse unknown fields, and the text they show people."""

from __future__ import annotations

import pydantic
import pytest

from rubricrl.records import Plan, ScoreSummary
from tests import builders


def test_records_are_frozen_and_strict() -> None:
    plan = builders.plan()
    with pytest.raises(pydantic.ValidationError):
        plan.text = "changed"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="extra"):
        Plan(id="p", sample_id="s", model="m", text="t", score=1)  # type: ignore[call-arg]
    assert Plan.model_validate_json(plan.model_dump_json()) == plan


def test_full_text_shows_title_abstract_and_sections() -> None:
    paper = builders.paper(title="Tides", abstract="Why.", sections={"Methods": "We looked."})
    assert paper.full_text() == "# Tides\n\nAbstract: Why.\n\n## Methods\nWe looked."


def test_a_score_summary_line_with_and_without_a_score() -> None:
    scored = ScoreSummary(
        grader="g", scored=3, unscored=1, mean=0.5, ci_low=0.25, ci_high=0.75, item_satisfaction={}
    )
    assert not scored.failed and scored.render() == (
        "mean rubric score 0.500 [95% CI 0.250, 0.750] over 3 plans (1 unscored), grader g"
    )
    empty = scored.model_copy(update={"scored": 0, "mean": None, "ci_low": None, "ci_high": None})
    assert empty.failed and empty.render() == "no plan could be scored (1 unscored), grader g"
