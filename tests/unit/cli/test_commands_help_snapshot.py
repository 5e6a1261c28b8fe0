"""Every command's `--help` still lists the options it listed before the stage kernel landed.

`help_snapshot.json` was taken from the CLI before the change; options may be added, never lost.
Run this file as a script (`python -m tests.unit.cli.test_commands_help_snapshot`) to print a fresh snapshot (for an intended removal only).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.unit.cli.helpers import invoke

SNAPSHOT = Path(__file__).with_name("help_snapshot.json")
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w.-]*)")
COMMANDS = re.compile(r"^\s*│?\s*([a-z][a-z-]+)\s{2,}", re.MULTILINE)


def _options(*command: str) -> list[str]:
    result = invoke(*command, "--help")
    assert result.exit_code == 0, (command, result.output)
    return sorted(set(OPTION.findall(result.output)))


def _command_names(*group: str) -> list[str]:
    """The commands a group's `--help` lists (typer draws them in a box)."""
    output = invoke(*group, "--help").output
    listing = output[output.index("Commands") :]
    return [name for name in COMMANDS.findall(listing) if name != "commands"]


def current_help() -> dict[str, list[str]]:
    """{command line: its options} for the app, every command and every study command."""
    snapshot = {"": _command_names()}
    for name in snapshot[""]:
        if name == "study":
            snapshot["study"] = _command_names("study")
            for sub in snapshot["study"]:
                snapshot[f"study {sub}"] = _options("study", sub)
        else:
            snapshot[name] = _options(name)
    return snapshot


def test_every_command_and_option_of_the_snapshot_is_still_there() -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = current_help()
    for command, listed in before.items():
        assert command in now, f"`rubricrl {command}` is gone"
        missing = sorted(set(listed) - set(now[command]))
        assert not missing, f"`rubricrl {command} --help` lost {missing}"


if __name__ == "__main__":
    print(json.dumps(current_help(), indent=1, sort_keys=True))
