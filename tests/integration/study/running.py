"""A real `rubricrl study serve` in a subprocess on a free loopback port, for integration tests."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVE = [sys.executable, "-c", "from rubricrl.cli import main; main()", "study", "serve"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(study: Path, port: int) -> subprocess.Popen[str]:
    """Start the server; returns once it says it listens, or fails with its stderr if it exits."""
    process = subprocess.Popen(
        [*SERVE, str(study), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    said = process.stdout.readline()  # the announcement comes once the port is bound
    if not said.startswith("serving "):
        process.kill()
        raise AssertionError(f"server exited: {said}{process.stderr.read()}")
    return process


@contextmanager
def running(study: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """(the server process, its base URL); stopped on exit."""
    port = free_port()
    process = start(study, port)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(timeout=10)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)
