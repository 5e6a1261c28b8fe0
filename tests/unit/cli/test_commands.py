"""The table of commands: unique names, and every stage a documented config and a run of it."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from rubricrl.cli.commands import COMMANDS, STUDY, Command
from rubricrl.stage import Stage

STAGES = [row for row in [*COMMANDS, *STUDY] if isinstance(row, Stage)]


def name(row: Command) -> str:
    return row.name if isinstance(row, Stage) else row[0]


@pytest.mark.parametrize("group", [COMMANDS, STUDY])
def test_names_are_unique_in_a_group(group: list[Command]) -> None:
    names = [name(row) for row in group]
    assert len(names) == len(set(names))


def test_nearly_every_command_is_a_stage() -> None:
    functions = sorted(name(row) for row in [*COMMANDS, *STUDY] if not isinstance(row, Stage))
    assert functions == ["serve", "serve", "train"]  # servers in the foreground; TRL's parser


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.name)
def test_a_stage_is_a_documented_config_and_a_run_that_needs_only_it(stage: Stage) -> None:
    assert dataclasses.is_dataclass(stage.config)
    assert (stage.config.__doc__ or "").strip()  # its help
    needed = [
        parameter
        for parameter in inspect.signature(stage.run).parameters.values()
        if parameter.default is inspect.Parameter.empty
    ]
    assert len(needed) == 1, f"{stage.name}: run needs {[p.name for p in needed]}"
