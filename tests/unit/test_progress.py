"""The progress bar: counts from work an earlier run did, advances, and can be switched off."""

from __future__ import annotations

import pytest

from rubricrl.progress import progress_bar


def test_the_bar_counts_done_and_advanced_work(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("grade", total=5, done=2) as bar:
        bar.advance(2, status="p7 scored")
    shown = capsys.readouterr().err
    assert "grade" in shown and "4/5" in shown


def test_a_disabled_bar_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("grade", total=3, enabled=False) as bar:
        bar.advance()
    assert capsys.readouterr().err == ""
