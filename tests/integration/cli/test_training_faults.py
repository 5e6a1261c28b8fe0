"""`rubricrl plan` against the fault server in every mode: transient faults are retried to every
plan, a goal the server refuses gets no plan (the others do) and a re-run fills it in, a hung or
refusing server stops it in one line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rubricrl.jsonl import read_records
from rubricrl.records import Plan
from tests import REPO
from tests.fault_server import Fault, FaultServer
from tests.integration.cli import faults
from tests.integration.cli.faults import ENV, MODES, RUBRICRL, Run


def plan(folder: Path, spec: str) -> list[str]:
    samples = faults.write_goals(folder)
    return ["plan", str(samples), "-o", "plans.jsonl", "--model", spec, "--cache", "false"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    return faults.run_all({"plan": plan}, tmp_path_factory.mktemp("plan-faults"))


def plans_of(path: Path) -> dict[str, Plan]:
    return {p.sample_id: p for p in read_records(path, Plan)} if path.exists() else {}


@pytest.mark.parametrize("mode", MODES)
def test_plan_writes_the_good_rows(runs: dict[tuple[str, str], Run], mode: str) -> None:
    run = runs["plan", mode]
    run.check_clean()
    plans = plans_of(run.folder / "plans.jsonl")
    if run.expected == "stop":
        assert run.returncode == 2 and "0 of 3 goals done and kept" in run.error_lines[0]
        assert "re-run to resume" in run.error_lines[0] and not plans
    elif mode == "400":
        assert run.returncode == 2
        assert "1 of 3 goals failed (s1: request refused" in run.error_lines[0]
        assert "re-run to retry" in run.error_lines[0]
        assert sorted(plans) == ["s0", "s2"]
    else:  # free text has no schema to break: an odd reply is still a plan
        assert run.returncode == 0, run.stderr
        assert sorted(plans) == ["s0", "s1", "s2"]


def plan_run(folder: Path, server: FaultServer) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV, "RUBRICRL_HOME": str(folder / "home")}
    env["PYTHONPATH"] = str(REPO / "src")
    command = [RUBRICRL, *plan(folder, server.spec)]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder, timeout=60)


def test_a_rerun_plans_the_refused_goal_and_matches_a_clean_run(tmp_path: Path) -> None:
    clean, faulty = tmp_path / "clean", tmp_path / "faulty"
    clean.mkdir()
    faulty.mkdir()
    with FaultServer(model="fake") as server:
        assert plan_run(clean, server).returncode == 0
        server.faults = [Fault("400", marker=faults.MARKER)]
        assert plan_run(faulty, server).returncode == 2
        server.faults = []
        rerun = plan_run(faulty, server)
    assert rerun.returncode == 0, rerun.stderr
    assert len(server.chat_requests) == 3 + 3 + 1  # the re-run asked for the refused goal only
    assert faults.MARKER in server.chat_requests[-1].text
    clean_plans = plans_of(clean / "plans.jsonl")
    assert plans_of(faulty / "plans.jsonl") == clean_plans and len(clean_plans) == 3
