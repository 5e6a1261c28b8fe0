"""`rubricrl experiment`: repeatable arms and held-out files, one-line errors before any model loads."""

from __future__ import annotations

from pathlib import Path

from rubricrl.errors import InputError
from tests.unit.cli.helpers import invoke

GOALS = Path("examples/probe_goals.jsonl")


def test_an_unknown_arm_is_refused(tmp_path: Path) -> None:
    result = invoke(
        "experiment", "--train-goals", str(GOALS), "--heldout", str(GOALS), "--arms", "entropy"
    )
    assert isinstance(result.exception, InputError)
    assert "--arms" in str(result.exception) and "entropy" in str(result.exception)


def test_a_missing_held_out_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "mine.jsonl"
    result = invoke(
        "experiment",
        "--train-goals",
        str(GOALS),
        "--heldout",
        str(GOALS),
        "--heldout",
        str(missing),
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert isinstance(result.exception, InputError)
    assert str(missing) in str(result.exception) and "--heldout" in str(result.exception)
    assert not (tmp_path / "run").exists()


def test_a_goal_file_that_is_not_goals_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "train.jsonl"
    broken.write_text('{"Goal": "g"}\n', encoding="utf-8")
    result = invoke(
        "experiment",
        "--train-goals",
        str(broken),
        "--heldout",
        str(GOALS),
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert isinstance(result.exception, InputError)
    assert str(broken) in str(result.exception) and "row 1" in str(result.exception)
