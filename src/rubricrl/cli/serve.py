"""`rubricrl serve`: run a llama.cpp OpenAI-compatible server in the foreground."""

from __future__ import annotations

from pathlib import Path

import typer

from rubricrl.backends.embedded import EMBEDDED_NAME, embedded_gguf
from rubricrl.backends.llama_server import LlamaServer
from rubricrl.cli import console
from rubricrl.errors import BackendError, InputError


def serve(
    port: int = typer.Option(8080, help="Port to listen on (127.0.0.1 only)."),
    model: Path | None = typer.Option(None, help="A GGUF file; default: the embedded model."),
    n_ctx: int = typer.Option(4096, help="Context window in tokens."),
    threads: int | None = typer.Option(None, help="CPU threads (default: llama.cpp's choice)."),
) -> None:
    """Serve a GGUF model over an OpenAI-compatible API until Ctrl-C."""
    if model is not None and not model.is_file():
        raise InputError(f"{model}: no such GGUF file")
    alias = model.stem if model else EMBEDDED_NAME
    server = LlamaServer(model or embedded_gguf(), port, n_ctx, alias=alias, threads=threads)
    with server:
        console.print(f"serving {alias} at {server.base_url}; use --model {server.spec}")
        try:
            code = server.wait()
        except KeyboardInterrupt:
            return
    if code != 0:
        raise BackendError(f"llama.cpp server stopped with exit code {code}")
