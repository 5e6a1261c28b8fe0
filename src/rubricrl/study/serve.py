"""`rubricrl study serve`: one uvicorn server per study file, on loopback unless told otherwise.

The study's write lock (holding the server's pid) keeps a second server off the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rubricrl.config import option
from rubricrl.writelock import WriteLock

SERVED = "already served by pid {pid}; stop it first"
"""What a second server on the same study is told."""


@dataclass(frozen=True, kw_only=True)
class StudyServeConfig:
    """Serve a study to its annotators (personal links) and its admin (the dashboard)."""

    study: Path = option(help="Study file.", positional=True, input="file")
    host: str = option("127.0.0.1", "Address to bind; 0.0.0.0 opens it to the network.")
    port: int = option(8765, "Port to listen on.", min=1)


def serve_study(config: StudyServeConfig, announce: Callable[[str], None]) -> None:
    """Run the server until stopped (Ctrl-C), announcing its address once the port is bound."""
    import uvicorn

    from rubricrl.study.app import create_app

    app = create_app(config.study)  # a bad file fails here, before the lock or the port
    lock = WriteLock(config.study, SERVED)
    try:
        settings = uvicorn.Config(app, host=config.host, port=config.port, log_level="warning")
        listening = settings.bind_socket()
        listening.listen(settings.backlog)  # connections queue from here, so the news is true
        announce(f"serving {config.study} on http://{config.host}:{config.port} (Ctrl-C stops)")
        uvicorn.Server(settings).run(sockets=[listening])
    finally:
        lock.release()
