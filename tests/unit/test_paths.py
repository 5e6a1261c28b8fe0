"""The state folder: RUBRICRL_HOME when set, created on first use."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.paths import home


def test_home_follows_the_variable_and_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUBRICRL_HOME", str(tmp_path / "state" / "here"))
    assert home() == tmp_path / "state" / "here"
    assert home().is_dir()


def test_home_defaults_under_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUBRICRL_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert home() == tmp_path / ".cache" / "rubricrl"
    assert home().is_dir()
