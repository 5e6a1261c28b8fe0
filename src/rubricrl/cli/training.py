"""`rubricrl train`: GRPO with rubric rewards (its own parser: TrainConfig and GRPOConfig flags)."""

from __future__ import annotations

import typer

from rubricrl.cli.streams import out


def train(ctx: typer.Context) -> None:
    """Train the policy with GRPO: `--config run.yaml` and/or any TrainConfig/GRPOConfig flag
    (`rubricrl train --help` lists them all)."""
    from rubricrl.training.config import parse_train_args
    from rubricrl.training.run import train as run_training

    config, grpo = parse_train_args(ctx.args)
    run = run_training(config, grpo)
    out.print(f"trained to step {run.trainer.state.global_step}: {grpo.output_dir}")
