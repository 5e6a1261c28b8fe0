"""`rubricrl generate`: try any backend by hand."""

from __future__ import annotations

import typer

from rubricrl.backends.generate import GenerateConfig
from rubricrl.backends.generate import generate as generate_replies
from rubricrl.cli import out
from rubricrl.config import parse


def generate(ctx: typer.Context) -> None:
    """Send one prompt to a model and print the reply(ies)."""
    for text in generate_replies(parse(GenerateConfig, ctx.args, "rubricrl generate")):
        out.print(text, markup=False, highlight=False)
