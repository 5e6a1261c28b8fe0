"""What a run logs: per-step reward metrics (metrics.jsonl) and held-out evaluations (eval.jsonl).

Both files hold one row per step. On resume, rows past the checkpoint's step are dropped and
steps already logged are skipped, so a killed and resumed run has no duplicated rows.
"""

from __future__ import annotations

import logging
import os
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic

from accelerate import Accelerator
from accelerate.utils import gather_object
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from trl.models import unwrap_model_for_generation

from rubricrl.backends import Conversation, Sampling
from rubricrl.backends.local import LocalBackend
from rubricrl.grading import extract_plan
from rubricrl.grading.grader import PlanGrader
from rubricrl.grading.score import summarize
from rubricrl.jsonl import read_records, replace_file
from rubricrl.layout import RunLayout
from rubricrl.records import HeldOutEval, Plan, Sample, StepRow, TrainingStep
from rubricrl.task import MAX_PLAN_WORDS, plan_conversation, plan_id
from rubricrl.training.reward import completion_text

logger = logging.getLogger(__name__)

RewardFunc = Callable[..., list[float | None]]


class StepLog(Generic[StepRow]):
    """A JSONL file with at most one row per `step`; only the writing process touches the disk."""

    def __init__(self, path: Path | str, row_type: type[StepRow], write: bool = True) -> None:
        self.path = Path(path)
        self.write = write
        self.rows: dict[int, StepRow] = {}
        if self.path.exists():
            for row in read_records(self.path, row_type, torn_tail_ok=True):  # a killed write
                self.rows.setdefault(row.step, row)

    def rewind(self, step: int) -> None:
        """Forget rows after `step` (the checkpoint a run resumes from), on disk too."""
        self.rows = {s: row for s, row in self.rows.items() if s <= step}
        if self.write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(
                self.path, (self.rows[s].model_dump_json() + "\n" for s in sorted(self.rows))
            )

    def append(self, row: StepRow) -> bool:
        """Add a row unless its step is logged already; flushed to disk before returning."""
        if row.step in self.rows:
            return False
        self.rows[row.step] = row
        if self.write:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(row.model_dump_json() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return True

    def latest(self) -> StepRow | None:
        return self.rows[max(self.rows)] if self.rows else None


def plan_words(text: str) -> int:
    """Words in the graded part of a completion (its <solution> block, thinking removed)."""
    return len(extract_plan(text).split())


class MeteredReward:
    """Wraps a TRL reward callable to also log the mean plan length through TRL's metrics."""

    def __init__(self, reward: RewardFunc) -> None:
        self.reward = reward
        self.__name__ = getattr(reward, "__name__", type(reward).__name__)

    def __call__(
        self, prompts: list[Any], completions: list[Any], **columns: Any
    ) -> list[float | None]:
        log_metric = columns.get("log_metric")
        if log_metric is not None and completions:
            lengths = [plan_words(completion_text(c)) for c in completions]
            log_metric("plan_words", statistics.fmean(lengths))
        return self.reward(prompts=prompts, completions=completions, **columns)


METRIC_KEYS = {
    "reward_mean": "reward",
    "reward_std": "reward_std",
    "zero_std_frac": "frac_reward_zero_std",  # share of groups whose rewards all tie: no gradient
    "unscored_frac": "rubric/unscored_fraction",
    "plan_words": "plan_words",
    "kl": "kl",
    "learning_rate": "learning_rate",
    "loss": "loss",
    "entropy": "entropy",
    "completion_tokens": "completions/mean_length",
    "clipped_frac": "completions/clipped_ratio",
}


class MetricsCallback(TrainerCallback):
    """One metrics.jsonl row per logged training step (TRL's averages over the logging window)."""

    def __init__(self, run_dir: Path | str, is_main: bool) -> None:
        self.log = StepLog(RunLayout(Path(run_dir)).metrics, TrainingStep, write=is_main)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self.log.rewind(state.global_step)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, Any] | None = None,
        **kw: Any,
    ) -> None:
        if not logs or "reward" not in logs:  # the end-of-training summary has no reward
            return
        values = {ours: logs.get(theirs) for ours, theirs in METRIC_KEYS.items()}
        self.log.append(TrainingStep(step=state.global_step, **values))


