"""Pure maths of the rubric reward: the satisfied share, the dense variant, format penalties, summaries."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.table import Table

from rubricrl.config import option
from rubricrl.records import Grade, RubricItem, Verdict, shown
from rubricrl.task import MAX_PLAN_WORDS

DENSE_SCALE = 3
"""Dense grading scores each guideline per item from 0 (clearly violated) to 3 (fully met)."""
DENSE_PASS = 2
"""In dense grading a guideline counts as violated when its score is below this."""


def _covers(items: Sequence[RubricItem], verdicts: Sequence[Verdict]) -> bool:
    ids = [item.id for item in items]
    return bool(ids) and sorted(ids) == sorted(v.item_id for v in verdicts)


def rubric_score(items: Sequence[RubricItem], verdicts: Sequence[Verdict]) -> float | None:
    """Satisfied items / items (the paper's reward); None unless there is one verdict per item."""
    if not _covers(items, verdicts):
        return None
    return sum(verdict.satisfied for verdict in verdicts) / len(items)


def probability_score(items: Sequence[RubricItem], verdicts: Sequence[Verdict]) -> float | None:
    """Mean P(satisfied) over items, a continuous reward that breaks ties between plans meeting
    the same items; None unless every item has a probability verdict."""
    if not _covers(items, verdicts) or any(v.probability is None for v in verdicts):
        return None
    return sum(v.probability or 0.0 for v in verdicts) / len(items)


def dense_score(items: Sequence[RubricItem], verdicts: Sequence[Verdict]) -> float | None:
    """Mean over items of the guideline scores' share of the maximum; None if any score is missing."""
    if not _covers(items, verdicts):
        return None
    shares = []
    for verdict in verdicts:
        scores = verdict.guideline_scores
        if not scores:
            return None
        shares.append(sum(scores) / (DENSE_SCALE * len(scores)))
    return sum(shares) / len(shares)


@dataclass(frozen=True)
class FormatPenalty:
    """What a plan loses for breaking the format; the reward may go below 0, so the penalty always bites."""

    word_limit: int = option(
        MAX_PLAN_WORDS,
        "Plan length in words: the prompt asks for it, the penalty enforces it.",
        min=1,
    )
    missing_solution: float = option(
        1.0, "Reward lost by a plan without a <solution> block.", min=0.0
    )
    over_length: float = option(0.5, "Reward lost by a plan over the word limit.", min=0.0)


def penalized(
    score: float | None, *, has_solution: bool, words: int, penalty: FormatPenalty = FormatPenalty()
) -> float | None:
    """The reward: `score` minus the penalties that apply; None (unscored) stays None."""
    if score is None:
        return None
    missing = 0.0 if has_solution else penalty.missing_solution
    too_long = penalty.over_length if words > penalty.word_limit else 0.0
    return score - missing - too_long


@dataclass(frozen=True)
class GradeSummary:
    """Totals of grades: mean score over scored plans, and each item's satisfied share.

    Items are keyed `sample_id/item_id`: an item id only means something within its goal.
    """

    grades: int
    unscored: int
    mean_score: float | None
    item_satisfaction: dict[str, float]
    unscored_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when no plan got a score (none graded, or every grade unscored)."""
        return self.grades == self.unscored

    def render(self, limit: int = 20) -> RenderableType:
        """Totals, the commonest unscored reasons, and the first `limit` items' shares."""
        lines = [
            f"grades: {self.grades}  unscored: {self.unscored}  mean score: {shown(self.mean_score)}",
            *(
                f"  unscored x{n}: {reason}"
                for reason, n in list(self.unscored_reasons.items())[:3]
            ),
        ]
        if self.unscored:
            lines.append("  (a rerun grades unscored plans again)")
        if self.failed:
            lines.append("failed: no plan got a score")
        table = Table("item", "satisfied share")
        items = sorted(self.item_satisfaction.items())
        for item, share in items[:limit]:
            table.add_row(item, f"{share:.3f}")
        if len(items) > limit:
            table.add_row("...", f"{len(items) - limit} more item ids")
        return Group(*lines, table)


def summarize(grades: Iterable[Grade]) -> GradeSummary:
    """Summarise grades; unscored grades are counted but add nothing to the means."""
    count = unscored = 0
    reasons: Counter[str] = Counter()
    scores: list[float] = []
    met: dict[str, list[bool]] = defaultdict(list)
    for grade in grades:
        count += 1
        if grade.score is None:
            unscored += 1
            reasons[grade.reason or "no reason recorded"] += 1
            continue
        scores.append(grade.score)
        for verdict in grade.verdicts:
            met[f"{grade.sample_id}/{verdict.item_id}"].append(verdict.satisfied)
    return GradeSummary(
        grades=count,
        unscored=unscored,
        mean_score=sum(scores) / len(scores) if scores else None,
        item_satisfaction={item: sum(flags) / len(flags) for item, flags in sorted(met.items())},
        unscored_reasons=dict(reasons.most_common()),
    )
