"""`rubricrl demo`: the main job end to end on the embedded model."""

from __future__ import annotations

from pathlib import Path

import typer

from rubricrl.cli import console
from rubricrl.demo import DemoConfig, run_demo


def demo(
    papers: Path = typer.Option(Path("examples/papers"), help="Folder of papers to mine."),
    run_dir: Path = typer.Option(Path("runs/demo"), help="Folder for every stage's files."),
    model: str = typer.Option("embedded", help="Model spec for every role."),
    train_steps: int = typer.Option(4, help="GRPO steps."),
    seed: int = typer.Option(0, help="Seed of sampling, split and training."),
) -> None:
    """Ingest, extract, split, train, plan, score, compare and report, resuming where it stopped."""
    config = DemoConfig(
        papers=papers, run_dir=run_dir, model=model, train_steps=train_steps, seed=seed
    )
    run_demo(config, console)
