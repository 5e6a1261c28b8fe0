"""The learning experiment's curves: each arm's training reward and held-out scores by step."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from rubricrl.jsonl import read_records
from rubricrl.layout import RunLayout
from rubricrl.records import HeldOutEval, TrainingStep

Series = tuple[list[int], list[float]]
PANELS = (
    ("training reward (own grader)", "metrics", "reward_mean"),
    ("held-out score, independent grader (greedy)", "evals", "independent_score"),
)


def _series(path: Path, row_type: type, key: str) -> Series:
    if not path.exists():
        return [], []
    rows: list[Any] = list(read_records(path, row_type, torn_tail_ok=True))
    rows = [r for r in rows if getattr(r, key) is not None]
    return [r.step for r in rows], [float(getattr(r, key)) for r in rows]


def curve_series(arms: Mapping[str, Path]) -> dict[str, dict[str, Series]]:
    """Panel title -> arm -> (steps, values), for the arms that logged that measure."""
    panels: dict[str, dict[str, Series]] = {}
    for title, log, key in PANELS:
        lines = {}
        for arm, folder in arms.items():
            layout = RunLayout(folder)
            path, row_type = (
                (layout.metrics, TrainingStep) if log == "metrics" else (layout.evals, HeldOutEval)
            )
            steps, values = _series(path, row_type, key)
            if steps:
                lines[arm] = (steps, values)
        panels[title] = lines
    return panels


def save_curves(arms: Mapping[str, Path], target: Path) -> None:
    """One panel per measure, one line per arm, written as a PNG beside the result."""
    panels = curve_series(arms)
    figure = Figure(figsize=(5.0 * len(panels), 3.6))
    for slot, (title, lines) in enumerate(panels.items(), start=1):
        axes = figure.add_subplot(1, len(panels), slot)
        for arm, (steps, values) in lines.items():
            axes.plot(steps, values, marker="." if len(steps) < 8 else None, label=arm)
        axes.set_title(title, fontsize="medium")
        axes.set_xlabel("step")
        if lines:
            axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    figure.savefig(target, dpi=110)
