"""The command's streams: results on stdout, the rest on stderr, wide lines kept whole in a pipe."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from rubricrl.cli.streams import console, out
out.print("r" * 150)
console.print("progress")
"""


def test_results_go_to_stdout_whole_and_progress_to_stderr() -> None:
    piped = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    assert piped.stdout == "r" * 150 + "\n"  # not cut at a terminal's 80 columns
    assert piped.stderr == "progress\n"
