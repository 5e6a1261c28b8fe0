"""`rubricrl demo`: its options reach the demo, which refuses a missing papers folder at once."""

from __future__ import annotations

from pathlib import Path

from rubricrl.errors import InputError
from tests.unit.cli.helpers import invoke


def test_a_missing_papers_folder_is_refused_before_any_stage(tmp_path: Path) -> None:
    papers, run = tmp_path / "no-papers", tmp_path / "run"
    result = invoke("demo", "--papers", str(papers), "--run-dir", str(run), "--train-steps", "2")
    assert isinstance(result.exception, InputError)
    assert f"{papers}: demo papers not found" in str(result.exception)
    assert not run.exists()
