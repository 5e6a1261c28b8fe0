"""Real llama.cpp OpenAI-compatible servers for integration tests.

Load with `pytest_plugins = ["tests.integration.llama_fixtures"]` in the test modules that use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rubricrl.backends.embedded import embedded_gguf
from rubricrl.backends.llama_server import LlamaServer


def start_server(folder: Path) -> LlamaServer:
    """The embedded model served on a free port, logging to `folder/server.log`."""
    server = LlamaServer(embedded_gguf(), n_ctx=2048, log=folder / "server.log")
    server.start()
    return server


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """One server shared by every test that asks for it (none of them stops it)."""
    server = start_server(tmp_path_factory.mktemp("llama"))
    yield server
    server.stop()


@pytest.fixture
def doomed_llama_server(tmp_path: Path) -> Iterator[LlamaServer]:
    """A server of the test's own, which the test may kill."""
    server = start_server(tmp_path)
    yield server
    server.stop()
