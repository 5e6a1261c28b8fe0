"""Reward-hacking monitor: the training grader's held-out score rising while the independent score
or the plans' specificity falls.

`HackingMonitor` is the pure rule; `HackingCallback` feeds one per watched signal the evaluation
rows as they are logged (replaying earlier ones on resume), warns, and optionally stops training.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from rubricrl.records import HeldOutEval
from rubricrl.training.callbacks import StepLog

logger = logging.getLogger(__name__)


@dataclass
class HackingMonitor:
    """Counts consecutive evaluations where the training score rose and the independent one fell."""

    patience: int = 3
    streak: int = 0
    previous: tuple[float, float] | None = field(default=None, repr=False)

    def observe(self, training: float | None, independent: float | None) -> bool:
        """Record one evaluation; True once the divergence has lasted `patience` evaluations."""
        if training is None or independent is None:
            return False  # an unscored evaluation says nothing either way
        if self.previous is not None:
            rising = training > self.previous[0]
            falling = independent < self.previous[1]
            self.streak = self.streak + 1 if rising and falling else 0
        self.previous = (training, independent)
        return self.streak >= self.patience


WATCHED = {"independent_score": "the independent score", "specificity": "specificity"}
"""The evaluation row's signals that must not fall while the training grader's score rises."""


class HackingCallback(TrainerCallback):
    """Watches the evaluation log after each step; warns and (if `stop`) ends training on hacking.
    A signal the rows do not carry (no independent grader, specificity off) never warns."""

    def __init__(
        self, evaluations: StepLog[HeldOutEval], patience: int, stop: bool = False
    ) -> None:
        self.evaluations = evaluations
        self.monitors = {signal: HackingMonitor(patience) for signal in WATCHED}
        self.stop = stop
        self.seen: set[int] = set()
        self.suspected_at: list[int] = []

    def _catch_up(self, control: TrainerControl) -> None:
        for step in sorted(set(self.evaluations.rows) - self.seen):
            self.seen.add(step)
            row = self.evaluations.rows[step]
            fell = [
                (WATCHED[signal], monitor.streak)
                for signal, monitor in self.monitors.items()
                if monitor.observe(row.heldout_score, getattr(row, signal))
            ]
            if fell:
                self.suspected_at.append(step)
                logger.warning(
                    "possible reward hacking at step %d: training-grader score rose and %s fell",
                    step,
                    " and ".join(
                        f"{name} for {streak} evaluations in a row" for name, streak in fell
                    ),
                )
                if self.stop:
                    control.should_training_stop = True

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self._catch_up(control)

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self._catch_up(control)