def generate_texts(
    model: Any, tokenizer: Any, conversations: Sequence[Conversation], max_new_tokens: int
) -> list[str]:
    """Greedy replies of the live policy (evaluation must not depend on sampling luck)."""
    was_training = model.training
    model.eval()
    backend = LocalBackend(model, tokenizer, spec="policy")
    completions = backend.batch(
        list(conversations), Sampling(temperature=0, max_tokens=max_new_tokens)
    )
    model.train(was_training)
    return [c.text for c in completions]


def _mean_score(grader: PlanGrader | None, pairs: Sequence[tuple[Sample, Plan]]) -> float | None:
    """All processes' mean score of `pairs` by `grader` (None: no grader); every process calls."""
    grades = grader.grade_many(pairs) if grader else []
    return summarize(gather_object(grades)).mean_score if grader else None


class EvalCallback(TrainerCallback):
    """Scores the policy's plans for held-out goals at the start, every `every` steps and at the end.

    The training grader gives `heldout_score`; an independent grader, when set, grades the same
    plans for `independent_score`; a contrastive grader, when set, gives `specificity` (plans
    that answer their goal score higher on its rubric than on other goals'). Goals are split over
    processes and the grades gathered, so every process holds the same row (and takes the same
    early-stopping decision).
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        grader: PlanGrader,
        accelerator: Accelerator,
        run_dir: Path | str,
        every: int,
        max_new_tokens: int,
        independent: PlanGrader | None = None,
        word_limit: int = MAX_PLAN_WORDS,
        specificity: PlanGrader | None = None,
    ) -> None:
        self.samples = list(samples)
        self.grader = grader
        self.independent = independent
        self.specificity = specificity
        self.accelerator = accelerator
        self.every = every
        self.max_new_tokens = max_new_tokens
        self.word_limit = word_limit
        self.log = StepLog(
            RunLayout(Path(run_dir)).evals, HeldOutEval, write=accelerator.is_main_process
        )

    def evaluate(self, model: Any, tokenizer: Any, step: int) -> HeldOutEval:
        """Write plans for this process's share of goals, grade them, gather, and log the row."""
        with self.accelerator.split_between_processes(self.samples) as mine:
            # every process enters: under ZeRO-3 gathering the weights is a collective
            with unwrap_model_for_generation(model, self.accelerator) as policy:
                conversations = [plan_conversation(s.goal, self.word_limit) for s in mine]
                texts = (
                    generate_texts(policy, tokenizer, conversations, self.max_new_tokens)
                    if mine
                    else []
                )
            plans = [
                Plan(id=plan_id(s.id, 0), sample_id=s.id, model=f"policy@{step}", text=t)
                for s, t in zip(mine, texts, strict=True)
            ]
            pairs = list(zip(mine, plans, strict=True))
            grades = self.grader.grade_many(pairs)
            independent = _mean_score(self.independent, pairs)
            specificity = _mean_score(self.specificity, pairs)
        summary = summarize(gather_object(grades))
        row = HeldOutEval(
            step=step,
            heldout_score=summary.mean_score,
            independent_score=independent,
            specificity=specificity,
            item_satisfaction=summary.item_satisfaction,
        )
        self.log.append(row)
        logger.info(
            "step %d: held-out score %s, independent %s, specificity %s",
            step,
            row.heldout_score,
            row.independent_score,
            row.specificity,
        )
        return row

    def _maybe_evaluate(self, state: TrainerState, due: bool, **kw: Any) -> None:
        if due and state.global_step not in self.log.rows:
            self.evaluate(kw["model"], kw["processing_class"], state.global_step)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self.log.rewind(state.global_step)
        self._maybe_evaluate(state, True, **kw)

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self._maybe_evaluate(state, self.every > 0 and state.global_step % self.every == 0, **kw)

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self._maybe_evaluate(state, True, **kw)
