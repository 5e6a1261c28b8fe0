"""The JSON Schema a grader reply must match, built per call so item ids and count are forced."""

from __future__ import annotations

from collections.abc import Sequence

from rubricrl.backends.base import JsonSchema
from rubricrl.grading.score import DENSE_SCALE


def _entry(
    label: str | None, labels: Sequence[str], guidelines: int, dense: bool, chars: int
) -> JsonSchema:
    item_id: JsonSchema = {"const": label} if label is not None else {"enum": list(labels)}
    if dense:
        finding: JsonSchema = {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": DENSE_SCALE},
            "minItems": guidelines,
            "maxItems": guidelines,
        }
    else:
        finding = {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": guidelines},
            "maxItems": guidelines,
        }
    key = "scores" if dense else "violated"
    return {
        "type": "object",
        "properties": {
            "item_id": item_id,
            "rationale": {"type": "string", "maxLength": chars},
            key: finding,
        },
        "required": ["item_id", "rationale", key],
        "additionalProperties": False,
    }


def verdict_schema(
    labels: Sequence[str], guidelines: int, dense: bool = False, rationale_chars: int = 200
) -> JsonSchema:
    """`{"verdicts": [...]}` with exactly one entry per label, in order.

    `prefixItems` pins each entry's id (so no id can repeat); `items` repeats the constraint as an
    enum for engines that ignore `prefixItems`. The rationale comes first so the verdict follows it.
    """
    return {
        "type": "object",
        "properties": {
            "verdicts": {
                "type": "array",
                "prefixItems": [
                    _entry(label, labels, guidelines, dense, rationale_chars) for label in labels
                ],
                "items": _entry(None, labels, guidelines, dense, rationale_chars),
                "minItems": len(labels),
                "maxItems": len(labels),
            }
        },
        "required": ["verdicts"],
        "additionalProperties": False,
    }
