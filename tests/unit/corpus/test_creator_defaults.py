"""Per-model creator settings: which kind of model gets which defaults, and flags winning."""

from __future__ import annotations

from dataclasses import fields

from rubricrl.corpus.creator_defaults import (
    SERVER,
    SMALL_LOCAL,
    RulesGiven,
    creator_defaults,
    resolve_settings,
)
from rubricrl.corpus.select import SelectionRules
from rubricrl.model_spec import ModelSpec


def test_local_models_get_the_small_budgets_and_servers_the_paper_scale_ones() -> None:
    assert creator_defaults(ModelSpec.parse("embedded")) == SMALL_LOCAL
    assert creator_defaults(ModelSpec.parse("hf:some/model")) == SMALL_LOCAL
    assert creator_defaults(ModelSpec.parse("openai:http://localhost:8000/v1#m")) == SERVER
    assert SMALL_LOCAL.frequency_penalty > 0  # the 135M creator repeats itself without one
    assert SMALL_LOCAL.max_tokens < SERVER.max_tokens
    assert SMALL_LOCAL.max_paper_chars < SERVER.max_paper_chars


def test_a_given_setting_wins_and_none_means_the_default() -> None:
    settings = resolve_settings(
        ModelSpec.parse("embedded"), {"max_tokens": 300, "insights": None, "seed": 4}
    )
    assert settings.max_tokens == 300
    assert settings.insights == SMALL_LOCAL.insights
    assert settings.rules == SMALL_LOCAL.rules


def test_a_given_rule_overrides_only_itself() -> None:
    given = {"rules": RulesGiven(keep_items=4)}
    rules = resolve_settings(ModelSpec.parse("embedded"), given).rules
    assert rules.keep_items == 4
    assert rules.min_items == SMALL_LOCAL.rules.min_items != SelectionRules().min_items
    assert (
        resolve_settings(ModelSpec.parse("openai:http://h/v1#m"), given).rules.min_items
        == SERVER.rules.min_items
    )


def test_every_selection_rule_can_be_given() -> None:
    assert [f.name for f in fields(RulesGiven)] == [f.name for f in fields(SelectionRules)]
