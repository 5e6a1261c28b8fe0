"""`rubricrl compare` (generated and probability verdicts) against the fault server in every
mode: transient faults are retried to every judgment, a refused or unreadable judgment is
unscored with the reason, a hung or refusing server stops it in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.jsonl import read_records
from rubricrl.records import Comparison
from tests.integration.cli import faults
from tests.integration.cli.faults import MODES, Run, Stage


def compare(*extra: str) -> Stage:
    def build(folder: Path, spec: str) -> list[str]:
        goals = faults.write_goals(folder)
        a = faults.write_plans(folder, "model-a", "a.jsonl")
        b = faults.write_plans(folder, "model-b", "b.jsonl")
        command = [str(a), str(b), "--goals", str(goals), "-o", "comparisons.jsonl"]
        return ["compare", *command, "--judge", spec, "--bootstrap", "10", *extra]

    return build


STAGES = {"compare": compare(), "compare-prob": compare("--verdicts", "prob")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    return faults.run_all(STAGES, tmp_path_factory.mktemp("compare-faults"))


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("mode", MODES)
def test_compare_keeps_the_good_rows(
    runs: dict[tuple[str, str], Run], stage: str, mode: str
) -> None:
    run = runs[stage, mode]
    run.check_clean()
    path = run.folder / "comparisons.jsonl"
    found = {c.sample_id: c for c in read_records(path, Comparison)} if path.exists() else {}
    if run.expected == "stop":
        assert run.returncode == 2 and "re-run to resume" in run.error_lines[0]
        assert not found
        return
    assert run.returncode == 0, run.stderr
    assert sorted(found) == ["s0", "s1", "s2"]
    for sample_id, comparison in found.items():
        refused = sample_id == "s1" and run.expected == "row"
        assert len(comparison.judgments) == 2
        assert all((j.preferred is None) == refused for j in comparison.judgments)
        if refused:
            expected = "logprobs" if stage == "compare-prob" else "schema"
            expected = "HTTP 400" if mode == "400" else expected
            assert all(expected in (j.reason or "") for j in comparison.judgments)
