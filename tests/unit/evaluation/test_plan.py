"""`rubricrl plan` logic: the shared plan prompt, n plans per goal, resuming without duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.errors import BackendError, InputError
from rubricrl.evaluation.plan import PlanConfig, write_plans
from rubricrl.jsonl import load_records
from rubricrl.records import Plan
from tests.builders import widget_goal
from tests.fakes import ScriptedBackend


def echo_goal(conversation: Conversation) -> str:
    goal_line = conversation[-1]["content"].split("Research goal:\n", 1)[1].splitlines()[0]
    return f"<solution>{goal_line}</solution>"


def test_writes_n_plans_per_goal_and_resumes(tmp_path: Path) -> None:
    output = tmp_path / "plans.jsonl"
    samples = [widget_goal(i) for i in range(3)]
    backend = ScriptedBackend(echo_goal, spec="fake:m")
    config = PlanConfig(samples=tmp_path / "unused", output=output, n=2, batch_size=2)
    assert write_plans(samples[:2], backend, config, progress=False) == 4
    assert write_plans(samples, backend, config, progress=False) == 2
    plans = load_records(output, Plan)
    assert sorted(p.id for p in plans) == sorted(f"s{i}#{k}" for i in range(3) for k in range(2))
    assert all(p.model == "fake:m" and f"widget {p.sample_id[1:]} fails" in p.text for p in plans)
    assert len(backend.conversations) == 3  # the resumed run asked only for the missing goal


def test_a_goal_missing_one_of_its_plans_is_asked_again(tmp_path: Path) -> None:
    one = PlanConfig(samples=tmp_path / "unused", output=tmp_path / "plans.jsonl")
    backend = ScriptedBackend(echo_goal, spec="fake:m")
    assert write_plans([widget_goal(0)], backend, one, progress=False) == 1
    two = PlanConfig(samples=tmp_path / "unused", output=one.output, n=2)
    assert write_plans([widget_goal(0)], backend, two, progress=False) == 1  # only s0#1 is new
    assert sorted(p.id for p in load_records(one.output, Plan)) == ["s0#0", "s0#1"]


def test_rejects_a_zero_count(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--n"):
        config = PlanConfig(samples=tmp_path / "s.jsonl", output=tmp_path / "p.jsonl", n=0)
        write_plans([widget_goal(1)], ScriptedBackend(echo_goal), config)


def test_a_refused_goal_gets_no_plan_the_others_do_and_a_rerun_fills_it(tmp_path: Path) -> None:
    output = tmp_path / "plans.jsonl"
    samples = [widget_goal(i) for i in range(3)]
    refusing = ScriptedBackend(echo_goal, spec="fake:m", refuse_when=lambda c: "widget 1" in str(c))
    config = PlanConfig(samples=tmp_path / "unused", output=output, batch_size=2)
    with pytest.raises(BackendError) as caught:
        write_plans(samples, refusing, config, progress=False)
    message = str(caught.value)
    assert message.startswith("plan: 1 of 3 goals failed (s1: request refused: ")
    assert "2 new plans written" in message and "re-run to retry the failed goals" in message
    assert sorted(p.sample_id for p in load_records(output, Plan)) == ["s0", "s2"]
    healthy = ScriptedBackend(echo_goal, spec="fake:m")
    assert write_plans(samples, healthy, config, progress=False) == 1
    assert sorted(p.sample_id for p in load_records(output, Plan)) == ["s0", "s1", "s2"]


def test_a_systemic_failure_says_how_many_plans_were_kept(tmp_path: Path) -> None:
    output = tmp_path / "plans.jsonl"
    samples = [widget_goal(i) for i in range(3)]
    backend = ScriptedBackend(echo_goal, spec="fake:m", fail_on=2)
    config = PlanConfig(samples=tmp_path / "unused", output=output, batch_size=2)
    with pytest.raises(
        BackendError, match=r"; 2 of 3 goals done and kept in .*, re-run to resume$"
    ):
        write_plans(samples, backend, config, progress=False)
