"""The train stage's settings: our small TrainConfig beside TRL's own GRPOConfig, from YAML and flags.

TrainConfig keeps its model specs as text; its `*_spec` properties parse them (naming the flag
of a bad one), so the run receives ModelSpecs.

A run YAML holds TrainConfig fields at the top level (with `grading:`, `eval_grading:` and
`penalty:` sections, or dotted flags such as `--grading.dense true`) and a `grpo:` section passed
straight to GRPOConfig; every field of either is also a command-line flag, and flags win.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, NoReturn

from transformers import HfArgumentParser
from trl import GRPOConfig

from rubricrl.config import check_output, config_parser, option, parse_config, parse_spec
from rubricrl.errors import InputError
from rubricrl.grading import FormatPenalty, GradingConfig
from rubricrl.grading.load import grader_settings, is_coverage
from rubricrl.model_spec import ModelSpec
from rubricrl.training.reward import Reward

PROG = "rubricrl train"
_GRPO: list[Any] = [GRPOConfig]  # HfArgumentParser's stubs do not see TRL's dataclass


@dataclass
class TrainConfig:
    """What rubricrl adds to GRPO: data, the policy and grader specs, LoRA, evaluation, monitoring."""

    samples: str = option("", "Training samples (JSONL of Sample).", input="file")
    test_samples: str | None = option(
        None, "Held-out samples (JSONL) for periodic evaluation.", input="file"
    )
    policy: str = option("embedded", "Policy model spec: embedded | hf:PATH_OR_ID.")
    grader: str | None = option(
        None, "Grader backend spec; unset = a frozen copy of the initial policy (self-grading)."
    )
    eval_grader: str | None = option(
        None, "Independent grader spec scoring held-out plans (reward-hacking monitor)."
    )
    lora: bool = option(False, "Train LoRA adapters instead of all weights.")
    lora_rank: int = option(16, "LoRA rank.", min=1)
    lora_alpha: int = option(32, "LoRA alpha.", min=1)
    eval_every: int = option(
        10, "Evaluate on held-out goals every N steps (0: start/end only).", min=0
    )
    eval_goals: int = option(16, "Held-out goals per evaluation.", min=1)
    eval_max_tokens: int = option(0, "Plan length at evaluation (0: max_completion_length).", min=0)
    specificity_rubrics: int = option(
        3,
        "Held-out specificity: also grade each held-out plan on N other held-out "
        "goals' rubrics and log its own-rubric score minus their mean (0: off).",
        min=0,
    )
    monitor_patience: int = option(
        3,
        "Evaluations of rising reward with falling independent score or specificity "
        "before a warning.",
        min=1,
    )
    stop_on_hacking: bool = option(False, "Stop training when reward hacking is suspected.")
    grader_cache: bool = option(True, "Keep grader replies in the shared response cache.")
    grading: GradingConfig = field(default_factory=GradingConfig)
    eval_grading: GradingConfig | None = option(
        None,
        "The independent grader's settings (default: those of `grading`); a different "
        "protocol, e.g. per-item mode, when no other model is at hand.",
    )
    penalty: FormatPenalty = field(default_factory=FormatPenalty)
    reward: Reward = option(
        "score",
        "score: share of items met (the paper's); probability: mean P(satisfied), "
        "which breaks ties in a group (needs grading.verdicts prob or the embed grader).",
    )
    contrast: int = option(
        0,
        "Pay only for the goal: subtract the plan's mean reward on the rubrics of N "
        "other training goals (seeded per goal), so goal-agnostic text earns nothing (0: off).",
        min=0,
    )
    shuffle_rewards: bool = option(
        False,
        "Random-reward control: pay each completion another completion's reward from "
        "the same batch (the real reward's mean and spread, no signal).",
    )
    rollouts: Literal["snapshot", "trl"] = option(
        "snapshot",
        "snapshot: rubricrl's decode loop on a copy of the policy in the decoding "
        "dtype, refreshed every step; trl: TRL's own generate (vLLM is used whenever set).",
    )
    resume: bool = option(False, "Continue from the last checkpoint in output_dir.")

    @property
    def policy_spec(self) -> ModelSpec:
        return parse_spec("--policy", self.policy)

    @property
    def grader_spec(self) -> ModelSpec:
        """The training grader's spec; self-grading grades with the policy's model."""
        return parse_spec("--grader", self.grader) if self.grader else self.policy_spec

    @property
    def eval_grader_spec(self) -> ModelSpec | None:
        """The independent grader's spec, if one is set."""
        return parse_spec("--eval-grader", self.eval_grader) if self.eval_grader else None

    def grading_config(self, seed: int) -> GradingConfig:
        """The training grader's settings; the run's `seed` unless `grading.seed` is set."""
        return _seeded(self.grader_spec, self.grading, seed)

    def eval_grading_config(self, seed: int) -> GradingConfig:
        """The independent grader's settings: the training grader's unless given, or unless the
        two graders are of different kinds (a chat model's options mean nothing to embed)."""
        spec = self.eval_grader_spec or self.grader_spec
        same_kind = is_coverage(spec) == is_coverage(self.grader_spec)
        inherited = self.grading if same_kind else GradingConfig()
        return _seeded(spec, self.eval_grading or inherited, seed)

    def check_grading(self) -> None:
        """Refuse, before any model loads, grading options the chosen graders would ignore."""
        grader_settings(self.grader_spec, self.grading_config(0))
        if self.eval_grader_spec:
            grader_settings(self.eval_grader_spec, self.eval_grading_config(0), "eval-grading")


