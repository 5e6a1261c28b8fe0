"""`rubricrl plan`: what it says it wrote; a samples file with no goals is refused before any
model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.jsonl import write_records
from tests.builders import widget_goal
from tests.fakes import ScriptedBackend
from tests.unit.cli.helpers import invoke


def test_plan_says_how_many_new_plans_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples, output = tmp_path / "samples.jsonl", tmp_path / "plans.jsonl"
    write_records(samples, [widget_goal(i) for i in range(2)])
    backend = ScriptedBackend("<solution>Measure it.</solution>", spec="fake:m")
    monkeypatch.setattr("rubricrl.evaluation.plan.load_backend", lambda spec, cache: backend)
    result = invoke("plan", str(samples), "-o", str(output), "--n", "2")
    assert (result.exit_code, result.stdout) == (0, f"wrote 4 new plans -> {output}\n")


def test_plan_refuses_an_empty_samples_file(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("", encoding="utf-8")
    result = invoke(
        "plan", str(samples), "--model", "hf:/no/such/model", "-o", str(tmp_path / "p.jsonl")
    )
    assert isinstance(result.exception, InputError)
    assert "no records" in str(result.exception)
    assert not (tmp_path / "p.jsonl").exists()
