"""`rubricrl experiment`: the controlled learning experiment (arms, held-out scores, curves)."""

from __future__ import annotations

import typer

from rubricrl.cli import out
from rubricrl.config import parse


def experiment(ctx: typer.Context) -> None:
    """Does GRPO on a rubric reward make plans better? Train the arms (rubric, shuffled-reward
    control, self-grader) alike and score them on held-out goals with an independent grader
    (resumable; `--heldout FILE` again scores every arm on more goals without retraining)."""
    from rubricrl.experiments.learning import ExperimentLayout, LearningConfig, run_experiment

    config = parse(LearningConfig, ctx.args, "rubricrl experiment")
    for result in run_experiment(config):
        out.print(result.markdown(), markup=False, highlight=False)
    layout = ExperimentLayout(config.output_dir)
    out.print(f"result: {layout.result}, {layout.table}; curves: {layout.curves}")
