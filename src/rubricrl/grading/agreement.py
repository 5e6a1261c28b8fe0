"""How well a grader agrees with reference verdicts (a stronger grader or human labels)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.jsonl import load_records
from rubricrl.records import Grade, shown
from rubricrl.stats import cohen_kappa, percent_agreement


@dataclass(frozen=True, kw_only=True)
class GradeEvalConfig:
    """Agreement of a grader's item verdicts with reference verdicts (a stronger grader or people)."""

    grades: Path = option(
        help="Grades JSONL of the grader under test.", positional=True, input="file"
    )
    reference: Path = option(
        help="Reference grades JSONL (strong grader or humans).", positional=True, input="file"
    )
    json: bool = option(False, "Print the result as JSON.")


@dataclass(frozen=True)
class Confusion:
    """Per-item counts with the reference as truth and "satisfied" as the positive class."""

    true_met: int = 0
    false_met: int = 0
    false_unmet: int = 0
    true_unmet: int = 0


@dataclass(frozen=True)
class Agreement:
    """Item-level agreement over the plans both files scored; `skipped` plans lacked a score in one."""

    plans: int
    skipped: int
    verdicts: int
    accuracy: float | None
    kappa: float | None
    per_item: dict[str, Confusion]


def _label(met: bool) -> str:
    return "met" if met else "unmet"


def agreement(candidate: Iterable[Grade], reference: Iterable[Grade]) -> Agreement:
    """Compare verdicts plan by plan (joined on plan id) and item by item (joined on item id)."""
    references = {grade.plan_id: grade for grade in reference}
    plans = skipped = 0
    ours: list[str] = []
    theirs: list[str] = []
    cells: dict[str, Counter[tuple[bool, bool]]] = defaultdict(Counter)
    for grade in candidate:
        truth = references.get(grade.plan_id)
        if truth is None or grade.score is None or truth.score is None:
            skipped += 1
            continue
        plans += 1
        known = {verdict.item_id: verdict.satisfied for verdict in truth.verdicts}
        for verdict in grade.verdicts:
            if verdict.item_id in known:
                ours.append(_label(verdict.satisfied))
                theirs.append(_label(known[verdict.item_id]))
                cells[verdict.item_id][(verdict.satisfied, known[verdict.item_id])] += 1
    per_item = {
        item: Confusion(
            true_met=c[(True, True)],
            false_met=c[(True, False)],
            false_unmet=c[(False, True)],
            true_unmet=c[(False, False)],
        )
        for item, c in cells.items()
    }
    return Agreement(
        plans=plans,
        skipped=skipped,
        verdicts=len(ours),
        accuracy=percent_agreement(ours, theirs) if ours else None,
        kappa=cohen_kappa(ours, theirs) if ours else None,
        per_item=per_item,
    )


@dataclass(frozen=True)
class AgreementReport:
    """What `grade-eval` prints: the agreement as a line and a per-item table, or as JSON."""

    agreement: Agreement
    as_json: bool = False
    failed = False

    def render(self) -> RenderableType:
        result = self.agreement
        if self.as_json:
            return json.dumps(asdict(result), indent=2)
        table = Table("item", "both met", "only grader met", "only reference met", "neither")
        for item, cell in sorted(result.per_item.items()):
            counts = (cell.true_met, cell.false_met, cell.false_unmet, cell.true_unmet)
            table.add_row(item, *map(str, counts))
        return Group(
            f"plans compared: {result.plans} (skipped: {result.skipped})  verdicts: "
            f"{result.verdicts}  accuracy: {shown(result.accuracy)}  Cohen's kappa: "
            f"{shown(result.kappa)}",
            table,
        )


def grade_eval(config: GradeEvalConfig) -> AgreementReport:
    """`rubricrl grade-eval`: the grader's agreement with the reference, over the plans both
    files scored."""
    grades, reference = config.grades, config.reference
    result = agreement(load_records(grades, Grade), load_records(reference, Grade))
    if result.verdicts == 0:
        raise InputError(f"{grades}: no scored plan shares item verdicts with {reference}")
    return AgreementReport(result, config.json)
