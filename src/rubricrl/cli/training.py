"""`rubricrl train` (GRPO with rubric rewards) and `rubricrl plan` (write plans with any model)."""

from __future__ import annotations

import typer

from rubricrl.cli import out
from rubricrl.config import parse
from rubricrl.evaluation.plan import PlanConfig, plan_file


def train(ctx: typer.Context) -> None:
    """Train the policy with GRPO: `--config run.yaml` and/or any TrainConfig/GRPOConfig flag
    (`rubricrl train --help` lists them all)."""
    from rubricrl.training.config import parse_train_args
    from rubricrl.training.run import train as run_training

    config, grpo = parse_train_args(ctx.args)
    run = run_training(config, grpo)
    out.print(f"trained to step {run.trainer.state.global_step}: {grpo.output_dir}")


def plan(ctx: typer.Context) -> None:
    """Write research plans for every goal in SAMPLES with a model (resumable)."""
    config = parse(PlanConfig, ctx.args, "rubricrl plan")
    written = plan_file(config)
    out.print(f"{written} new plans -> {config.output}")
