"""Results of a study: votes as the jury's Comparison/Judgment records (judge `human:NAME`), item
approvals, and a summary of win rate, agreement and approval; exporting reveals the models."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rubricrl.config import option
from rubricrl.corpus.select import rules_against_people
from rubricrl.errors import InputError
from rubricrl.evaluation.calibration import jury_calibration
from rubricrl.evaluation.fusion import fuse_study
from rubricrl.evaluation.jury import decide, jury_probability, verdicts_by_judge
from rubricrl.evaluation.win_rates import rate_row
from rubricrl.jsonl import load_records, write_records
from rubricrl.layout import summary_path
from rubricrl.records import (
    AnnotatorRow,
    ApprovalRow,
    Calibration,
    Comparison,
    HumanStudySummary,
    HumanVote,
    ItemApproval,
    ItemReview,
    JudgeAgreement,
    Judgment,
    Preference,
    WinRateRow,
    shown,
)
from rubricrl.stage import write_summary
from rubricrl.stats import WIN_RATE_CONVENTION
from rubricrl.study.agreement import ac1, alpha, pair_agreement, rater_kappas
from rubricrl.study.annotators import (
    annotator_rows,
    excluded_annotators,
    labels_by_annotator,
    preference_of,
)
from rubricrl.study.skill import weigh_annotators
from rubricrl.study.store import REJECT_REASONS, Study

HUMAN_MAJORITY = "human majority"
PREFERENCES: tuple[Preference, ...] = ("A", "B", "tie")
APPROVAL = ("rejected", "approved")
FLIPPED: dict[Preference | None, Preference | None] = {"A": "B", "B": "A", "tie": "tie", None: None}
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class StudyExportConfig:
    """Export a study's votes as jury records with a summary; reveals the models to the admin."""

    study: Path = option(help="Study file.", positional=True, input="file")
    output: Path = option(
        help="Comparisons JSONL (judges human:NAME); votes, approvals and the summary "
        "go beside it.",
        flags=("-o",),
        output="file",
    )
    jury: Path | None = option(
        None,
        "LLM comparisons of the same plans: each judge against the people, the jury's "
        "calibration, and experts and jury in one (prediction-powered) win rate.",
        input="file",
    )
    rejected: Path | None = option(
        None, "Write the items most annotators rejected (ItemReview).", output="file"
    )
    bootstrap: int = option(1000, "Bootstrap resamples.", min=1)
    seed: int = option(0, "Seed of the bootstrap.")


def human_votes(study: Study) -> list[HumanVote]:
    """Every pairwise vote, gold tasks' with their known answer."""
    rows = study.rows(
        "SELECT a.task_id, t.sample_id, t.gold, n.name, a.a_first, v.* FROM votes v "
        "JOIN assignments a ON a.id = v.assignment_id JOIN tasks t ON t.id = a.task_id "
        "JOIN annotators n ON n.id = a.annotator_id WHERE t.kind = 'pairwise' ORDER BY t.rowid, n.id"
    )
    return [
        HumanVote(
            id=f"{r['task_id']}~{r['name']}",
            task_id=r["task_id"],
            sample_id=r["sample_id"],
            annotator=r["name"],
            a_first=bool(r["a_first"]),
            preference=r["preference"],
            reason=r["reason"],
            seconds=r["seconds"],
            submitted=r["submitted"],
            gold=None if r["gold"] is None else preference_of(r["gold"]),
        )
        for r in rows
    ]


def item_approvals(study: Study) -> list[ItemApproval]:
    rows = study.rows(
        "SELECT a.task_id, t.sample_id, t.domain, t.payload, n.name, i.* FROM item_votes i "
        "JOIN assignments a ON a.id = i.assignment_id JOIN tasks t ON t.id = a.task_id "
        "JOIN annotators n ON n.id = a.annotator_id ORDER BY t.rowid, n.id, i.rowid"
    )
    texts = {}
    for r in rows:
        if r["task_id"] not in texts:
            items = json.loads(r["payload"])["sample"]["rubric"]
            texts[r["task_id"]] = {item["id"]: item["text"] for item in items}
    return [
        ItemApproval(
            id=f"{r['task_id']}/{r['item_id']}~{r['name']}",
            sample_id=r["sample_id"],
            domain=r["domain"],
            item_id=r["item_id"],
            text=texts[r["task_id"]][r["item_id"]],
            annotator=r["name"],
            approved=bool(r["approved"]),
            reason=REJECT_REASONS.get(r["reason"], r["reason"]),
        )
        for r in rows
    ]


