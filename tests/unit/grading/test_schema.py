"""The grader reply schema: one entry per item, in order, ids pinned, rationale bounded."""

from __future__ import annotations

import jsonschema
import pytest

from rubricrl.grading.schema import verdict_schema


def entry(label: str, **fields: object) -> dict[str, object]:
    return {"item_id": label, "rationale": "ok", **fields}


def test_a_reply_with_every_item_in_order_is_valid() -> None:
    schema = verdict_schema(("1", "2"), guidelines=7, rationale_chars=10)
    jsonschema.validate({"verdicts": [entry("1", violated=[]), entry("2", violated=[3])]}, schema)


@pytest.mark.parametrize(
    "verdicts",
    [
        [entry("1", violated=[])],  # one item missing
        [entry("2", violated=[]), entry("1", violated=[])],  # out of order
        [entry("1", violated=[]), entry("1", violated=[])],  # an id repeated
        [entry("1", violated=[8]), entry("2", violated=[])],  # guideline 8 of 7
        [entry("1", violated=[], rationale="x" * 11), entry("2", violated=[])],  # too long
        [entry("1", violated=[], extra=1), entry("2", violated=[])],  # unknown field
    ],
)
def test_replies_breaking_the_shape_are_invalid(verdicts: list[dict[str, object]]) -> None:
    schema = verdict_schema(("1", "2"), guidelines=7, rationale_chars=10)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"verdicts": verdicts}, schema)


def test_dense_entries_score_every_guideline_from_zero_to_three() -> None:
    schema = verdict_schema(("1",), guidelines=3, dense=True)
    jsonschema.validate({"verdicts": [entry("1", scores=[0, 3, 2])]}, schema)
    for scores in ([0, 3], [0, 3, 4]):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"verdicts": [entry("1", scores=scores)]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"verdicts": [entry("1", violated=[])]}, schema)
