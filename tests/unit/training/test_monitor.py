"""Reward-hacking monitor: a rising training score with a falling independent score or falling
specificity warns and stops."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from accelerate import Accelerator
from transformers import TrainerControl, TrainerState, TrainingArguments

from rubricrl.grading.contrastive import ContrastiveGrader
from rubricrl.grading.grader import GradingTarget
from rubricrl.records import Grade, Plan, Sample
from rubricrl.training import callbacks
from rubricrl.training.callbacks import EvalCallback
from rubricrl.training.monitor import HackingCallback, HackingMonitor
from tests.builders import grade, probe_goal, verdict, widget_goal


class TinyPolicy(torch.nn.Linear):
    """Stands in for the policy: generation is scripted, the unwrapping needs only a module."""

    is_gradient_checkpointing = False


class ScriptedGrader:
    """Grades every plan of call k with scores[k]; item r0 is met when the score is at least 0.5."""

    def __init__(self, scores: Sequence[float]) -> None:
        self.scores: Iterator[float] = iter(scores)

    def grade_many(self, pairs: Sequence[tuple[Sample, Plan]]) -> list[Grade]:
        score = next(self.scores)
        return [
            grade(
                plan.id,
                score,
                [verdict("r0", satisfied=score >= 0.5)],
                sample_id=target.id,
                grader="scripted",
            )
            for target, plan in pairs
        ]


def test_monitor_counts_only_consecutive_divergence() -> None:
    monitor = HackingMonitor(patience=2)
    assert [monitor.observe(t, i) for t, i in [(0.1, 0.9), (0.2, 0.8), (0.3, 0.7)]] == [
        False,
        False,
        True,
    ]
    calm = HackingMonitor(patience=2)
    rising = [(0.1, 0.5), (0.2, 0.4), (0.3, 0.6), (0.4, 0.5), (0.5, 0.7)]
    assert not any(calm.observe(t, i) for t, i in rising)  # falls never last two evaluations
    assert calm.observe(None, 0.1) is False and calm.streak == 0


def _run_evaluations(
    tmp_path: Path, training: list[float], independent: list[float], monkeypatch: pytest.MonkeyPatch
) -> tuple[HackingCallback, TrainerControl, Path]:
    monkeypatch.setattr(
        callbacks,
        "generate_texts",
        lambda _m, _t, convs, _n: ["<solution>x</solution>"] * len(convs),
    )
    args = TrainingArguments(str(tmp_path), use_cpu=True)  # before Accelerator: it resets the state
    evaluation = EvalCallback(
        [widget_goal(1), widget_goal(2)],
        ScriptedGrader(training),  # type: ignore[arg-type]
        Accelerator(cpu=True),
        tmp_path,
        every=1,
        max_new_tokens=8,
        independent=ScriptedGrader(independent),  # type: ignore[arg-type]
    )
    watcher, control = drive(evaluation, args, TrainerState(), steps=len(training))
    return watcher, control, tmp_path / "eval.jsonl"


def drive(
    evaluation: EvalCallback, args: TrainingArguments, state: TrainerState, steps: int
) -> tuple[HackingCallback, TrainerControl]:
    """Run the evaluation and a stopping monitor (patience 2) through steps 0..steps-1, as the
    trainer calls them, until the monitor stops training."""
    watcher = HackingCallback(evaluation.log, patience=2, stop=True)
    control = TrainerControl()
    handles: dict[str, Any] = {"model": TinyPolicy(1, 1), "processing_class": None}
    for hook in (evaluation.on_train_begin, watcher.on_train_begin):
        hook(args, state, control, **handles)
    for step in range(1, steps):
        state.global_step = step
        for hook in (evaluation.on_step_end, watcher.on_step_end):
            hook(args, state, control, **handles)
        if control.should_training_stop:
            break
    return watcher, control


def test_divergence_warns_and_stops_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        watcher, control, log = _run_evaluations(
            tmp_path, [0.2, 0.4, 0.6, 0.8, 0.9], [0.9, 0.7, 0.5, 0.3, 0.1], monkeypatch
        )
    assert control.should_training_stop and watcher.suspected_at == [2]
    assert "possible reward hacking at step 2" in caplog.text
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 1, 2]  # stopped before evaluating steps 3 and 4
    assert [(r["heldout_score"], r["independent_score"]) for r in rows] == [
        (0.2, 0.9),
        (0.4, 0.7),
        (0.6, 0.5),
    ]
    assert rows[2]["item_satisfaction"] == {"s1/r0": 1.0, "s2/r0": 1.0}


def test_both_rising_never_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    watcher, control, log = _run_evaluations(
        tmp_path, [0.2, 0.4, 0.6, 0.8], [0.3, 0.4, 0.5, 0.6], monkeypatch
    )
    assert not control.should_training_stop and watcher.suspected_at == []
    assert len(log.read_text().splitlines()) == 4


class FooledGrader:
    """Meets an item when the plan says it, and one more item per "rigorous" in the plan, on
    any goal's rubric: a grader goal-agnostic boilerplate can raise."""

    name = "fooled"

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        grades = []
        for target, plan in pairs:
            met = sum(item.text in plan.text for item in target.rubric)
            met = min(len(target.rubric), met + plan.text.count("rigorous"))
            verdicts = [verdict(item.id) for item in target.rubric]
            score = met / len(target.rubric)
            grades.append(grade(plan.id, score, verdicts, sample_id=target.id, grader=self.name))
        return grades


def _specificity_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plans: list[tuple[int, int]]
) -> tuple[HackingCallback, list[dict[str, Any]]]:
    """Evaluations whose plan at step k states plans[k][0] of its goal's items and says
    "rigorous" plans[k][1] times; no independent grader, specificity over the other goals."""
    goals = [probe_goal(n) for n in range(4)]
    state = TrainerState()

    def write(_model: Any, _tokenizer: Any, conversations: Any, _n: int) -> list[str]:
        stated, rigour = plans[state.global_step]
        texts = []
        for conversation in conversations:
            target = next(g for g in goals if g.goal in conversation[-1]["content"])
            items = [item.text for item in target.rubric[:stated]]
            texts.append(" ".join([*items, *["We are rigorous."] * rigour]))
        return texts

    monkeypatch.setattr(callbacks, "generate_texts", write)
    args = TrainingArguments(str(tmp_path), use_cpu=True)
    grader = FooledGrader()
    evaluation = EvalCallback(
        goals,
        grader,  # type: ignore[arg-type]
        Accelerator(cpu=True),
        tmp_path,
        every=1,
        max_new_tokens=8,
        specificity=ContrastiveGrader(grader, goals, others=3),
    )
    watcher, _ = drive(evaluation, args, state, steps=len(plans))
    rows = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    return watcher, rows


def test_a_policy_drifting_to_boilerplate_is_stopped_by_falling_specificity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        watcher, rows = _specificity_run(tmp_path, monkeypatch, [(2, 0), (1, 2), (0, 4), (0, 4)])
    assert [(r["heldout_score"], r["specificity"]) for r in rows] == [
        (0.5, 0.5),
        (0.75, 0.25),
        (1.0, 0.0),
    ]
    assert watcher.suspected_at == [2] and rows[-1]["independent_score"] is None
    assert "specificity for 2 evaluations in a row" in caplog.text


def test_a_policy_improving_honestly_is_not_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher, rows = _specificity_run(tmp_path, monkeypatch, [(1, 0), (2, 0), (3, 0), (4, 0)])
    assert [r["specificity"] for r in rows] == [0.25, 0.5, 0.75, 1.0]
    assert watcher.suspected_at == []
