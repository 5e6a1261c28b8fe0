"""`rubricrl grade` (generated and probability verdicts) and `grade-probe` against the fault
server in every mode: transient faults are retried to a full file, a refused or unreadable row
is graded unscored with the reason, a hung or refusing server stops the run in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.jsonl import read_records
from rubricrl.records import Grade
from tests.integration.cli import faults
from tests.integration.cli.faults import MODES, Run, Stage


def grade(*extra: str) -> Stage:
    def build(folder: Path, spec: str) -> list[str]:
        samples, plans = faults.write_goals(folder), faults.write_plans(folder)
        command = [str(samples), str(plans), "-o", "grades.jsonl", "--grader", spec]
        return ["grade", *command, "--cache", "false", *extra]

    return build


def probe(folder: Path, spec: str) -> list[str]:
    samples = faults.write_goals(folder)
    command = [str(samples), "--grader", spec, "--writer", spec, "--cache", "false"]
    return ["grade-probe", *command, "--resamples", "10", "-o", "probe.jsonl"]


STAGES = {"grade": grade(), "grade-prob": grade("--verdicts", "prob"), "grade-probe": probe}
CASES = [(stage, mode) for stage in STAGES for mode in MODES]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    return faults.run_all(STAGES, tmp_path_factory.mktemp("grading-faults"))


@pytest.mark.parametrize(("stage", "mode"), CASES)
def test_the_run_is_clean(runs: dict[tuple[str, str], Run], stage: str, mode: str) -> None:
    runs[stage, mode].check_clean()


@pytest.mark.parametrize("stage", ["grade", "grade-prob"])
@pytest.mark.parametrize("mode", MODES)
def test_grade_keeps_the_good_rows(runs: dict[tuple[str, str], Run], stage: str, mode: str) -> None:
    run = runs[stage, mode]
    grades = {g.sample_id: g for g in read_records(run.folder / "grades.jsonl", Grade)}
    if run.expected == "stop":
        assert run.returncode == 2 and "re-run to resume" in run.error_lines[0]
        assert "0 of 3 plans done and kept" in run.error_lines[0]
        assert not grades
        assert len(run.requests) <= 8 * 4  # the concurrent first wave, each within its tries
        return
    assert run.returncode == 0, run.stderr
    assert sorted(grades) == ["s0", "s1", "s2"]
    assert grades["s0"].score is not None and grades["s2"].score is not None
    if run.expected == "recover":
        assert grades["s1"].score is not None
    else:
        assert grades["s1"].score is None and grades["s1"].reason
        expected = {"400": "HTTP 400", "invalid": "logprobs" if stage == "grade-prob" else "schema"}
        assert expected[mode] in grades["s1"].reason


@pytest.mark.parametrize("mode", MODES)
def test_the_probe_reports_what_it_could(runs: dict[tuple[str, str], Run], mode: str) -> None:
    run = runs["grade-probe", mode]
    if run.expected == "stop":
        assert run.returncode == 2
        return
    assert run.returncode == 0, run.stderr
    (result,) = [json.loads(line) for line in (run.folder / "probe.jsonl").read_text().splitlines()]
    if run.expected == "recover":
        assert result["unscored_share"] == 0
    else:  # the marked goal's plans are unscored, the other goals' are graded
        assert 0 < result["unscored_share"] < 1
