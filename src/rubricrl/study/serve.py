"""`rubricrl study serve`: one uvicorn server per study file, on loopback unless told otherwise.

The study's write lock (holding the server's pid) keeps a second server off the file, whatever
name (symlink, hard link) it is reached by.

On a public host, put a TLS reverse proxy (Caddy, nginx) in front and serve on loopback:
`rubricrl study serve s.sqlite --url https://study.example.org`, with the proxy passing the
Host header through and setting X-Forwarded-Proto/X-Forwarded-For. uvicorn believes those
headers only from `--forwarded-allow-ips` (uvicorn's option of that name; 127.0.0.1 by default,
the proxy's address if it runs elsewhere). The app accepts only the `--url` host (and loopback
names) in Host, and only the `--url` origin in a form's Origin.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.writelock import WriteLock

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

SERVED = "already served by pid {pid}; stop it first"
"""What a second server on the same study is told."""


@dataclass(frozen=True, kw_only=True)
class StudyServeConfig:
    """Serve a study to its annotators (personal links) and its admin (the dashboard)."""

    study: Path = option(help="Study file.", positional=True, input="file")
    host: str = option("127.0.0.1", "Address to bind; 0.0.0.0 opens it to the network.")
    port: int = option(8765, "Port to listen on.", min=1, max=65535)
    url: str = option(
        "", "Public address annotators open (http(s)://...); default http://HOST:PORT."
    )
    forwarded_allow_ips: str = option(
        "127.0.0.1", "Proxies whose X-Forwarded-* headers are believed (comma-separated, or *)."
    )


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def public_url(config: StudyServeConfig) -> str:
    """The address annotators open; a one-line InputError if it is not an http(s) URL."""
    if not config.url and not is_loopback(config.host):
        raise InputError(f"--host {config.host}: give --url, the address annotators will open")
    url = config.url or f"http://{config.host}:{config.port}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--url {url}: must be an http:// or https:// address")
    return url


def lock_study(study: Path) -> WriteLock:
    """The one-server lock, on the file itself: its real path's lock file, and a flock on it."""
    return WriteLock(study, SERVED, hold_target=True)


def server_config(app: FastAPI, config: StudyServeConfig) -> uvicorn.Config:
    """uvicorn's settings: X-Forwarded-* believed only from `forwarded_allow_ips`."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=config.forwarded_allow_ips,
    )


def serve_study(config: StudyServeConfig, announce: Callable[[str], None]) -> None:
    """Run the server until stopped (Ctrl-C), announcing its address once the port is bound."""
    import uvicorn

    from rubricrl.study.app import create_app

    url = public_url(config)
    app = create_app(config.study, url)  # a bad file fails here, before the lock or the port
    lock = lock_study(config.study)
    try:
        settings = server_config(app, config)
        listening = settings.bind_socket()
        listening.listen(settings.backlog)  # connections queue from here, so the news is true
        announce(f"serving {config.study} on http://{config.host}:{config.port} (Ctrl-C stops)")
        if not is_loopback(config.host) and urlsplit(url).scheme != "https":
            announce(f"warning: {url} has no TLS; links and votes cross the network in clear")
        uvicorn.Server(settings).run(sockets=[listening])
    finally:
        lock.release()
