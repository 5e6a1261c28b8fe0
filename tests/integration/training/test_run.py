"""GRPO on the embedded model with the real frozen self-grader: weights move, logs survive a kill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForCausalLM, TrainerCallback

from rubricrl.backends.embedded import embedded_model_dir
from rubricrl.jsonl import write_records
from rubricrl.training.config import parse_train_args
from rubricrl.training.run import build_run, train
from tests.builders import sample

pytestmark = pytest.mark.model

GOALS = [
    "Test whether a new fertiliser raises wheat yield in dry climates.",
    "Find out whether faster code review lowers bug rates in open-source projects.",
    "Measure whether longer sleep changes students' exam scores.",
]


def _samples(tmp_path: Path) -> list[str]:
    rubric = {
        "control": "Compares against a control group.",
        "metric": "States how success is measured.",
    }
    samples = [
        sample(
            f"g{i}",
            goal,
            rubric,
            "A controlled comparison with a pre-registered metric.",
            paper_id=f"p{i}",
            creator="hand",
        )
        for i, goal in enumerate(GOALS)
    ]
    write_records(tmp_path / "train.jsonl", samples[:2])
    write_records(tmp_path / "test.jsonl", samples[2:])
    return [
        "--samples",
        str(tmp_path / "train.jsonl"),
        "--test_samples",
        str(tmp_path / "test.jsonl"),
    ]


def _tiny(tmp_path: Path, *extra: str) -> list[str]:
    return [
        *_samples(tmp_path),
        "--output_dir", str(tmp_path / "run"),
        "--use_cpu", "true",
        "--num_generations", "4",
        "--per_device_train_batch_size", "4",
        "--max_completion_length", "32",
        "--learning_rate", "1e-4",
        "--eval_goals", "1",
        "--eval_every", "0",
        "--grading.retries", "0",
        "--grading.rationale_chars", "40",
        # A 135M grader rarely passes 32-token plans; a short word limit makes rewards differ
        # within a group, so every step has a learning signal.
        "--penalty.word_limit", "21",
        *extra,
    ]  # fmt: skip


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_two_steps_log_rewards_and_move_weights_exactly_when_rewards_differ(
    tmp_path: Path,
) -> None:
    """With beta 0 and no weight decay, GRPO moves the weights if and only if the rewards of some
    group differed: true whatever the sampled plans and the grader's verdicts were."""
    config, grpo = parse_train_args(_tiny(tmp_path, "--max_steps", "2", "--save_steps", "10"))
    before = AutoModelForCausalLM.from_pretrained(embedded_model_dir()).state_dict()
    run = train(config, grpo)
    trained = dict(run.trainer.model.named_parameters())
    moved = [
        name
        for name, param in trained.items()
        if param.requires_grad
        and not torch.equal(param.detach().cpu().float(), before[name].float())
    ]
    metrics = _rows(tmp_path / "run" / "metrics.jsonl")
    assert [row["step"] for row in metrics] == [1, 2]
    for row in metrics:
        # rubric score in [0, 1] minus at most both format penalties (1.0 + 0.5)
        assert -1.5 <= row["reward_mean"] <= 1.0 and row["reward_std"] >= 0.0
        assert 0.0 <= row["zero_std_frac"] <= 1.0
        assert 0.0 <= row["unscored_frac"] <= 1.0 and row["plan_words"] > 0
        assert row["learning_rate"] > 0.0
    trainable = [name for name, param in trained.items() if param.requires_grad]
    if any(row["zero_std_frac"] < 1.0 for row in metrics):
        assert trainable and moved == trainable
    else:
        assert not moved
    evaluations = _rows(tmp_path / "run" / "eval.jsonl")
    assert [row["step"] for row in evaluations] == [0, 2]
    assert evaluations[0]["independent_score"] is None


class Crash(TrainerCallback):
    """Dies right after step `at` is logged and before its checkpoint is written, like a kill."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_log(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if state.global_step == self.at:
            raise KeyboardInterrupt


def test_resume_after_a_kill_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    argv = _tiny(tmp_path, "--max_steps", "2", "--save_steps", "1", "--num_generations", "2",
                 "--per_device_train_batch_size", "2")  # fmt: skip
    config, grpo = parse_train_args(argv)
    run = build_run(config, grpo)
    run.trainer.add_callback(Crash(at=2))
    with pytest.raises(KeyboardInterrupt):
        run.trainer.train()
    assert [row["step"] for row in _rows(tmp_path / "run" / "metrics.jsonl")] == [1, 2]
    assert (tmp_path / "run" / "checkpoint-1").is_dir()
    assert not (tmp_path / "run" / "checkpoint-2").exists()

    config, grpo = parse_train_args([*argv, "--resume"])
    resumed = train(config, grpo)
    assert resumed.trainer.state.global_step == 2
    metrics = _rows(tmp_path / "run" / "metrics.jsonl")
    assert [row["step"] for row in metrics] == [1, 2]  # step 2 logged once, from the resumed run
    evaluations = _rows(tmp_path / "run" / "eval.jsonl")
    assert [row["step"] for row in evaluations] == [0, 1, 2]
