"""Shared integration fixtures: the embedded model folder, one uncached backend over it, and a
fault-injecting OpenAI-compatible server (tests/fault_server.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rubricrl.backends.embedded import embedded_model_dir
from rubricrl.backends.local import DTYPES, LocalBackend
from tests.fault_server import FaultServer


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The transformers folder of the embedded model (converted on first use)."""
    return embedded_model_dir()


@pytest.fixture(scope="session")
def embedded(model_dir: Path) -> LocalBackend:
    """The embedded model behind no response cache, so every call really generates."""
    return LocalBackend.from_pretrained(model_dir, spec="embedded")


@pytest.fixture(scope="session")
def embedded_in(model_dir: Path) -> Callable[[str], LocalBackend]:
    """The embedded model with forced numerics (`float32` or `bfloat16`), loaded once each."""
    loaded: dict[str, LocalBackend] = {}

    def load(dtype: str) -> LocalBackend:
        if dtype not in loaded:
            spec = f"embedded-{dtype}"
            loaded[dtype] = LocalBackend.from_pretrained(model_dir, dtype=DTYPES[dtype], spec=spec)
        return loaded[dtype]

    return load


@pytest.fixture(scope="session", params=["float32", "bfloat16"])
def embedded_each_dtype(
    embedded_in: Callable[[str], LocalBackend], request: pytest.FixtureRequest
) -> LocalBackend:
    """The embedded model in fp32 and in bf16, whichever this CPU computes natively, so a test
    passes on both numerics and no machine with the other CPU can surprise us."""
    return embedded_in(request.param)


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A started fault-injecting OpenAI-compatible server, healthy until the test sets
    `fault_server.faults`; its model spec is `fault_server.spec` (openai:http://127.0.0.1:PORT/v1#fake)."""
    with FaultServer() as server:
        yield server
