"""Third-party noise is filtered where the CLI starts, and `--debug` keeps it."""

from __future__ import annotations

import os
import warnings

import pytest

from rubricrl.cli import _options
from rubricrl.cli.quiet import ENVIRONMENT, WARNINGS

# what the libraries print, word for word, one per entry of WARNINGS
SEEN = [
    "'pin_memory' argument is set as true but no accelerator is found, then device pinned memory"
    " won't be used.",
    "`is_gradient_checkpointing` is deprecated and will be removed in v6. Use"
    " `is_activation_checkpointing` instead.",
]


def shown_after_start(monkeypatch: pytest.MonkeyPatch, debug: bool) -> list[str]:
    """The warnings still shown once the CLI's start-up ran: the known ones and one other."""
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        _options(debug=debug)
        for message, (_, category) in zip(SEEN, WARNINGS, strict=True):
            warnings.warn(message, category, stacklevel=2)
        warnings.warn("a warning rubricrl does not know", UserWarning, stacklevel=2)
    return [str(warning.message) for warning in shown]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*ENVIRONMENT, "RUBRICRL_DEBUG"]:
        monkeypatch.setenv(name, "")  # recorded, so what the start-up sets is undone after
        monkeypatch.delenv(name)


def test_known_noise_is_filtered_and_other_warnings_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    assert shown_after_start(monkeypatch, debug=False) == ["a warning rubricrl does not know"]
    assert all(os.environ[name] == value for name, value in ENVIRONMENT.items())


@pytest.mark.parametrize("by", ["flag", "variable"])
def test_debug_keeps_everything(monkeypatch: pytest.MonkeyPatch, by: str) -> None:
    if by == "variable":
        monkeypatch.setenv("RUBRICRL_DEBUG", "1")
    assert shown_after_start(monkeypatch, debug=by == "flag") == [
        *SEEN,
        "a warning rubricrl does not know",
    ]
    assert not set(ENVIRONMENT) & set(os.environ)


def test_a_variable_the_user_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    name = next(iter(ENVIRONMENT))
    monkeypatch.setenv(name, "kept")
    shown_after_start(monkeypatch, debug=False)
    assert os.environ[name] == "kept"
