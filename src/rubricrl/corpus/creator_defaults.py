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

from rubricrl.config import option
from rubricrl.corpus.select import SelectionRules
from rubricrl.model_spec import ModelSpec


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
    papers_per_batch: int
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
    # 8 papers' 16 drafts fill one micro-batch: a CPU decode step costs about as much for 16 rows
    # as for 8, so the drafts of two batches of 4 would take twice as long.
    papers_per_batch=8,
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
    papers_per_batch=8,  # 24 requests, 8 in flight at a time (OpenAIBackend's concurrency)
    rules=SelectionRules(),
)


def _unset(text: str, local: object, server: object) -> str:
    return f"{text.rstrip('.')}; unset: {local} for a local creator, {server} for a server."


def _rule(name: str) -> Any:
    """A field of RulesGiven: unset by default, with SelectionRules' help and bound."""
    base = next(f for f in fields(SelectionRules) if f.name == name)
    local, server = getattr(SMALL_LOCAL.rules, name), getattr(SERVER.rules, name)
    bounds = {key: value for key, value in base.metadata.items() if key != "help"}
    return option(None, _unset(base.metadata["help"], local, server), **bounds)


@dataclass(frozen=True)
class RulesGiven:
    """Selection rules given by flag or file; each one left unset is the creator's
    (SelectionRules' fields, one for one)."""

    keep_items: int | None = _rule("keep_items")
    min_items: int | None = _rule("min_items")
    min_item_words: int | None = _rule("min_item_words")
    max_item_words: int | None = _rule("max_item_words")
    duplicate_threshold: float | None = _rule("duplicate_threshold")
    leakage_threshold: float | None = _rule("leakage_threshold")
    min_goal_words: int | None = _rule("min_goal_words")


def per_model_help(name: str, text: str) -> str:
    """`text` and what the setting `name` is when unset, for each kind of creator."""
    return _unset(text, getattr(SMALL_LOCAL, name), getattr(SERVER, name))


def creator_defaults(spec: ModelSpec) -> CreatorSettings:
    """The defaults for the creator named by `spec`: a server's, else a small local model's."""
    return SERVER if spec.provider == "openai" else SMALL_LOCAL


def _given(values: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    return {name: values[name] for name in names if values.get(name) is not None}


def resolve_settings(spec: ModelSpec, given: Mapping[str, Any]) -> CreatorSettings:
    """The settings a run on `spec` uses: each one `given` (not None) wins over the default;
    `given["rules"]`, a RulesGiven, overrides the default rules one by one."""
    defaults = creator_defaults(spec)
    chosen = _given(given, [f.name for f in fields(CreatorSettings) if f.name != "rules"])
    rules = given.get("rules")
    if rules is not None:
        chosen["rules"] = replace(
            defaults.rules, **_given(vars(rules), [f.name for f in fields(RulesGiven)])
        )
    return replace(defaults, **chosen)
