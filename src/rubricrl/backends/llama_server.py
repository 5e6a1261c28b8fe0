"""A local llama.cpp OpenAI-compatible server (llama-cpp-python) for the embedded GGUF model.

The server reports the model as `EMBEDDED_NAME`, so its spec is
`openai:http://127.0.0.1:PORT/v1#SmolLM2-135M-Instruct` (this server accepts any model name).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from rubricrl.backends.embedded import EMBEDDED_NAME
from rubricrl.config import option
from rubricrl.errors import BackendError, InputError

SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context")
HOST = "127.0.0.1"


def require_server() -> None:
    """InputError unless llama-cpp-python and its server extras are installed."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(
            f"llama.cpp server unavailable ({', '.join(missing)} not installed):"
            " install it with `make setup-server`"
        )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def in_use(port: int) -> bool:
    """Whether something already listens on `port` (it would answer in our server's place)."""
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


@dataclass(frozen=True, kw_only=True)
class ServeConfig:
    """Serve a GGUF model over an OpenAI-compatible API on 127.0.0.1 until Ctrl-C."""

    port: int = option(8080, "Port to listen on (127.0.0.1 only).", min=1, max=65535)
    model: Path | None = option(None, "A GGUF file; default: the embedded model.", input="file")
    n_ctx: int = option(4096, "Context window in tokens.", min=1)
    threads: int | None = option(None, "CPU threads (default: llama.cpp's choice).", min=1)


class LlamaServer:
    """A `python -m llama_cpp.server` subprocess, ready once `/v1/models` answers."""

    def __init__(
        self,
        model: Path,
        port: int | None = None,
        n_ctx: int = 4096,
        alias: str = EMBEDDED_NAME,
        threads: int | None = None,
        log: Path | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        self.model = model
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.alias = alias
        self.threads = threads
        self.log = log
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    @property
    def spec(self) -> str:
        """The model spec that reaches this server."""
        return f"openai:{self.base_url}#{self.alias}"

    def command(self) -> list[str]:
        arguments = {"model": self.model, "model_alias": self.alias, "host": HOST}
        arguments |= {"port": self.port, "n_ctx": self.n_ctx}
        if self.threads:
            arguments["n_threads"] = self.threads
        flags = [part for key, value in arguments.items() for part in (f"--{key}", str(value))]
        return [sys.executable, "-m", "llama_cpp.server", *flags]

    def start(self) -> str:
        """Launch the server and wait until it answers; its base URL."""
        require_server()
        if in_use(self.port):
            raise InputError(f"port {self.port} on {HOST} is already in use")
        output: IO[Any] | None = self.log.open("ab") if self.log else None
        try:
            self.process = subprocess.Popen(
                self.command(),
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            if output:
                output.close()  # the child holds its own descriptor
        try:
            self._wait_ready(self.process)
        except BaseException:  # also Ctrl-C while waiting: never leave a server behind
            self.stop()
            raise
        return self.base_url

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        where = f"; see {self.log}" if self.log else ""
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BackendError(
                    f"llama.cpp server exited with code {process.returncode} on start{where}"
                )
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.2)
        raise BackendError(
            f"llama.cpp server did not answer within {self.startup_timeout:g} s{where}"
        )

    def wait(self) -> int:
        """Block until the server exits; its exit code."""
        if self.process is None:
            raise BackendError("llama.cpp server was never started")
        return self.process.wait()

    def stop(self) -> None:
        """Terminate the server, killing it if it does not exit within ten seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
