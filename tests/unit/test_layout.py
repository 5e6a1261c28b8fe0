"""The run-folder layout: one name per file, shared by the demo, training and the report."""

from pathlib import Path

from rubricrl.layout import POLICIES, RunLayout, summary_path


def test_every_report_input_lives_in_the_run_folder_under_a_distinct_name() -> None:
    layout = RunLayout(Path("runs/x"))
    inputs = layout.report_inputs()
    assert all(path.parent == Path("runs/x") for path in inputs)
    assert len({path.name for path in inputs}) == len(inputs)
    assert {layout.plans(p) for p in POLICIES} <= set(inputs)


def test_a_summary_sits_beside_its_comparisons() -> None:
    assert summary_path(Path("out/c.jsonl")) == Path("out/c.summary.json")
    assert RunLayout(Path("r")).summary == Path("r/comparisons.summary.json")
