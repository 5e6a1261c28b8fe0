"""`rubricrl train`: GRPO (TRL's GRPOTrainer) on plan writing, rewarded by a rubric grader.

The grader defaults to a frozen copy of the initial policy (self-grading, as in the paper);
any backend spec (e.g. a vLLM server, `openai:URL#MODEL`) can replace it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from transformers.trainer_utils import get_last_checkpoint
from trl import GRPOConfig

from rubricrl.backends.embedded import embedded_model_dir
from rubricrl.backends.local import LocalBackend
from rubricrl.errors import InputError
from rubricrl.grading.contrastive import Contrast, ContrastiveGrader
from rubricrl.grading.grader import PlanGrader
from rubricrl.grading.load import load_grader
from rubricrl.layout import RunLayout
from rubricrl.model_spec import ModelSpec
from rubricrl.training.callbacks import EvalCallback, MeteredReward, MetricsCallback
from rubricrl.training.config import TrainConfig
from rubricrl.training.control import ShuffledReward
from rubricrl.training.dataset import build_dataset, load_samples
from rubricrl.training.memory import keep_freed_memory
from rubricrl.training.monitor import HackingCallback
from rubricrl.training.reward import AsyncReward, GraderSource, RubricReward
from rubricrl.training.rollouts import PolicySnapshot, RubricGRPOTrainer

logger = logging.getLogger(__name__)


def policy_path(spec: ModelSpec) -> str:
    """The weights folder (or hub id) a policy spec names; only local models can be trained."""
    if spec.provider == "embedded":
        return str(embedded_model_dir())
    if spec.provider == "hf":
        return spec.target
    raise InputError(f"train: the policy must be embedded or hf:PATH, not {str(spec)!r}")


def _resume_checkpoint(config: TrainConfig, run_dir: Path) -> str | None:
    """The checkpoint to continue from; refuses to mix a fresh run into an old run's logs."""
    last = get_last_checkpoint(str(run_dir)) if run_dir.is_dir() else None
    if config.resume:
        if last is None:
            logger.warning("%s: no checkpoint yet, starting from step 0", run_dir)
        return last
    if last is not None or RunLayout(run_dir).metrics.exists():
        raise InputError(f"{run_dir}: holds a run already; pass --resume or another --output_dir")
    return None


@dataclass
class Run:
    """A configured run: the trainer and the callbacks whose state tests and reports read."""

    trainer: RubricGRPOTrainer
    metrics: MetricsCallback
    evaluation: EvalCallback | None
    monitor: HackingCallback | None


def _peft_config(config: TrainConfig) -> object | None:
    if not config.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )


def build_run(config: TrainConfig, grpo: GRPOConfig, grader: PlanGrader | None = None) -> Run:
    """Set up the trainer, reward and logging callbacks (`grader` overrides the configured one).

    The grader defaults to the initial policy's spec, which the registry loads as a frozen
    eval-mode copy (once per process, its replies cached under that spec).
    """
    run_dir = Path(grpo.output_dir or "runs/grpo")
    samples = load_samples(config.samples)
    keep_freed_memory()
    source = GraderSource(config.grader_spec, config.grading_config(grpo.seed), config.grader_cache)
    contrast = Contrast(tuple(samples), config.contrast) if config.contrast else None
    reward = RubricReward(grader or source, config.penalty, reward=config.reward, contrast=contrast)
    grader = reward.rubric_grader
    word_limit = config.penalty.word_limit
    metered = MeteredReward(reward)
    paid = ShuffledReward(metered, seed=grpo.seed) if config.shuffle_rewards else metered
    trainer = RubricGRPOTrainer(
        model=policy_path(config.policy_spec),
        reward_funcs=AsyncReward(paid),  # type: ignore[arg-type]  # TRL awaits async rewards
        args=grpo,
        train_dataset=build_dataset(samples, word_limit),
        peft_config=_peft_config(config),  # type: ignore[arg-type]
    )
    if config.rollouts == "snapshot":
        copy = LocalBackend.from_pretrained(
            policy_path(config.policy_spec), device=trainer.accelerator.device
        )
        trainer.snapshot = PolicySnapshot(copy)
    is_main = trainer.accelerator.is_main_process
    metrics = MetricsCallback(run_dir, is_main)
    trainer.add_callback(metrics)
    evaluation = monitor = None
    if config.test_samples:
        held_out = load_samples(config.test_samples)[: config.eval_goals]
        eval_spec = config.eval_grader_spec
        independent = (
            load_grader(eval_spec, config.eval_grading_config(grpo.seed), config.grader_cache)
            if eval_spec
            else None
        )
        evaluation = EvalCallback(
            held_out,
            grader,
            trainer.accelerator,
            run_dir,
            every=config.eval_every,
            max_new_tokens=config.eval_max_tokens or grpo.max_completion_length or 256,
            independent=independent,
            word_limit=word_limit,
            specificity=(
                ContrastiveGrader(grader, held_out, config.specificity_rubrics)
                if config.specificity_rubrics and len(held_out) > 1
                else None
            ),
        )
        trainer.add_callback(evaluation)
        if independent is not None or evaluation.specificity is not None:
            monitor = HackingCallback(
                evaluation.log, config.monitor_patience, config.stop_on_hacking
            )
            trainer.add_callback(monitor)
    return Run(trainer, metrics, evaluation, monitor)


def train(config: TrainConfig, grpo: GRPOConfig, grader: PlanGrader | None = None) -> Run:
    """Run GRPO to `grpo.max_steps`, resuming when asked; returns the finished run."""
    checkpoint = _resume_checkpoint(config, Path(grpo.output_dir or "runs/grpo"))
    run = build_run(config, grpo, grader)
    run.trainer.train(resume_from_checkpoint=checkpoint)
    run.trainer.save_model(grpo.output_dir)
    return run
