"""The HTML report: what a partial run folder shows, input errors, and escaped user text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.evaluation.report import heldout_items, render_report
from rubricrl.records import HeldOutEval
from tests.builders import report_run, sample, write_jsonl

PROBE_ROW = {
    "grader": "embed",
    "goals": 4,
    "plans": 40,
    "ordering_accuracy": 0.9,
    "ci_low": 0.8,
    "ci_high": 1.0,
    "item_auc": 0.8,
    "length_bias": 0.0,
    "unscored_share": 0.0,
    "items_per_second": 10.0,
    "seconds": 1.0,
}


def test_missing_pieces_say_not_available(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "metrics.jsonl", [{"step": 1, "reward_mean": 0.5}])
    page = render_report(tmp_path)
    assert 'id="plot-training"' in page
    assert page.count("not available") >= 4
    assert 'id="table-winrates"' not in page


def test_empty_or_missing_run_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run folder"):
        render_report(tmp_path / "absent")
    with pytest.raises(InputError, match="none of"):
        render_report(tmp_path)


def test_bad_metrics_row_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\n{"reward_mean": 2}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"metrics\.jsonl:2: not a TrainingStep: step"):
        render_report(tmp_path)


def test_a_broken_summary_names_its_file_and_kind(tmp_path: Path) -> None:
    run = report_run(tmp_path)
    (run / "comparisons.summary.json").write_text('{"model_a": "a"}', encoding="utf-8")
    with pytest.raises(InputError, match=r"comparisons\.summary\.json: not a comparison summary"):
        render_report(run)


def test_user_text_is_escaped(tmp_path: Path) -> None:
    page = render_report(report_run(tmp_path))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_a_human_study_exported_into_the_run_gets_a_section(tmp_path: Path) -> None:
    from rubricrl.study.export import StudyExportConfig, export_study
    from rubricrl.study.store import Study
    from tests.builders import study_file

    run = report_run(tmp_path / "run")
    assert 'id="table-human"' not in render_report(run)
    study, _, _ = study_file(tmp_path / "study", ("ann",))
    for assignment in Study(study).assignments(1):
        if assignment.kind == "pairwise":
            Study(study).vote(1, assignment.id, preference=2, shown=1)
    jury = [  # P(A better) per goal; g3 has no human vote
        {
            "id": f"j-{goal}", "sample_id": goal, "model_a": "model-a", "model_b": "model-b",
            "judgments": [
                {"judge": "llm", "a_first": True, "preferred": "A", "first_better": p},
                {"judge": "llm", "a_first": False, "preferred": "B", "first_better": 1 - p},
            ],
            "decision": "A",
        }
        for goal, p in {"g0": 0.95, "g1": 0.75, "g2": 0.45, "g3": 0.85}.items()
    ]  # fmt: skip
    write_jsonl(tmp_path / "jury.jsonl", jury)
    export_study(
        StudyExportConfig(study=study, output=run / "human.jsonl", jury=tmp_path / "jury.jsonl")
    )
    page = render_report(run)
    assert 'id="table-human"' in page and "win rate of model-a over model-b" in page
    assert "1.000 [0.439, 1.000]" in page  # A won all three goals: Wilson's interval, not [1, 1]
    assert "Gwet's AC1, preference / item approval" in page
    assert 'id="table-fusion"' in page and "prediction-powered (PPI++)" in page
    assert '<td>jury only, every compared goal</td><td class="num">0.750</td>' in page
    assert 'id="table-calibration"' in page and "[0.40, 0.50)" in page
    assert "Expected calibration error 0.283 over 3 goals" in page  # 1 - P: .05, .25, .55
    assert 'id="table-annotators"' in page
    assert re.search(r"<td>ann</td><td class=\"num\">3</td><td class=\"num\">-</td>", page)


def test_the_probe_section_shows_hack_margins_and_verdicts(tmp_path: Path) -> None:
    margin = {"mean": 0.4, "low": 0.3, "high": 0.5}
    hacked = {**PROBE_ROW, "grader": "judge", "hack_margins": {"stuffing": margin}}
    write_jsonl(tmp_path / "probe.jsonl", [PROBE_ROW, hacked])  # the first row predates margins
    page = render_report(tmp_path)
    assert 'id="probe-hack-table"' in page and "<th>keyword_off_topic</th>" in page
    assert "0.400 [0.300, 0.500]" in page
    assert "hackable by stuffing" in page and "untested" in page


def test_held_out_items_are_named_by_their_text() -> None:
    goals = [sample("g1", "A goal", {"i1": "Names a baseline"}, "ref")]
    evals = [
        HeldOutEval(step=s, heldout_score=0.5, item_satisfaction={"g1/i1": 0.1 * s, "g9/i1": 0.2})
        for s in (0, 4)
    ]
    rows = heldout_items(evals, goals)
    assert [(r["item"], r["text"], r["last"]) for r in rows] == [
        ("g1/i1", "Names a baseline", 0.4),
        ("g9/i1", "", 0.2),
    ]
