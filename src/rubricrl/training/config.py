"""The train stage's settings: our small TrainConfig beside TRL's own GRPOConfig, from YAML and flags.

A run YAML holds TrainConfig fields at the top level and a `grpo:` section passed straight to
GRPOConfig; every field of either is also a command-line flag, and flags win over the file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from transformers import HfArgumentParser
from trl import GRPOConfig

from rubricrl.errors import InputError
from rubricrl.grading import FormatPenalty, GradingConfig


@dataclass
class TrainConfig:
    """What rubricrl adds to GRPO: data, the policy and grader specs, LoRA, evaluation, monitoring."""

    samples: str = field(default="", metadata={"help": "Training samples (JSONL of Sample)."})
    test_samples: str | None = field(
        default=None, metadata={"help": "Held-out samples (JSONL) for periodic evaluation."}
    )
    policy: str = field(
        default="embedded", metadata={"help": "Policy model spec: embedded | hf:PATH_OR_ID."}
    )
    grader: str | None = field(
        default=None,
        metadata={
            "help": "Grader backend spec; unset = a frozen copy of the initial policy (self-grading)."
        },
    )
    eval_grader: str | None = field(
        default=None,
        metadata={
            "help": "Independent grader spec scoring held-out plans (reward-hacking monitor)."
        },
    )
    lora: bool = field(
        default=False, metadata={"help": "Train LoRA adapters instead of all weights."}
    )
    lora_rank: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    eval_every: int = field(
        default=10,
        metadata={"help": "Evaluate on held-out goals every N steps (0: start/end only)."},
    )
    eval_goals: int = field(default=16, metadata={"help": "Held-out goals per evaluation."})
    eval_max_tokens: int = field(
        default=0, metadata={"help": "Plan length at evaluation (0: max_completion_length)."}
    )
    monitor_patience: int = field(
        default=3,
        metadata={
            "help": "Evaluations of rising reward with falling independent score before a warning."
        },
    )
    stop_on_hacking: bool = field(
        default=False, metadata={"help": "Stop training when reward hacking is suspected."}
    )
    grader_cache: bool = field(
        default=True, metadata={"help": "Keep grader replies in the shared response cache."}
    )
    grading: dict[str, Any] | str | None = field(
        default=None,
        metadata={
            "help": "GradingConfig fields for both graders: a YAML mapping, or JSON on the command "
            'line (e.g. \'{"retries": 0, "rationale_chars": 80}\').'
        },
    )
    eval_grading: dict[str, Any] | str | None = field(
        default=None,
        metadata={
            "help": "GradingConfig fields for the independent grader only (default: --grading); "
            "a different protocol, e.g. per-item mode, when no other model is at hand."
        },
    )
    penalty: dict[str, Any] | str | None = field(
        default=None,
        metadata={
            "help": "FormatPenalty fields (word_limit, missing_solution, over_length): a YAML "
            "mapping, or JSON on the command line."
        },
    )
    resume: bool = field(
        default=False, metadata={"help": "Continue from the last checkpoint in output_dir."}
    )

    def grading_config(self, seed: int) -> GradingConfig:
        """The training grader's settings; the run's `seed` unless `grading` sets one."""
        return GradingConfig(**{"seed": seed, **_mapping("grading", self.grading)})

    def eval_grading_config(self, seed: int) -> GradingConfig:
        """The independent grader's settings (the training grader's unless given)."""
        if self.eval_grading is None:
            return self.grading_config(seed)
        return GradingConfig(**{"seed": seed, **_mapping("eval_grading", self.eval_grading)})

    def format_penalty(self) -> FormatPenalty:
        """What the reward subtracts for a missing <solution> block or an over-long plan."""
        return FormatPenalty(**_mapping("penalty", self.penalty))


def _mapping(name: str, value: dict[str, Any] | str | None) -> dict[str, Any]:
    """A settings mapping given as a YAML mapping or a JSON string; InputError if unusable."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise InputError(f"--{name}: not valid JSON ({error.msg})") from None
    if not isinstance(value, dict | None):
        raise InputError(f"--{name}: expected a mapping of settings")
    fields = _FIELDS[name]
    unknown = sorted(set(value or {}) - fields)
    if unknown:
        raise InputError(
            f"--{name}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(fields))})"
        )
    return dict(value or {})


_FIELDS = {
    "grading": set(GradingConfig.__dataclass_fields__),
    "eval_grading": set(GradingConfig.__dataclass_fields__),
    "penalty": set(FormatPenalty.__dataclass_fields__),
}


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


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
        "bf16": _cuda(),
        "activation_checkpointing": False,
        "report_to": ["tensorboard"] if importlib.util.find_spec("tensorboard") else "none",
    }


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(loaded, dict):
        raise InputError(f"{path}: expected a mapping of settings")
    return loaded


def _split_yaml(path: Path) -> dict[str, Any]:
    """Flatten a run YAML into parser defaults, rejecting keys neither config knows."""
    values = _read_yaml(path)
    grpo = values.pop("grpo", None) or {}
    if not isinstance(grpo, dict):
        raise InputError(f"{path}: `grpo` must be a mapping of GRPOConfig fields")
    ours = set(TrainConfig.__dataclass_fields__)
    theirs = set(GRPOConfig.__dataclass_fields__)
    for key in values:
        if key not in ours:
            hint = " (a GRPOConfig field: put it under `grpo:`)" if key in theirs else ""
            raise InputError(f"{path}: unknown setting {key!r}{hint}")
    for key in grpo:
        if key not in theirs:
            raise InputError(f"{path}: unknown GRPOConfig field grpo.{key!r}")
    return {**values, **grpo}


def parse_train_args(argv: Sequence[str]) -> tuple[TrainConfig, GRPOConfig]:
    """Parse `[--config run.yaml] [--FIELD VALUE ...]` into our config and TRL's GRPOConfig."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", type=Path, default=None)
    known, rest = pre.parse_known_args(list(argv))
    dataclasses: list[Any] = [TrainConfig, GRPOConfig]
    parser = HfArgumentParser(dataclasses, prog="rubricrl train")
    parser.add_argument(
        "--config", type=Path, default=known.config, help="Run YAML (flags override its values)."
    )
    parser.set_defaults(**grpo_defaults())
    if known.config is not None:
        parser.set_defaults(**_split_yaml(known.config))
    try:
        train, grpo, _extra = parser.parse_args_into_dataclasses(args=rest)
    except ValueError as error:
        raise InputError(f"train: {str(error).splitlines()[0]}") from None
    if not train.samples:
        raise InputError("train: --samples (or `samples:` in the config) is required")
    return train, grpo
