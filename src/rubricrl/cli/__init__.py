"""The `rubricrl` command: the table of stages (cli/commands.py) as typer commands, and one-line errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.markup import escape

from rubricrl.backends.failures import redact
from rubricrl.cli.quiet import quiet_third_parties
from rubricrl.cli.streams import console, out
from rubricrl.config import parse
from rubricrl.errors import RubricRLError
from rubricrl.stage import Stage

app = typer.Typer(
    help="Train AI co-scientists with rubric rewards mined from papers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
study_app = typer.Typer(
    help="Blind pairwise preference and rubric approval by experts, on one SQLite file.",
    no_args_is_help=True,
)
PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@app.callback()
def _options(
    debug: bool = typer.Option(
        False, "--debug", help="Show full tracebacks on errors, and third-party warnings."
    ),
) -> None:
    if debug:
        os.environ["RUBRICRL_DEBUG"] = "1"
    if not os.environ.get("RUBRICRL_DEBUG"):
        quiet_third_parties()


def stage_command(
    stage: Stage[Any, Any], group: str = "rubricrl"
) -> Callable[[typer.Context], None]:
    """A stage as a command of `group`: every flag, `--help` included, goes to its config parser
    (rubricrl.config); the summary renders itself on stdout, and a failed one exits 1."""

    def command(ctx: typer.Context) -> None:
        summary = stage.run(parse(stage.config, ctx.args, f"{group} {stage.name}"))
        out.print(summary.render(), markup=False, highlight=False)
        if summary.failed:
            raise typer.Exit(1)

    command.__doc__ = stage.config.__doc__
    return command


def _register_commands() -> None:
    """Add every command to `app` once, in pipeline order (the order `--help` lists them)."""
    if app.registered_commands:
        return
    from rubricrl.cli.commands import COMMANDS, STUDY

    for group, prog, rows in ((app, "rubricrl", COMMANDS), (study_app, "rubricrl study", STUDY)):
        for row in rows:
            name, function = (row.name, stage_command(row, prog)) if isinstance(row, Stage) else row
            group.command(name, context_settings=PASSTHROUGH, add_help_option=False)(function)
    app.add_typer(study_app, name="study")


def main() -> None:
    """Entry point: run the app; a RubricRLError becomes one line on stderr and exit code 2."""
    _register_commands()
    try:
        app()
    except KeyboardInterrupt:
        # every output being written has already said what it keeps (JsonlWriter)
        console.print(
            "interrupted: rows already written are kept; run the same command again to resume",
            highlight=False,
        )
        sys.exit(130)
    except (RubricRLError, OSError) as error:
        if os.environ.get("RUBRICRL_DEBUG"):
            raise
        console.print(f"[red]error:[/red] {escape(redact(_one_line(error)))}", highlight=False)
        sys.exit(2)


def _one_line(error: BaseException) -> str:
    """A RubricRLError's message, or an OS error as `file: reason` (a disk full, a permission)."""
    if isinstance(error, OSError) and error.strerror:
        where = error.filename if error.filename is not None else "rubricrl"
        return f"{where}: {error.strerror}"
    return " ".join(str(error).split()) or type(error).__name__
