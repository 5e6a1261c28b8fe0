"""`rubricrl study serve`: one uvicorn server per study file, on loopback unless told otherwise.

An exclusive lock on `<study>.lock` (holding the server's pid) keeps a second server off the file.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rubricrl.errors import InputError


@dataclass(frozen=True, kw_only=True)
class StudyServeConfig:
    """Serve a study to its annotators (personal links) and its admin (the dashboard)."""

    study: Path = field(metadata={"help": "Study file.", "positional": True, "input": "file"})
    host: str = field(
        default="127.0.0.1",
        metadata={"help": "Address to bind; 0.0.0.0 opens it to the network."},
    )
    port: int = field(default=8765, metadata={"help": "Port to listen on.", "min": 1})


def lock_path(study: Path) -> Path:
    return study.with_name(study.name + ".lock")


@contextmanager
def serving_lock(study: Path) -> Iterator[None]:
    """Hold the study's lock while serving; InputError naming the holder's pid when taken."""
    path = lock_path(study)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise InputError(
                f"{study}: already served by pid {holder} (lock {path}); stop it first"
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


def serve_study(config: StudyServeConfig, announce: Callable[[str], None]) -> None:
    """Run the server until stopped (Ctrl-C), announcing its address once the port is bound."""
    import uvicorn

    from rubricrl.study.app import create_app

    app = create_app(config.study)  # a bad file fails here, before the lock or the port
    with serving_lock(config.study):
        settings = uvicorn.Config(app, host=config.host, port=config.port, log_level="warning")
        listening = settings.bind_socket()
        listening.listen(settings.backlog)  # connections queue from here, so the news is true
        announce(f"serving {config.study} on http://{config.host}:{config.port} (Ctrl-C stops)")
        uvicorn.Server(settings).run(sockets=[listening])
