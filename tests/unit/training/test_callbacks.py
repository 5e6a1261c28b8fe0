"""Run logs: one row per step, rows past a resumed checkpoint dropped, reward metrics mapped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from transformers import TrainerControl, TrainerState, TrainingArguments

from rubricrl.records import TrainingStep
from rubricrl.training.callbacks import MeteredReward, MetricsCallback, StepLog


def _steps(path: Path) -> list[int]:
    return [json.loads(line)["step"] for line in path.read_text().splitlines()]


def test_step_log_skips_logged_steps_rewinds_and_ignores_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = StepLog(path, TrainingStep)
    rows = [TrainingStep(step=s, loss=s) for s in (1, 2, 2, 3)]
    assert [log.append(row) for row in rows] == [True, True, False, True]
    with path.open("a") as handle:
        handle.write('{"step": 4, "loss"')  # killed mid-write
    reopened = StepLog(path, TrainingStep)
    assert sorted(reopened.rows) == [1, 2, 3]
    reopened.rewind(2)
    assert _steps(path) == [1, 2]
    assert reopened.append(TrainingStep(step=3, loss=9)) and _steps(path) == [1, 2, 3]
    reader = StepLog(path, TrainingStep, write=False)
    reader.rewind(0)
    assert _steps(path) == [1, 2, 3] and reader.latest() is None


def test_metrics_rows_map_trl_logs_and_survive_a_resume(tmp_path: Path) -> None:
    args, control = TrainingArguments(str(tmp_path), use_cpu=True), TrainerControl()
    callback = MetricsCallback(tmp_path, is_main=True)
    state = TrainerState()
    callback.on_train_begin(args, state, control)
    for step in (1, 2, 3):
        state.global_step = step
        logs = {"reward": 0.1 * step, "reward_std": 0.05, "learning_rate": 1e-6, "loss": 0.0}
        callback.on_log(args, state, control, logs={**logs, "rubric/unscored_fraction": 0.25})
    callback.on_log(args, state, control, logs={"train_runtime": 9.0})  # the summary: no row
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert rows[1]["reward_mean"] == 0.2 and rows[1]["unscored_frac"] == 0.25
    assert rows[1]["kl"] is None  # beta 0: TRL logs no KL, and we do not invent one
    resumed = MetricsCallback(tmp_path, is_main=True)
    state.global_step = 2  # the checkpoint: step 3 was logged but never saved
    resumed.on_train_begin(args, state, control)
    state.global_step = 3
    resumed.on_log(args, state, control, logs={"reward": 0.9})
    assert _steps(tmp_path / "metrics.jsonl") == [1, 2, 3]
    assert StepLog(tmp_path / "metrics.jsonl", TrainingStep).rows[3].reward_mean == 0.9


def test_metered_reward_logs_plan_words_and_passes_rewards_through() -> None:
    seen: dict[str, float] = {}

    def reward(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float | None]:
        assert columns["goal"] == ["g", "g"]
        return [0.5, None]

    metered = MeteredReward(reward)
    completions = [
        [{"role": "assistant", "content": "thinking <solution>one two three</solution>"}],
        [{"role": "assistant", "content": "no tags at all here"}],
    ]
    result = metered(["p", "p"], completions, goal=["g", "g"], log_metric=seen.__setitem__)
    assert result == [0.5, None] and metered.__name__ == "reward"
    assert seen == {"plan_words": 4.0}  # (3 words in the block + 5 untagged) / 2
