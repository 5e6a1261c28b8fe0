"""Export: votes become Comparison/Judgment records (judge human:NAME), approvals and a summary
with win rate, agreement and approval per domain; exporting reveals the models."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.jsonl import load_records, write_records
from rubricrl.records import Comparison, HumanStudySummary, HumanVote, ItemApproval, ItemReview
from rubricrl.study.export import StudyExportConfig, export_paths, export_study, render_study
from rubricrl.study.store import ItemVote, Study
from tests.builders import judgment, study_file


def vote_all(study: Study, preferences: dict[int, list[int]]) -> None:
    """Annotator id -> their preference per pairwise task (in task order); items: reject r0."""
    for annotator, prefs in preferences.items():
        tasks = sorted(study.assignments(annotator), key=lambda a: a.task_id)
        pairs = [a for a in tasks if a.kind == "pairwise"]
        for assignment, preference in zip(pairs, prefs, strict=True):
            study.vote(annotator, assignment.id, preference=preference, shown=3)
        for assignment in (a for a in tasks if a.kind == "approval"):
            items = [ItemVote(f"r{k}", k != 0, "gives-away" if k == 0 else None) for k in range(3)]
            study.vote(annotator, assignment.id, items=items)


def test_export_writes_jury_records_and_a_summary(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann", "bob"))
    study = Study(path)
    vote_all(study, {1: [2, 1, -1], 2: [1, 0, -2]})  # tasks g0, g1, g2
    jury = [  # an LLM jury that saw B as A: its verdicts flip onto the study's sides
        Comparison(
            id=f"j{i}",
            sample_id=f"g{i}",
            model_a="model-b",
            model_b="model-a",
            judgments=[judgment(p, True, "llm"), judgment(p, False, "llm")],
            decision=p,
        )
        for i, p in enumerate(["B", "A", "A"])
    ]
    write_records(tmp_path / "jury.jsonl", jury)
    output = tmp_path / "human.jsonl"
    config = StudyExportConfig(
        study=path, output=output, jury=tmp_path / "jury.jsonl", rejected=tmp_path / "rej.jsonl"
    )
    assert study.meta()["exported"] == "0"
    summary = export_study(config)
    assert study.meta()["exported"] == "1"
    human = load_records(output, Comparison)
    assert [c.decision for c in human] == ["A", "tie", "B"]  # g1: A vs tie splits -> tie
    assert {j.judge for c in human for j in c.judgments} == {"human:ann", "human:bob"}
    assert all(len(c.judgments) == 2 and c.model_a == "model-a" for c in human)
    votes_path, approvals_path, summary_path = export_paths(output)
    votes = load_records(votes_path, HumanVote)
    assert sorted(v.preference for v in votes) == [-2, -1, 0, 1, 1, 2]
    approvals = load_records(approvals_path, ItemApproval)
    assert len(approvals) == 2 * 3 * 3
    assert {a.reason for a in approvals if not a.approved} == {"gives away the solution"}
    assert HumanStudySummary.model_validate_json(summary_path.read_text()) == summary
    assert summary.overall.win_rate == pytest.approx(0.5)  # A, tie, B
    assert (summary.by_vote.wins, summary.by_vote.losses, summary.by_vote.ties) == (3, 2, 1)
    assert summary.kappa[0].judges == ["ann", "bob"] and summary.kappa[0].n == 3
    assert summary.alpha_approval == pytest.approx(1.0)
    by_judge = {j.judges[0]: j for j in summary.judges}
    assert by_judge["llm"].percent == pytest.approx(2 / 3)  # flipped: A, B, B vs A, tie, B
    assert by_judge["jury"].n == 3
    assert summary.approval.rate == pytest.approx(2 / 3)
    assert set(summary.approval_by_domain) == {"bio", "ml"}
    assert summary.approval_by_domain["ml"].reasons == {"gives away the solution": 4}
    rejected = load_records(tmp_path / "rej.jsonl", ItemReview)
    assert [r.item_id for r in rejected] == ["r0"] * 3 and all(r.rejections == 2 for r in rejected)
    assert sum(summary.filter_agreement.values()) == 9
    text = render_study(summary)
    assert "human majority per goal: 0.500" in text and "domain ml: approved 0.667" in text


def test_an_empty_study_exports_unscored_rates(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann",))
    summary = export_study(StudyExportConfig(study=path, output=tmp_path / "h.jsonl"))
    assert summary.overall.n == 0 and summary.overall.win_rate is None
    assert summary.alpha_preference is None and summary.approval.rate is None
    assert load_records(tmp_path / "h.jsonl", Comparison, allow_empty=True) == []
