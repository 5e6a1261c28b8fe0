"""`rubricrl score` against the fault server in every mode: the good rows are scored, a refused
or unreadable row is unscored with the reason, a hung or refusing server stops it in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.jsonl import read_records
from rubricrl.records import Grade
from tests.integration.cli import faults
from tests.integration.cli.faults import MODES, Run


def score(folder: Path, spec: str) -> list[str]:
    samples, plans = faults.write_goals(folder), faults.write_plans(folder)
    command = [str(samples), str(plans), "-o", "grades.jsonl", "--grader", spec]
    return ["score", *command, "--cache", "false", "--bootstrap", "10"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    return faults.run_all({"score": score}, tmp_path_factory.mktemp("score-faults"))


@pytest.mark.parametrize("mode", MODES)
def test_score_keeps_the_good_rows(runs: dict[tuple[str, str], Run], mode: str) -> None:
    run = runs["score", mode]
    run.check_clean()
    grades = {g.sample_id: g for g in read_records(run.folder / "grades.jsonl", Grade)}
    if run.expected == "stop":
        assert run.returncode == 2 and "re-run to resume" in run.error_lines[0]
        assert not grades
        return
    assert run.returncode == 0, run.stderr
    summary = json.loads((run.folder / "grades.summary.json").read_text())
    unscored = 0 if run.expected == "recover" else 1
    assert (summary["scored"], summary["unscored"]) == (3 - unscored, unscored)
    assert (grades["s1"].score is None) == bool(unscored)
