"""Prompt templates shipped as package data (Jinja2 files), each identified by a content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2

_ENVIRONMENT = jinja2.Environment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False
)


@dataclass(frozen=True)
class PromptTemplate:
    """A named template; `digest` changes whenever its text does, and is recorded in outputs."""

    name: str
    source: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:12]

    def render(self, **values: Any) -> str:
        return _ENVIRONMENT.from_string(self.source).render(**values).strip()


@cache
def load_prompt(name: str) -> PromptTemplate:
    """The template `prompts/<name>.j2` of this package."""
    source = files(__package__).joinpath(f"{name}.j2").read_text(encoding="utf-8")
    return PromptTemplate(name, source)
