"""Progress: a bar on a terminal, one plain line per unit of work in a log, nothing when off."""

from __future__ import annotations

import pytest

from rubricrl import progress
from rubricrl.progress import progress_bar, step_progress


def test_a_terminal_gets_the_bar(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("grade", total=5, done=2, terminal=True) as bar:
        bar.advance(2, status="p7 scored")
    shown = capsys.readouterr().err
    assert "grade" in shown and "4/5" in shown and "━" in shown


def test_a_log_gets_one_plain_line_per_unit_of_work(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("extract", total=3, done=1) as bar:  # capsys: stderr is no terminal
        bar.log("2 of 3 papers to do")
        bar.note("insights of 2 papers")
        bar.advance(1, status="2 samples")
        bar.advance(1)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "extract: 2 of 3 papers to do",
        "extract: insights of 2 papers (0 s in)",
        "extract: 2/3 (2 samples, 0 s)",
        "extract: 3/3 (0 s)",
    ]


@pytest.mark.parametrize("terminal", [True, False])
def test_a_disabled_display_prints_nothing(
    terminal: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    with progress_bar("grade", total=3, enabled=False, terminal=terminal) as bar:
        bar.advance()
        bar.note("busy")
    assert capsys.readouterr().err == ""


def test_steps_inside_a_unit_are_a_line_under_the_terminal_bar_until_done() -> None:
    with progress_bar("grade", total=2, terminal=True) as bar:
        display = progress._live[-1]
        with step_progress("hf:model", total=3) as step:
            step()
            step()
            lines = {task.description: task.completed for task in display.tasks}
            assert lines == {"grade": 0, "hf:model": 2}
        bar.advance(2)
        assert [task.description for task in display.tasks] == ["grade"]  # transient


def test_steps_show_nothing_without_a_bar_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with progress_bar("grade", total=1) as bar:  # a log: the stage's own line says enough
        with step_progress("hf:model", total=3) as step:
            step()
        bar.advance()
    assert "hf:model" not in capsys.readouterr().err
