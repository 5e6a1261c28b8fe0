"""Model spec strings: `embedded`, `hf:PATH_OR_ID`, `openai:BASE_URL#MODEL`, `embed[:PATH_OR_ID]`.

A bottom-level module (it imports only errors), so backends, grading, training and the CLI can
all share a spec without importing one another. A spec is parsed once, where the user's text
enters (the config parser, training/config.py), and passed down as a ModelSpec.
"""

from __future__ import annotations

from dataclasses import dataclass

from rubricrl.errors import InputError

SPEC_HELP = "embedded | hf:PATH_OR_ID | openai:BASE_URL#MODEL"
GRADER_SPEC_HELP = f"{SPEC_HELP} | embed | embed:PATH_OR_ID (coverage only, not the guidelines)"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: which provider, and its target (a model path, id, or server URL and model)."""

    provider: str
    target: str = ""
    model: str = ""

    @classmethod
    def parse(cls, spec: str) -> ModelSpec:
        if spec in ("embedded", "embed"):
            return cls(spec)
        provider, _, rest = spec.partition(":")
        if provider == "embed" and rest:
            return cls("embed", rest)
        if provider == "hf" and rest:
            return cls("hf", rest)
        if provider == "openai" and rest:
            url, _, model = rest.partition("#")
            if not url.startswith(("http://", "https://")) or not model:
                raise InputError(f"model spec {spec!r}: expected openai:BASE_URL#MODEL")
            return cls("openai", url.rstrip("/"), model)
        raise InputError(f"unknown model spec {spec!r}: expected {GRADER_SPEC_HELP}")

    def __str__(self) -> str:
        """The canonical spec text, which parses back to this spec."""
        if self.provider == "openai":
            return f"openai:{self.target}#{self.model}"
        return f"{self.provider}:{self.target}" if self.target else self.provider


EMBEDDED = ModelSpec("embedded")
EMBED = ModelSpec("embed")
