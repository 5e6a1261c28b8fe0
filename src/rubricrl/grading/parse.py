"""Reading replies: the plan inside a policy reply, and the verdicts inside a grader's JSON."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rubricrl.errors import ParseError
from rubricrl.grading.score import DENSE_PASS, DENSE_SCALE
from rubricrl.records import Verdict

_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_SOLUTION = re.compile(r"<solution>(.*?)</solution>", re.DOTALL | re.IGNORECASE)
_OPEN_SOLUTION = re.compile(r"<solution>", re.IGNORECASE)


def _without_thinking(text: str) -> str:
    text = _THINKING.sub("", text)
    # A chat template may open <think> in the prompt, so a reply can hold only the closing tag.
    _, closed, after = text.rpartition("</think>")
    if closed:
        text = after
    # An unclosed <think> means the reply was cut off while thinking: nothing after it is a plan.
    return re.split(r"<think>", text, maxsplit=1, flags=re.IGNORECASE)[0]


def extract_plan(text: str) -> str:
    """The gradable plan: thinking removed, and only the last <solution> block where there is one."""
    text = _without_thinking(text)
    blocks = _SOLUTION.findall(text)
    if blocks:
        return str(blocks[-1]).strip()
    opened = list(_OPEN_SOLUTION.finditer(text))
    if opened:  # cut off inside the block: what was written of it is still the plan
        return text[opened[-1].end() :].strip()
    return text.strip()


def has_solution(text: str) -> bool:
    """Whether the reply holds a complete <solution>...</solution> block outside its thinking."""
    return bool(_SOLUTION.search(_without_thinking(text)))


def count_words(text: str) -> int:
    return len(text.split())


def _label(entry: Any) -> str:
    if not isinstance(entry, dict):
        raise ParseError("a verdict is not a JSON object")
    label = entry.get("item_id")
    if isinstance(label, int) and not isinstance(label, bool):
        label = str(label)
    if not isinstance(label, str):
        raise ParseError("a verdict has no item_id")
    return label


def _numbers(value: Any, field: str, low: int, high: int) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and low <= n <= high for n in value
    ):
        raise ParseError(f"{field} must be a list of integers from {low} to {high}")
    return value


def _verdict(
    label: str, entry: dict[str, Any], guidelines: int, dense: bool, chars: int
) -> Verdict:
    rationale = entry.get("rationale", "")
    rationale = rationale[:chars] if isinstance(rationale, str) else ""
    if dense:
        scores = _numbers(entry.get("scores"), f"scores of item {label}", 0, DENSE_SCALE)
        if len(scores) != guidelines:
            raise ParseError(f"item {label} has {len(scores)} scores, expected {guidelines}")
        violated = [k for k, s in enumerate(scores, start=1) if s < DENSE_PASS]
    else:
        scores = None
        violated = sorted(
            set(_numbers(entry.get("violated"), f"violated of item {label}", 1, guidelines))
        )
    return Verdict(
        item_id=label,
        satisfied=not violated,
        violated=violated,
        rationale=rationale,
        guideline_scores=scores,
    )


def parse_verdicts(
    reply: Any,
    labels: Sequence[str],
    guidelines: int,
    dense: bool = False,
    rationale_chars: int = 200,
) -> list[Verdict]:
    """One verdict per offered label, in the order offered, from a reply's JSON value;
    ParseError on any unknown, missing or repeated id."""
    entries = reply.get("verdicts") if isinstance(reply, dict) else None
    if not isinstance(entries, list):
        raise ParseError('"verdicts" is not a list')
    found: dict[str, Verdict] = {}
    for entry in entries:
        label = _label(entry)
        if label not in labels:
            raise ParseError(f"unknown item id {label!r}")
        if label in found:
            raise ParseError(f"item id {label!r} given twice")
        found[label] = _verdict(label, entry, guidelines, dense, rationale_chars)
    missing = [label for label in labels if label not in found]
    if missing:
        raise ParseError(f"no verdict for item(s) {', '.join(missing)}")
    return [found[label] for label in labels]
