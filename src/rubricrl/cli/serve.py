"""`rubricrl serve`: run a llama.cpp OpenAI-compatible server in the foreground."""

from __future__ import annotations

import typer

from rubricrl.backends.embedded import EMBEDDED_NAME, embedded_gguf
from rubricrl.backends.llama_server import LlamaServer, ServeConfig
from rubricrl.cli.streams import console
from rubricrl.config import parse
from rubricrl.errors import BackendError


def serve(ctx: typer.Context) -> None:
    """Serve a GGUF model over an OpenAI-compatible API until Ctrl-C."""
    config = parse(ServeConfig, ctx.args, "rubricrl serve")
    model, port, n_ctx, threads = config.model, config.port, config.n_ctx, config.threads
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
