"""`rubricrl generate` against a real llama.cpp server, and a dead one."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rubricrl.backends.llama_server import LlamaServer, free_port

pytest_plugins = ["tests.integration.llama_fixtures"]
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed: run `make setup-server`",
    ),
]

RUBRICRL = str(Path(sys.executable).with_name("rubricrl"))


def test_cli_generate_prints_a_reply(llama_server: LlamaServer, tmp_path: Path) -> None:
    env = {**os.environ, "RUBRICRL_HOME": str(tmp_path)}
    command = [RUBRICRL, "generate", "--model", llama_server.spec, "--prompt", "Say hello."]
    done = subprocess.run(
        [*command, "--max-tokens", "16", "--seed", "1"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_cli_generate_reports_a_dead_server_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "RUBRICRL_HOME": str(tmp_path)}
    spec = f"openai:http://127.0.0.1:{free_port()}/v1#any"
    done = subprocess.run(
        [RUBRICRL, "generate", "--model", spec, "--prompt", "hi"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "cannot connect" in done.stderr and "connection refused" in done.stderr
