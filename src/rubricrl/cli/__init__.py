"""The `rubricrl` command: one thin typer sub-module per stage, each calling one library function."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from rubricrl.errors import RubricRLError

app = typer.Typer(
    help="Train AI co-scientists with rubric rewards mined from papers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    if debug:
        os.environ["RUBRICRL_DEBUG"] = "1"


def _register_commands() -> None:
    """Import every command module; each adds its commands to `app` when imported."""
    from rubricrl.cli import (  # noqa: F401
        dataset,
        demo,
        evaluation,
        generate,
        grading,
        ingest,
        score,
        serve,
        training,
    )


def main() -> None:
    """Entry point: run the app; a RubricRLError becomes one line on stderr and exit code 2."""
    _register_commands()
    try:
        app()
    except RubricRLError as error:
        if os.environ.get("RUBRICRL_DEBUG"):
            raise
        console.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
        sys.exit(2)
