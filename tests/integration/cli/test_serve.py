"""`rubricrl serve`: prints a spec that works, and stops its server on Ctrl-C."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.llama_server import free_port
from rubricrl.backends.openai_compat import OpenAIBackend
from tests.integration.cli.faults import RUBRICRL, interruptible

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed: run `make setup-server`",
    ),
]


def test_cli_serve_prints_a_working_spec(tmp_path: Path) -> None:
    port = free_port()
    serving = subprocess.Popen(
        [RUBRICRL, "serve", "--port", str(port), "--n-ctx", "1024"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=interruptible,
        text=True,
    )
    try:
        assert serving.stderr is not None
        said = ""
        for line in serving.stderr:  # the spec comes once the server answers; EOF if it exits
            said += line
            if "use --model " in line:
                break
        assert "use --model " in said, said
        threading.Thread(target=serving.stderr.read, daemon=True).start()  # the pipe never fills
        spec = said.split("use --model ")[1].split()[0]
        assert spec == f"openai:http://127.0.0.1:{port}/v1#SmolLM2-135M-Instruct"
        url, model = spec.removeprefix("openai:").split("#")
        reply = OpenAIBackend(url, model).batch([user("Hi!")], Sampling(max_tokens=8))
        assert reply[0].text.strip()
    finally:
        serving.send_signal(signal.SIGINT)  # as Ctrl-C would: the command stops its server
        assert serving.wait(timeout=30) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/models")
