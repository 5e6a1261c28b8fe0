"""The learning curves: one line per arm that logged, and arms with no logs yet leave no trace."""

from __future__ import annotations

from pathlib import Path

from rubricrl.experiments.plots import PANELS, curve_series, save_curves
from rubricrl.jsonl import write_records
from rubricrl.layout import RunLayout
from rubricrl.records import HeldOutEval, TrainingStep


def logged_arm(folder: Path, rewards: list[float]) -> Path:
    layout = RunLayout(folder)
    folder.mkdir(parents=True)
    write_records(
        layout.metrics,
        [TrainingStep(step=s, reward_mean=r) for s, r in enumerate(rewards, start=1)],
    )
    write_records(
        layout.evals,
        [
            HeldOutEval(step=0, heldout_score=0.2),
            HeldOutEval(step=2, heldout_score=0.2, independent_score=0.4),
        ],
    )
    return folder


def test_each_panel_holds_the_arms_that_logged_its_measure(tmp_path: Path) -> None:
    arms = {
        "rubric": logged_arm(tmp_path / "rubric", [0.1, 0.2, 0.3]),
        "self": tmp_path / "never-trained",
    }
    reward, independent = (curve_series(arms)[title] for title, _, _ in PANELS)
    assert reward == {"rubric": ([1, 2, 3], [0.1, 0.2, 0.3])}
    assert independent == {"rubric": ([2], [0.4])}  # rows without the measure are skipped


def test_the_curves_are_a_png(tmp_path: Path) -> None:
    target = tmp_path / "curves.png"
    save_curves({"rubric": logged_arm(tmp_path / "rubric", [0.1, 0.2])}, target)
    assert target.read_bytes().startswith(b"\x89PNG")
