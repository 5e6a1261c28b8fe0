"""A real `rubricrl study serve` in a subprocess on a free loopback port, for integration tests."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SERVE = [sys.executable, "-c", "from rubricrl.cli import main; main()", "study", "serve"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(study: Path, port: int, timeout: float = 30.0) -> subprocess.Popen[str]:
    """Start the server and wait until it answers; fails with its stderr if it exits first."""
    process = subprocess.Popen(
        [*SERVE, str(study), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/study.css", timeout=1.0)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start in time")


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
