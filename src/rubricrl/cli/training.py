"""`rubricrl train` (GRPO with rubric rewards) and `rubricrl plan` (write plans with any model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rubricrl.backends.registry import SPEC_HELP
from rubricrl.cli import out
from rubricrl.evaluation.plan import PlanConfig, plan_file

PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
# `train` hands every flag, --help included, to the run config's own parser.
TRAIN_OPTIONS: dict[str, Any] = {"context_settings": PASSTHROUGH, "add_help_option": False}


def train(ctx: typer.Context) -> None:
    """Train the policy with GRPO: `--config run.yaml` and/or any TrainConfig/GRPOConfig flag
    (`rubricrl train --help` lists them all)."""
    from rubricrl.training.config import parse_train_args
    from rubricrl.training.run import train as run_training

    config, grpo = parse_train_args(ctx.args)
    run = run_training(config, grpo)
    out.print(f"trained to step {run.trainer.state.global_step}: {grpo.output_dir}")


def plan(
    samples: Path = typer.Argument(..., help="Samples (JSONL) whose goals to plan for."),
    model: str = typer.Option(
        "embedded", help=f"Model spec ({SPEC_HELP}); a checkpoint is hf:DIR."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", help="Plans file (JSONL); resumes if present."
    ),
    n: int = typer.Option(1, help="Plans per goal."),
    max_tokens: int = typer.Option(1024, help="Most tokens per plan."),
    temperature: float = typer.Option(0.7, help="Sampling temperature (0 = greedy)."),
    seed: int | None = typer.Option(0, help="Sampling seed."),
    batch_size: int = typer.Option(8, help="Goals per backend call."),
    no_cache: bool = typer.Option(False, help="Bypass the response cache."),
) -> None:
    """Write research plans for every goal in SAMPLES with MODEL."""
    config = PlanConfig(
        n=n, max_tokens=max_tokens, temperature=temperature, seed=seed, batch_size=batch_size
    )
    written = plan_file(samples, model, output, config, cache=not no_cache)
    out.print(f"{written} new plans -> {output}")
