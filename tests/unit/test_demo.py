"""The demo's set-up: defaults that point into the repository, and a missing corpus refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from rubricrl.demo import DemoConfig, run_demo
from rubricrl.errors import InputError
from tests import REPO


def test_the_default_inputs_are_in_the_repository() -> None:
    config = DemoConfig()
    assert (REPO / config.papers).is_dir()
    assert (REPO / config.released).is_file()
    assert config.num_generations >= 2  # GRPO needs a group to compare within


def test_a_missing_papers_folder_is_refused_before_any_stage(tmp_path: Path) -> None:
    config = DemoConfig(papers=tmp_path / "absent", run_dir=tmp_path / "run")
    with pytest.raises(InputError, match="demo papers not found"):
        run_demo(config, Console(quiet=True))
    assert not config.run_dir.exists()
