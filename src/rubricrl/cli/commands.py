"""The table of commands, in pipeline order: a Stage becomes a command through its config
parser; the few commands that are not stages (own parser, long-running servers) are functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

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
    training,
)
from rubricrl.cli import study as study_commands
from rubricrl.grading.stage import GradeConfig, grade
from rubricrl.stage import Stage

Command = Stage[Any, Any] | tuple[str, Callable[[typer.Context], None]]

COMMANDS: list[Command] = [
    ("ingest", ingest.ingest),
    ("extract", dataset.extract_command),
    ("import", dataset.import_command),
    ("split", dataset.split_command),
    ("export", dataset.export_command),
    ("grade-probe", grading.grade_probe),
    Stage("grade", GradeConfig, grade),
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

STUDY: list[Command] = [
    ("create", study_commands.create_command),
    ("invite", study_commands.invite_command),
    ("serve", study_commands.serve_command),
    ("export", study_commands.export_command),
]