def _seeded(spec: ModelSpec, grading: GradingConfig, seed: int) -> GradingConfig:
    # Only a chat model samples; the coverage grader is deterministic and takes no seed.
    if grading.seed is not None or is_coverage(spec):
        return grading
    return replace(grading, seed=seed)


def precision_flags() -> dict[str, bool]:
    """GRPOConfig's numerics, chosen as the local backend chooses (RUBRICRL_DTYPE overrides):
    bf16 autocast over fp32 master weights where the CPU or GPU computes bf16 natively, fp16
    autocast on older GPUs, plain fp32 elsewhere."""
    import torch

    from rubricrl.backends.local import default_device, default_dtype

    device = default_device()
    dtype = default_dtype(device)
    return {
        "bf16": dtype == torch.bfloat16,
        "fp16": dtype == torch.float16,
        "use_cpu": device.type == "cpu",
    }


def grpo_defaults() -> dict[str, Any]:
    """Our GRPOConfig defaults: the paper's algorithm (Dr.GRPO-like, no KL) at CPU-friendly sizes."""
    return {
        "output_dir": "runs/grpo",
        "loss_type": "dr_grpo",
        "scale_rewards": "none",
        "beta": 0.0,
        "epsilon": 0.2,
        "learning_rate": 1e-6,
        "num_generations": 4,
        "per_device_train_batch_size": 4,
        "max_completion_length": 128,
        "max_steps": 20,
        "logging_steps": 1,
        "save_steps": 10,
        **precision_flags(),
        "activation_checkpointing": False,
        "report_to": ["tensorboard"] if importlib.util.find_spec("tensorboard") else "none",
    }


def grpo_config(**overrides: Any) -> GRPOConfig:
    """TRL's GRPOConfig from our defaults and `overrides` (for callers that build configs)."""
    return GRPOConfig(**{**grpo_defaults(), **overrides})


def _refuse(message: str) -> NoReturn:
    raise InputError(f"{PROG}: {message}")


def parse_train_args(argv: Sequence[str]) -> tuple[TrainConfig, GRPOConfig]:
    """Parse `[--config run.yaml] [--FIELD VALUE ...]` into our config and TRL's GRPOConfig.

    TrainConfig goes through the project's config parser; the YAML's `grpo:` section and every
    flag it does not know go to TRL's own parser for GRPOConfig.
    """
    if {"-h", "--help"} & set(argv):
        config_parser(TrainConfig, PROG).print_help()
        print("\nGRPOConfig flags (TRL):")
        HfArgumentParser(_GRPO, prog=PROG).print_help()
        raise SystemExit(0)
    grpo_fields = set(GRPOConfig.__dataclass_fields__)
    train, rest, sections = parse_config(TrainConfig, argv, PROG, foreign={"grpo": grpo_fields})
    grpo_values = sections.get("grpo") or {}
    parser = HfArgumentParser(_GRPO, prog=PROG)
    parser.error = _refuse  # type: ignore[method-assign]  # one line, not a usage dump
    parser.set_defaults(**{**grpo_defaults(), **grpo_values})
    try:
        (grpo,) = parser.parse_args_into_dataclasses(args=rest)
    except ValueError as error:
        raise InputError(f"{PROG}: {str(error).splitlines()[0]}") from None
    if not train.samples:
        raise InputError(f"{PROG}: --samples (or `samples:` in the config) is required")
    train.check_grading()
    inputs = [("--samples", Path(train.samples))]
    inputs += [("--test-samples", Path(train.test_samples))] if train.test_samples else []
    if grpo.output_dir:
        check_output(Path(grpo.output_dir), "--output_dir", "dir", inputs, f"{PROG}: ")
    return train, grpo
