"""Running the `rubricrl` command in tests: in a subprocess (as a user would) or in-process."""

from __future__ import annotations

import subprocess
import sys

from click.testing import Result
from typer.testing import CliRunner

from rubricrl.cli import _register_commands, app


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`rubricrl ARGS` in a fresh interpreter, through `main`, which turns errors into one line."""
    command = [sys.executable, "-c", "from rubricrl.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def invoke(*args: str) -> Result:
    """`rubricrl ARGS` in this process (typer's runner): errors stay on `result.exception`."""
    _register_commands()
    return CliRunner().invoke(app, list(args))
