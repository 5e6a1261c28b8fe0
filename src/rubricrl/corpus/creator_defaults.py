"""The sample creator's settings per kind of model: the one place budgets, sampling and penalties
are chosen when the user leaves them unset.

A small in-process model (`embedded`, `hf:`) gets the settings the demo found necessary: short
excerpts and budgets keep a CPU run to minutes, and a frequency penalty stops a 135M creator
repeating itself into the quality filters. A server (`openai:`) keeps paper-scale budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from rubricrl.backends.registry import ModelSpec
from rubricrl.corpus.select import SelectionRules


@dataclass(frozen=True)
class CreatorSettings:
    """The per-model settings of `extract`: a kind of model's defaults, or what a run uses."""

    insights: int
    draft_items: int
    max_paper_chars: int
    max_goal_chars: int
    max_item_chars: int
    max_reference_chars: int
    max_tokens: int
    temperature: float
    frequency_penalty: float
    rules: SelectionRules


SMALL_LOCAL = CreatorSettings(
    insights=2,
    draft_items=6,
    max_paper_chars=3000,
    max_goal_chars=600,
    max_item_chars=140,
    max_reference_chars=700,
    max_tokens=800,
    temperature=0.5,
    frequency_penalty=0.5,
    rules=SelectionRules(keep_items=5, min_items=3, min_item_words=3),
)
SERVER = CreatorSettings(
    insights=3,
    draft_items=15,
    max_paper_chars=12000,
    max_goal_chars=900,
    max_item_chars=200,
    max_reference_chars=4000,
    max_tokens=2048,
    temperature=0.3,
    frequency_penalty=0.0,
    rules=SelectionRules(),
)


def creator_defaults(spec: str) -> CreatorSettings:
    """The defaults for the creator named by `spec`: a server's, else a small local model's."""
    return SERVER if ModelSpec.parse(spec).provider == "openai" else SMALL_LOCAL


def resolve_settings(spec: str, given: Mapping[str, Any]) -> CreatorSettings:
    """The settings a run on `spec` uses: each one `given` (not None) wins over the default."""
    chosen = {
        f.name: given[f.name] for f in fields(CreatorSettings) if given.get(f.name) is not None
    }
    return replace(creator_defaults(spec), **chosen)