def comparisons(study: Study, votes: Sequence[HumanVote]) -> list[Comparison]:
    """One Comparison per voted goal: each annotator's one judgment, the majority as decision."""
    meta = study.meta()
    domains = {r["id"]: r["domain"] for r in study.rows("SELECT id, domain FROM tasks")}
    by_task: dict[str, list[HumanVote]] = {}
    for vote in votes:
        by_task.setdefault(vote.task_id, []).append(vote)
    return [
        Comparison(
            id=task,
            sample_id=group[0].sample_id,
            domain=domains[task],
            model_a=meta["model_a"],
            model_b=meta["model_b"],
            judgments=[
                Judgment(
                    judge=f"human:{v.annotator}",
                    a_first=v.a_first,
                    preferred=preference_of(v.preference),
                    rationale=v.reason,
                )
                for v in group
            ],
            decision=decide([preference_of(v.preference) for v in group]),
        )
        for task, group in by_task.items()
    ]


def _approval(approvals: Sequence[ItemApproval]) -> ApprovalRow:
    approved = sum(a.approved for a in approvals)
    reasons = Counter(a.reason or "no reason" for a in approvals if not a.approved)
    rate = approved / len(approvals) if approvals else None
    return ApprovalRow(votes=len(approvals), approved=approved, rate=rate, reasons=dict(reasons))


def item_reviews(approvals: Sequence[ItemApproval]) -> list[ItemReview]:
    """Each voted item with its approvals, rejections and the majority's finding."""
    grouped: dict[str, list[ItemApproval]] = {}
    for approval in approvals:
        grouped.setdefault(f"{approval.sample_id}/{approval.item_id}", []).append(approval)
    reviews = []
    for key, group in grouped.items():
        row = _approval(group)
        approved, rejected, reasons = row.approved, row.votes - row.approved, row.reasons
        reviews.append(
            ItemReview(
                id=key,
                sample_id=group[0].sample_id,
                item_id=group[0].item_id,
                text=group[0].text,
                approvals=approved,
                rejections=rejected,
                rejected=rejected > approved,
                reasons=reasons,
            )
        )
    return reviews


def _swapped(comparison: Comparison) -> Comparison:
    """The same comparison with A and B trading places: every verdict flips, and each judgment's
    P(first better) stays with the plan shown first."""
    judgments = [
        j.model_copy(update={"a_first": not j.a_first, "preferred": FLIPPED[j.preferred]})
        for j in comparison.judgments
    ]
    return comparison.model_copy(
        update={
            "model_a": comparison.model_b,
            "model_b": comparison.model_a,
            "judgments": judgments,
            "decision": FLIPPED[comparison.decision],
        }
    )


def _oriented(jury: Sequence[Comparison], models: tuple[str, str]) -> list[Comparison]:
    """The jury's comparisons of the study's two models, with the study's A as A."""
    return [
        c if (c.model_a, c.model_b) == models else _swapped(c)
        for c in jury
        if models in ((c.model_a, c.model_b), (c.model_b, c.model_a))
    ]


def _jury_agreement(
    jury: Sequence[Comparison], human: Sequence[Comparison]
) -> list[JudgeAgreement]:
    """Each LLM judge's verdict, and the jury's decision, against the human majority per goal."""
    majority = {c.sample_id: c.decision for c in human}
    llm: dict[str, dict[str, Preference | None]] = {}
    for comparison in jury:
        verdicts = verdicts_by_judge(comparison.judgments) | {"jury": comparison.decision}
        for name, verdict in verdicts.items():
            llm.setdefault(name, {})[comparison.sample_id] = verdict
    shared = {name: {s: v for s, v in got.items() if s in majority} for name, got in llm.items()}
    return [pair_agreement((name, HUMAN_MAJORITY), got, majority) for name, got in shared.items()]


def _or_reason(compute: Callable[[], T]) -> tuple[T | None, str | None]:
    """What `compute` gives, or None and why it could not."""
    try:
        return compute(), None
    except InputError as error:
        return None, str(error)


def _calibration(
    votes: Mapping[str, Sequence[Preference]], jury: Sequence[Comparison]
) -> Calibration:
    """The jury's calibration against the human majority; it needs probability verdicts."""
    if all(jury_probability(c) is None for c in jury):
        raise InputError("the jury gave no probability verdicts")
    return jury_calibration(votes, jury)


