"""The backend contract (tests/contract.py) on the scripted backend, bare and behind the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.backends.cache import CachedBackend, ResponseCache
from tests.contract import BackendContract
from tests.fakes import ScriptedBackend


def second(conversation: Conversation) -> bool:
    return conversation[-1]["content"] == "second"


class TestScriptedBackend(BackendContract):
    @pytest.fixture
    def backend(self) -> ScriptedBackend:
        return ScriptedBackend()

    @pytest.fixture
    def broken_backend(self) -> ScriptedBackend:
        return ScriptedBackend(fail_when=second)


class TestCachedBackend(BackendContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> CachedBackend:
        return CachedBackend(ScriptedBackend(), ResponseCache(tmp_path / "responses.sqlite"))

    @pytest.fixture
    def broken_backend(self, tmp_path: Path) -> CachedBackend:
        failing = ScriptedBackend(fail_when=second)
        return CachedBackend(failing, ResponseCache(tmp_path / "responses.sqlite"))
