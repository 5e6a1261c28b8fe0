"""Prompt templates: shipped as package data, loaded once, strict about missing values."""

from __future__ import annotations

from importlib.resources import files

import jinja2
import pytest

from rubricrl.prompts import PromptTemplate, load_prompt


def test_every_shipped_template_loads_and_is_cached() -> None:
    names = sorted(
        p.name.removesuffix(".j2")
        for p in files("rubricrl.prompts").iterdir()
        if p.name.endswith(".j2")
    )
    assert {"grade", "grade_system", "judge", "plan"} <= set(names)
    for name in names:
        assert load_prompt(name).source.strip()
        assert load_prompt(name) is load_prompt(name)


def test_the_digest_follows_the_text() -> None:
    one = PromptTemplate("t", "Hello {{ name }}")
    assert one.digest == PromptTemplate("other name", "Hello {{ name }}").digest
    assert one.digest != PromptTemplate("t", "Hello, {{ name }}").digest
    assert len(one.digest) == 12


def test_rendering_strips_and_refuses_missing_values() -> None:
    template = PromptTemplate("t", "\n  Hello {{ name }}!  \n")
    assert template.render(name="<b>you</b>") == "Hello <b>you</b>!"  # no HTML escaping
    with pytest.raises(jinja2.UndefinedError):
        template.render()
