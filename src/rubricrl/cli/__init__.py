"""The `rubricrl` command: one thin typer sub-module per stage, each calling one library function."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import typer
from rich.console import Console
from rich.markup import escape

from rubricrl.backends.failures import redact
from rubricrl.cli.quiet import quiet_third_parties
from rubricrl.errors import RubricRLError

app = typer.Typer(
    help="Train AI co-scientists with rubric rewards mined from papers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
# Progress, warnings and errors on stderr, results on stdout; tables keep their columns when
# the stream is a file or a pipe.
console = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 160)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


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


def _register_commands() -> None:
    """Add every command to `app` once, in pipeline order (the order `--help` lists them)."""
    if app.registered_commands:
        return
    from rubricrl.cli import (
        dataset,
        demo,
        evaluation,
        experiment,
        generate,
        grading,
        ingest,
        score,
        serve,
        study,
        training,
    )

    commands: list[tuple[str, Callable[..., None]]] = [
        ("ingest", ingest.ingest),
        ("extract", dataset.extract_command),
        ("import", dataset.import_command),
        ("split", dataset.split_command),
        ("export", dataset.export_command),
        ("grade-probe", grading.grade_probe),
        ("grade", grading.grade),
        ("grade-eval", grading.grade_eval),
        ("train", training.train),
        ("plan", training.plan),
        ("score", score.score),
        ("compare", evaluation.compare_command),
        ("report", evaluation.report_command),
        ("experiment", experiment.experiment),
        ("demo", demo.demo),
        ("generate", generate.generate),
        ("serve", serve.serve),
    ]
    for name, function in commands:
        # Every flag, --help included, goes to the command's config parser (rubricrl.config).
        app.command(name, context_settings=PASSTHROUGH, add_help_option=False)(function)
    app.add_typer(study.app, name="study")


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
