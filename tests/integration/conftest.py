"""Shared integration fixtures: the embedded model folder and one uncached backend over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.backends.embedded import embedded_model_dir
from rubricrl.backends.local import LocalBackend


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The transformers folder of the embedded model (converted on first use)."""
    return embedded_model_dir()


@pytest.fixture(scope="session")
def embedded(model_dir: Path) -> LocalBackend:
    """The embedded model behind no response cache, so every call really generates."""
    return LocalBackend.from_pretrained(model_dir, spec="embedded")
