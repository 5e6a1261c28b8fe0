"""`rubricrl generate`: one prompt to any backend, to try a model by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator, SchemaError

from rubricrl.backends.base import JsonSchema, Sampling, user
from rubricrl.backends.registry import load_backend
from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.model_spec import EMBEDDED, SPEC_HELP, ModelSpec


@dataclass(frozen=True, kw_only=True)
class GenerateConfig:
    """Send one prompt to a model and print the reply or replies."""

    prompt: str = option(help="The user message.")
    model: ModelSpec = option(EMBEDDED, f"Model spec: {SPEC_HELP}.")
    json_schema: Path | None = option(
        None, "JSON Schema file the reply must satisfy.", input="file"
    )
    system: str | None = option(None, "Optional system message.")
    max_tokens: int = option(256, "Most tokens to generate.", min=1)
    temperature: float = option(0.7, "Sampling temperature (0 = greedy).", min=0.0)
    top_p: float = option(1.0, "Nucleus sampling mass.", min=0.0, max=1.0)
    n: int = option(1, "Replies to sample.", min=1)
    seed: int | None = option(None, "Sampling seed.")
    cache: bool = option(True, "Keep replies in the response cache.")


def read_schema(path: Path | None) -> JsonSchema | None:
    """The JSON Schema in `path` (None for no path); InputError naming the file if unreadable."""
    if path is None:
        return None
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid JSON (not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(schema, dict):
        raise InputError(f"{path}: a JSON Schema is an object")
    try:
        # checked here, before any model loads: a backend handed a broken schema replies null
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path) or "top level"
        raise InputError(f"{path}: not a valid JSON Schema ({error.message} at {where})") from None
    return schema


@dataclass(frozen=True)
class Replies:
    """A model's replies to one prompt, one after another on the terminal."""

    texts: list[str]
    failed = False

    def render(self) -> str:
        return "\n".join(self.texts)


def generate(config: GenerateConfig) -> Replies:
    """The model's replies to the prompt."""
    schema = read_schema(config.json_schema)
    backend = load_backend(config.model, cache=config.cache)
    sampling = Sampling(
        temperature=config.temperature,
        top_p=config.top_p,
        max_tokens=config.max_tokens,
        n=config.n,
        seed=config.seed,
    )
    return Replies(backend.batch([user(config.prompt, config.system)], sampling, schema)[0].texts)
