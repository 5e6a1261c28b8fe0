"""The backend contract (tests/contract.py) on the real backends: the embedded model in process
(marker `model`) and the openai backend on a llama.cpp server (marker `server`)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
import torch

from rubricrl.backends.llama_server import LlamaServer, free_port
from rubricrl.backends.local import LocalBackend
from rubricrl.backends.openai_compat import OpenAIBackend
from tests.contract import BackendContract

pytest_plugins = ["tests.integration.llama_fixtures"]


def device_lost(_module: torch.nn.Module, _inputs: Any) -> None:
    raise RuntimeError("device lost (scripted)")


@pytest.mark.model
class TestLocalBackend(BackendContract):
    @pytest.fixture
    def backend(self, embedded: LocalBackend) -> LocalBackend:
        return embedded

    @pytest.fixture
    def broken_backend(self, embedded: LocalBackend) -> Iterator[LocalBackend]:
        """The embedded model whose every forward pass fails, as a lost device would."""
        hook = embedded.model.get_input_embeddings().register_forward_pre_hook(device_lost)
        yield embedded
        hook.remove()


@pytest.mark.server
@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None,
    reason="llama-cpp-python is not installed: run `make setup-server`",
)
class TestOpenAIBackendOnLlamaServer(BackendContract):
    @pytest.fixture
    def backend(self, llama_server: LlamaServer) -> OpenAIBackend:
        return OpenAIBackend(llama_server.base_url, llama_server.alias)

    @pytest.fixture
    def broken_backend(self) -> OpenAIBackend:
        """An openai backend whose server is gone: nothing listens on its port."""
        return OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", "any")
