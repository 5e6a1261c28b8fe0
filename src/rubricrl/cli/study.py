"""`rubricrl study serve`: the one study command that is not a stage (a server that runs until
stopped, announcing its address once listening)."""

from __future__ import annotations

import typer

from rubricrl.cli.streams import out
from rubricrl.config import parse
from rubricrl.study.serve import StudyServeConfig, serve_study


def serve_command(ctx: typer.Context) -> None:
    """Serve a study to its annotators and its admin (127.0.0.1 unless --host says otherwise)."""
    config = parse(StudyServeConfig, ctx.args, "rubricrl study serve")
    serve_study(config, lambda line: out.print(line, markup=False, highlight=False))