def _with_jury(
    summary: HumanStudySummary, votes: Sequence[HumanVote], jury: Sequence[Comparison]
) -> HumanStudySummary:
    """The summary with experts and jury fused and the jury's calibration, each None with the
    reason where the jury's comparisons (oriented as the study's) do not allow it."""
    by_goal: dict[str, list[Preference]] = {}
    for vote in votes:
        by_goal.setdefault(vote.sample_id, []).append(preference_of(vote.preference))
    fused, fused_reason = _or_reason(lambda: fuse_study(by_goal, jury))
    calibration, calibration_reason = _or_reason(lambda: _calibration(by_goal, jury))
    update = {
        "fused": fused,
        "fused_reason": fused_reason,
        "calibration": calibration,
        "calibration_reason": calibration_reason,
    }
    return summary.model_copy(update=update)


def _skill_weighted(
    votes: Sequence[HumanVote], resamples: int, seed: int
) -> tuple[WinRateRow | None, dict[str, float]]:
    """Dawid-Skene over every real vote: the win rate of its P(A better) per goal (a tie counts
    half), and each annotator's skill."""
    weighted = weigh_annotators(labels_by_annotator(votes), PREFERENCES)
    if weighted is None:
        return None, {}
    tasks = sorted(weighted.labels)
    decisions: list[str | None] = [weighted.labels[task] for task in tasks]
    p_a = [weighted.probabilities[t]["A"] + weighted.probabilities[t]["tie"] / 2 for t in tasks]
    return rate_row(decisions, resamples, seed, p_a), weighted.skills


def _seat_status(study: Study) -> dict[str, str]:
    """Each panel participant's state, by annotator name."""
    rows = study.rows(
        "SELECT n.name, CASE WHEN s.screened_out IS NOT NULL THEN 'screened out' "
        "WHEN s.finished IS NOT NULL THEN 'finished' WHEN s.passed IS NOT NULL THEN 'working' "
        "ELSE 'checking' END AS status FROM seats s JOIN annotators n ON n.id = s.annotator_id"
    )
    return {r["name"]: r["status"] for r in rows}


def summarize_study(
    study: Study, jury: Sequence[Comparison] = (), resamples: int = 1000, seed: int = 0
) -> tuple[HumanStudySummary, list[Comparison], list[HumanVote], list[ItemApproval]]:
    """The summary and the records it rests on. Gold votes score annotators only; annotators
    whose gold accuracy is under the study's minimum are left out of every result, and their
    records are kept, flagged."""
    meta = study.meta()
    gold_min = float(meta.get("gold_min", "0"))  # files from before gold tasks have none
    everything = human_votes(study)
    excluded = excluded_annotators(everything, gold_min)
    everything = [v.model_copy(update={"excluded": v.annotator in excluded}) for v in everything]
    every_approval = [
        a.model_copy(update={"excluded": a.annotator in excluded}) for a in item_approvals(study)
    ]
    real = [v for v in everything if v.gold is None]
    votes = [v for v in real if not v.excluded]
    approvals = [a for a in every_approval if not a.excluded]
    human = comparisons(study, votes)
    preference: dict[str, dict[str, float]] = {}
    for vote in votes:
        preference.setdefault(vote.annotator, {})[vote.task_id] = vote.preference
    labels = labels_by_annotator(votes)
    approved: dict[str, dict[str, float]] = {}
    approval_labels: dict[str, dict[str, str]] = {}
    for a in approvals:
        unit = f"{a.sample_id}/{a.item_id}"
        approved.setdefault(a.annotator, {})[unit] = float(a.approved)
        approval_labels.setdefault(a.annotator, {})[unit] = APPROVAL[a.approved]
    domains: dict[str, list[ItemApproval]] = {}
    for a in approvals:
        domains.setdefault(a.domain or "unknown", []).append(a)
    names = [r["name"] for r in study.rows("SELECT name FROM annotators ORDER BY id")]
    jury_pair = _oriented(jury, (meta["model_a"], meta["model_b"]))
    skill_weighted, skills = _skill_weighted(real, resamples, seed)
    summary = HumanStudySummary(
        model_a=meta["model_a"],
        model_b=meta["model_b"],
        annotators=names,
        convention=WIN_RATE_CONVENTION,
        overall=rate_row([c.decision for c in human], resamples, seed),
        by_vote=rate_row([preference_of(v.preference) for v in votes], resamples, seed),
        kappa=rater_kappas(labels),
        alpha_preference=alpha(preference, "ordinal"),
        alpha_approval=alpha(approved, "nominal"),
        ac1_preference=ac1(labels, PREFERENCES),
        ac1_approval=ac1(approval_labels, APPROVAL),
        judges=_jury_agreement(jury_pair, human),
        approval=_approval(approvals),
        approval_by_domain={d: _approval(group) for d, group in sorted(domains.items())},
        filter_agreement=rules_against_people(item_reviews(approvals)),
        gold_min=gold_min,
        excluded=sorted(excluded),
        skill_weighted=skill_weighted,
        annotator_rows=annotator_rows(names, everything, excluded, skills, _seat_status(study)),
    )
    if jury:
        summary = _with_jury(summary, votes, jury_pair)
    return summary, human, everything, every_approval


