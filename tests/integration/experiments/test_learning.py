"""The learning experiment at smoke size on the real models: every arm trains a step on the
embedded policy, saves an adapter that `hf:` loads, and is scored by the mpnet grader."""

from __future__ import annotations

import json
from pathlib import Path

from rubricrl.backends.registry import load_backend
from rubricrl.experiments.learning import ExperimentLayout, LearningConfig, run_experiment
from rubricrl.jsonl import load_records
from rubricrl.model_spec import ModelSpec
from rubricrl.records import Plan

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_smoke_run_trains_every_arm_and_scores_it_independently(tmp_path: Path) -> None:
    config = LearningConfig(
        train_goals=EXAMPLES / "probe_goals.jsonl",
        heldout=(EXAMPLES / "research_plan_gen.jsonl",),
        output_dir=tmp_path / "run",
        max_steps=1,
        num_generations=2,
        max_completion_length=12,
        plans_per_goal=1,
        eval_every=1,
    )
    (result,) = run_experiment(config).results
    layout = ExperimentLayout(config.output_dir)
    assert [model.model for model in result.models] == ["base", "rubric", "shuffled", "self"]
    assert all(model.score.goals == 4 and model.unscored == 0 for model in result.models)
    for arm in config.arms:
        adapter = layout.arm(arm) / "adapter_config.json"
        assert adapter.exists()
        plans = load_records(layout.plans("research_plan_gen", arm), Plan)
        assert {plan.model for plan in plans} == {f"hf:{layout.arm(arm)}"}
    saved = json.loads(layout.result.read_text(encoding="utf-8"))
    assert saved[0]["heldout"] == "research_plan_gen"
    assert layout.curves.stat().st_size > 0
    # the saved adapter is what `rubricrl plan --model hf:DIR` loads
    backend = load_backend(ModelSpec("hf", str(layout.arm("rubric"))), cache=False)
    assert backend.spec == f"hf:{layout.arm('rubric')}"
