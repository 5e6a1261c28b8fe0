"""`rubricrl demo`: the main job end to end on the embedded model."""

from __future__ import annotations

import typer

from rubricrl.cli.streams import console
from rubricrl.config import parse
from rubricrl.demo import DemoConfig, run_demo


def demo(ctx: typer.Context) -> None:
    """Ingest, extract, split, train, plan, score, compare and report, resuming where it stopped."""
    run_demo(parse(DemoConfig, ctx.args, "rubricrl demo"), console)