def export_paths(output: Path) -> tuple[Path, Path, Path]:
    """(votes, approvals, summary) beside the comparisons file."""
    return (
        output.with_name(f"{output.stem}.votes.jsonl"),
        output.with_name(f"{output.stem}.approvals.jsonl"),
        summary_path(output),
    )


def export_study(config: StudyExportConfig) -> HumanStudySummary:
    """Write every record and the summary; from now on the dashboard names the models."""
    study = Study(config.study)
    jury = load_records(config.jury, Comparison) if config.jury is not None else []
    summary, human, votes, approvals = summarize_study(study, jury, config.bootstrap, config.seed)
    votes_path, approvals_path, _ = export_paths(config.output)
    write_records(config.output, human)
    write_records(votes_path, votes)
    write_records(approvals_path, approvals)
    if config.rejected is not None:
        write_records(config.rejected, [r for r in item_reviews(approvals) if r.rejected])
    write_summary(config.output, summary)
    study.set_meta({"exported": "1"})
    return summary


def render_study(summary: HumanStudySummary) -> str:
    """A few lines for the terminal."""
    lines = [
        f"{summary.model_a} vs {summary.model_b} by {len(summary.annotators)} annotators "
        f"({summary.convention}, 95% bootstrap CI)",
        summary.overall.line("human majority per goal"),
        summary.by_vote.line("single votes"),
        *(
            [summary.skill_weighted.line("skill-weighted (Dawid-Skene, everyone)")]
            if summary.skill_weighted
            else []
        ),
        *(
            [
                f"left out for gold accuracy under {summary.gold_min:.2f}: {', '.join(summary.excluded)}"
            ]
            if summary.excluded
            else []
        ),
        *(_annotator_line(row) for row in summary.annotator_rows),
        f"Krippendorff's alpha: preference {shown(summary.alpha_preference, 2)} (ordinal), "
        f"approval {shown(summary.alpha_approval, 2)} (nominal)",
        f"Gwet's AC1: preference {shown(summary.ac1_preference, 2)} (A / B / tie), "
        f"approval {shown(summary.ac1_approval, 2)}",
        *(
            f"kappa {k.judges[0]} ~ {k.judges[1]} over {k.n}: {shown(k.kappa, 2)}"
            for k in summary.kappa
        ),
        *(
            f"{j.judges[0]} ~ human majority over {j.n} goals: agree {shown(j.percent, 2)}, "
            f"kappa {shown(j.kappa, 2)}"
            for j in summary.judges
        ),
        f"rubric items approved: {shown(summary.approval.rate)} of {summary.approval.votes} votes",
        *(
            f"domain {d}: approved {shown(r.rate)} of {r.votes}; rejected as "
            + (", ".join(f"{why} {n}" for why, n in r.reasons.items()) or "-")
            for d, r in summary.approval_by_domain.items()
        ),
        *(
            summary.fused.lines()
            if summary.fused
            else _none("experts and jury", summary.fused_reason)
        ),
        *(
            summary.calibration.lines()
            if summary.calibration
            else _none("jury calibration", summary.calibration_reason)
        ),
    ]
    return "\n".join(lines)


def _annotator_line(row: AnnotatorRow) -> str:
    gold = f"{row.gold_correct}/{row.gold_answered}" if row.gold_answered else "-"
    state = f", {row.status}" if row.status else ""
    left_out = ", left out" if row.excluded else ""
    return (
        f"annotator {row.name}: {row.answered} votes, gold {gold}, median "
        f"{shown(row.median_seconds, 0)} s, agrees with others {shown(row.agreement, 2)}, "
        f"skill {shown(row.skill, 2)}{state}{left_out}"
    )


def _none(what: str, reason: str | None) -> list[str]:
    """A line saying why `what` is missing, or none where it was never asked for."""
    return [] if reason is None else [f"{what}: none ({reason})"]


@dataclass(frozen=True)
class Exported:
    """What `study export` prints: the study's findings and where its records went."""

    summary: HumanStudySummary
    output: Path
    failed = False

    def render(self) -> str:
        wrote = f"wrote {self.output} and the votes, approvals and summary beside it"
        return f"{render_study(self.summary)}\n{wrote}"


def study_export(config: StudyExportConfig) -> Exported:
    """`rubricrl study export`: every record and the summary written, the findings shown."""
    return Exported(export_study(config), config.output)
