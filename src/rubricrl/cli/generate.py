"""`rubricrl generate`: try any backend by hand."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rubricrl.backends import Sampling, load_backend
from rubricrl.backends.base import user
from rubricrl.errors import InputError


def _read_schema(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None


def generate(
    prompt: str = typer.Option(..., help="The user message."),
    model: str = typer.Option(
        "embedded", help="Model spec: embedded | hf:PATH | openai:URL#MODEL."
    ),
    json_schema: Path | None = typer.Option(None, help="JSON Schema file the reply must satisfy."),
    system: str | None = typer.Option(None, help="Optional system message."),
    max_tokens: int = typer.Option(256, help="Most tokens to generate."),
    temperature: float = typer.Option(0.7, help="Sampling temperature (0 = greedy)."),
    top_p: float = typer.Option(1.0, help="Nucleus sampling mass."),
    n: int = typer.Option(1, help="Replies to sample."),
    seed: int | None = typer.Option(None, help="Sampling seed."),
    no_cache: bool = typer.Option(False, help="Bypass the response cache."),
) -> None:
    """Send one prompt to a model and print the reply(ies)."""
    schema = _read_schema(json_schema)
    backend = load_backend(model, cache=not no_cache)
    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens, n=n, seed=seed)
    completion = backend.batch([user(prompt, system)], sampling, schema)[0]
    for text in completion.texts:
        typer.echo(text)
