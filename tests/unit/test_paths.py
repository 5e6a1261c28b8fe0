"""The state folder: RUBRICRL_HOME when set, created on first use."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.errors import InputError
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


def test_a_home_that_cannot_be_made_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("RUBRICRL_HOME", str(blocker / "state"))
    with pytest.raises(InputError, match=r"a-file/state: cannot create .* set RUBRICRL_HOME"):
        home()
