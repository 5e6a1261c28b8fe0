"""The seven general guidelines every rubric item is checked against (text in prompts/guidelines.j2)."""

from __future__ import annotations

from rubricrl.prompts import load_prompt

GUIDELINES: tuple[str, ...] = tuple(
    line.strip() for line in load_prompt("guidelines").source.splitlines() if line.strip()
)
"""Guideline `k` (1-based, as the grader names it) is `GUIDELINES[k - 1]`."""
