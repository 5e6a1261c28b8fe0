"""Reward-hacking monitor: the training grader's held-out score rising while an independent one falls.

`HackingMonitor` is the pure rule; `HackingCallback` feeds it the evaluation rows as they are
logged (replaying earlier ones on resume), warns, and optionally stops training.
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


class HackingCallback(TrainerCallback):
    """Watches the evaluation log after each step; warns and (if `stop`) ends training on hacking."""

    def __init__(
        self, evaluations: StepLog[HeldOutEval], monitor: HackingMonitor, stop: bool = False
    ) -> None:
        self.evaluations = evaluations
        self.monitor = monitor
        self.stop = stop
        self.seen: set[int] = set()
        self.suspected_at: list[int] = []

    def _catch_up(self, control: TrainerControl) -> None:
        for step in sorted(set(self.evaluations.rows) - self.seen):
            self.seen.add(step)
            row = self.evaluations.rows[step]
            if self.monitor.observe(row.heldout_score, row.independent_score):
                self.suspected_at.append(step)
                logger.warning(
                    "possible reward hacking at step %d: training-grader score rose and the "
                    "independent score fell for %d evaluations in a row",
                    step,
                    self.monitor.streak,
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
