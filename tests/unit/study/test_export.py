"""Export: votes become Comparison/Judgment records (judge human:NAME), approvals and a summary
with win rate, agreement and approval per domain; exporting reveals the models."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.evaluation.fusion import fused_win_rate
from rubricrl.jsonl import load_records, write_records
from rubricrl.records import (
    Comparison,
    HumanStudySummary,
    HumanVote,
    ItemApproval,
    ItemReview,
    Judgment,
)
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
    assert summary.fused is None and "goals without human votes" in (summary.fused_reason or "")
    assert summary.calibration is None
    assert summary.calibration_reason == "the jury gave no probability verdicts"
    text = render_study(summary)
    assert "human majority per goal: 0.500" in text and "domain ml: approved 0.667" in text
    assert "jury calibration: none (the jury gave no probability verdicts)" in text


def test_an_empty_study_exports_unscored_rates(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann",))
    summary = export_study(StudyExportConfig(study=path, output=tmp_path / "h.jsonl"))
    assert summary.overall.n == 0 and summary.overall.win_rate is None
    assert summary.alpha_preference is None and summary.approval.rate is None
    assert summary.ac1_preference is None and summary.fused is None and summary.calibration is None
    assert summary.fused_reason is None and summary.calibration_reason is None
    assert load_records(tmp_path / "h.jsonl", Comparison, allow_empty=True) == []


def probability_jury(p_a: dict[str, float]) -> list[Comparison]:
    """Goal -> the jury's P(model-a better), from one judge that saw model-b as A."""
    return [
        Comparison(
            id=f"j-{goal}",
            sample_id=goal,
            model_a="model-b",
            model_b="model-a",
            judgments=[  # A-first shows model-b first, B-first shows model-a first
                Judgment(judge="llm", a_first=True, preferred="B", first_better=1 - p),
                Judgment(judge="llm", a_first=False, preferred="B", first_better=p),
            ],
            decision="B" if p > 0.5 else "A",
        )
        for goal, p in p_a.items()
    ]


def test_the_jury_fuses_with_the_votes_and_is_calibrated_against_them(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann", "bob"))
    vote_all(Study(path), {1: [2, 1, -1], 2: [1, 0, -2]})  # g0: A A, g1: A tie, g2: B B
    p_a = {"g0": 0.95, "g1": 0.65, "g2": 0.25, "g3": 0.75, "g4": 0.85}  # g3, g4: no human votes
    write_records(tmp_path / "jury.jsonl", probability_jury(p_a))
    config = StudyExportConfig(
        study=path, output=tmp_path / "h.jsonl", jury=tmp_path / "jury.jsonl"
    )
    summary = export_study(config)
    fused = summary.fused
    assert fused is not None and summary.fused_reason is None
    known = fused_win_rate([1.0, 0.75, 0.0], [0.95, 0.65, 0.25], [0.75, 0.85])
    for got, want in ((fused.human, known.human), (fused.jury, known.jury), (fused.ppi, known.ppi)):
        assert (got.value, got.low, got.high) == pytest.approx((want.value, want.low, want.high))
    assert fused.lam == pytest.approx(known.lam)
    assert fused.human.value == pytest.approx(1.75 / 3) and fused.human.n == 3
    assert fused.jury.value == pytest.approx(0.69) and fused.jury.n == 5
    assert fused.ppi.n == 3 and fused.unvoted == 2
    calibration = summary.calibration
    assert calibration is not None and summary.calibration_reason is None
    assert [(b.n, b.observed) for b in calibration.curve] == [(1, 0.0), (1, 1.0), (1, 1.0)]
    assert calibration.ece == pytest.approx((0.25 + 0.35 + 0.05) / 3)  # majority B, A, A
    assert summary.ac1_preference == pytest.approx(0.52)  # pa 2/3, pe 11/36
    assert summary.ac1_approval == pytest.approx(1.0)
    agree = {j.judges[0]: j.percent for j in summary.judges}  # A, A, B vs A, tie, B
    assert agree == {"llm": pytest.approx(2 / 3), "jury": pytest.approx(2 / 3)}
    assert HumanStudySummary.model_validate_json(export_paths(config.output)[2].read_text()) == (
        summary
    )
    text = render_study(summary)
    assert "Gwet's AC1: preference 0.52 (A / B / tie), approval 1.00" in text
    assert "experts only: 0.583" in text and "+ 2 jury-only goals" in text
    assert "jury calibration over 3 goals: ECE 0.217 (10 bins)" in text


def test_a_summary_written_before_fusion_still_loads(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann",))
    summary = export_study(StudyExportConfig(study=path, output=tmp_path / "h.jsonl"))
    older = summary.model_dump(exclude={"ac1_preference", "ac1_approval", "fused", "calibration"})
    older = {k: v for k, v in older.items() if not k.endswith("_reason")}
    assert HumanStudySummary.model_validate(older) == summary
