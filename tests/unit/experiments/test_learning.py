"""The learning experiment's orchestration, on scripted models and a word-overlap grader: which
arms train, what is resumed, and what is refused."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.errors import InputError
from rubricrl.experiments import learning
from rubricrl.experiments.learning import ExperimentLayout, LearningConfig, run_experiment
from rubricrl.grading.grader import GradingTarget, plan_grade
from rubricrl.model_spec import EMBEDDED, ModelSpec
from rubricrl.records import Grade, Plan
from tests.fakes import ScriptedBackend


class GoalWordsGrader:
    """Scores the share of the goal's words the plan repeats."""

    name = "goal-words"

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        grades = []
        for target, plan in pairs:
            words = set(target.goal.lower().split())
            share = len(words & set(plan.text.lower().split())) / len(words)
            grades.append(plan_grade(self.name, target, plan, [], share))
        return grades


def goal_file(path: Path, goals: int, paper: str) -> Path:
    rows = [
        {
            "Goal": f"Study {paper} topic{n} with care number {n}",
            "Rubric": [f"The plan measures topic{n}.", "The plan has a control."],
            "Reference solution": "They did it.",
            "article_id": paper,
            "q_id": n,
        }
        for n in range(goals)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def repeat_goal(conversation: Conversation) -> str:
    """An arm's plan: the goal repeated (the prompt quotes it)."""
    return conversation[-1]["content"]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Scripted models (base says nothing useful, arms repeat the goal) and a record of work."""
    done: dict[str, Any] = {"trained": [], "loaded": []}

    def load_backend(spec: ModelSpec, cache: bool = True) -> ScriptedBackend:
        done["loaded"].append(spec)
        return ScriptedBackend(
            "an unrelated reply" if spec == EMBEDDED else repeat_goal, spec=str(spec)
        )

    def train_one(
        config: LearningConfig, arm: str, layout: ExperimentLayout, heldout: Path
    ) -> None:
        done["trained"].append(arm)
        folder = layout.arm(arm)
        folder.mkdir(parents=True)
        (folder / "adapter_config.json").write_text("{}", encoding="utf-8")
        (folder / "metrics.jsonl").write_text(
            json.dumps({"step": 1, "reward_mean": 0.1}) + "\n", encoding="utf-8"
        )

    monkeypatch.setattr(learning, "load_backend", load_backend)
    monkeypatch.setattr(learning, "load_grader", lambda *args, **kw: GoalWordsGrader())
    done["train"] = train_one
    done["config"] = LearningConfig(
        train_goals=goal_file(tmp_path / "train.jsonl", 4, "p1"),
        heldout=(goal_file(tmp_path / "heldout.jsonl", 6, "p2"),),
        output_dir=tmp_path / "run",
        plans_per_goal=2,
        specificity_rubrics=2,
    )
    return done


def test_arms_train_once_and_beat_base_on_held_out_goals(world: dict[str, Any]) -> None:
    config = world["config"]
    (result,) = run_experiment(config, world["train"]).results
    assert world["trained"] == ["rubric", "shuffled", "self"]
    scores = {model.model: model.score.value for model in result.models}
    assert scores["base"] == 0.0 and scores["rubric"] > 0.5
    gain = next(
        d
        for d in result.differences
        if (d.first, d.second, d.measure) == ("rubric", "base", "score")
    )
    assert gain.difference.low > 0
    layout = ExperimentLayout(config.output_dir)
    assert layout.result.exists() and layout.curves.stat().st_size > 0
    assert "rubric - shuffled" in layout.table.read_text(encoding="utf-8")
    plans = layout.plans("heldout", "rubric").read_text(encoding="utf-8").splitlines()
    assert len(plans) == 6 * config.plans_per_goal


def test_a_rerun_trains_and_plans_nothing_again(world: dict[str, Any]) -> None:
    run_experiment(world["config"], world["train"])
    world["trained"].clear()
    world["loaded"].clear()
    run_experiment(world["config"], world["train"])
    assert world["trained"] == [] and world["loaded"] == []


def test_more_held_out_goals_are_scored_without_retraining(
    world: dict[str, Any], tmp_path: Path
) -> None:
    config = world["config"]
    run_experiment(config, world["train"])
    world["trained"].clear()
    extra = goal_file(tmp_path / "mine.jsonl", 3, "p3")
    results = run_experiment(
        replace(config, heldout=(*config.heldout, extra)), world["train"]
    ).results
    assert world["trained"] == []
    assert [r.heldout for r in results] == ["heldout", "mine"]
    assert all(model.score.goals == 3 for model in results[1].models)


def test_other_training_settings_are_refused_in_the_same_folder(world: dict[str, Any]) -> None:
    run_experiment(world["config"], world["train"])
    with pytest.raises(InputError, match=r"other settings \(learning_rate\)"):
        run_experiment(replace(world["config"], learning_rate=1.0), world["train"])


def test_held_out_files_need_distinct_names(world: dict[str, Any], tmp_path: Path) -> None:
    config = world["config"]
    twin = tmp_path / "other"
    twin.mkdir()
    copy = goal_file(twin / "heldout.jsonl", 2, "p4")
    with pytest.raises(InputError, match="share a name"):
        run_experiment(replace(config, heldout=(*config.heldout, copy)), world["train"])
