"""The jury: folds each judge's two orders into a verdict, and the judges' verdicts into a decision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal, get_args

from rubricrl.errors import BackendError, InputError
from rubricrl.evaluation.judge import Judge, Pair
from rubricrl.records import Comparison, Judgment, Preference
from rubricrl.stats import OUTCOME_VALUE

Rule = Literal["majority", "mean"]
RULES: tuple[str, ...] = get_args(Rule)
SCORE = {"A": 1, "tie": 0, "B": -1}


def judge_verdict(first: Judgment, second: Judgment) -> Preference | None:
    """A judge's verdict over both orders: its preference when the orders agree, else a tie;
    None (unscored) when either order is. Probability verdicts are averaged over both orders.

    A judge that changes its mind when the plans swap places (including A in one order and
    a tie in the other) is following position, not content, so it counts as a tie.
    """
    if first.preferred is None or second.preferred is None:
        return None
    if first.first_better is not None and second.first_better is not None:
        a_better = a_better_probability(first, second)
        return "A" if a_better > 0.5 else "B" if a_better < 0.5 else "tie"
    return first.preferred if first.preferred == second.preferred else "tie"


def a_better_probability(a_first: Judgment, b_first: Judgment) -> float:
    """P(A better) from probability verdicts, averaged over both orders: P(first better) with A
    first, and 1 - P(first better) with B first. A pure position preference cancels out."""
    if a_first.first_better is None or b_first.first_better is None:
        raise ValueError("both orders need a probability verdict")
    return (a_first.first_better + 1.0 - b_first.first_better) / 2


def jury_probability(comparison: Comparison) -> float | None:
    """The jury's P(A better) on one goal: the mean over judges with a probability verdict in
    both orders; None when no judge gave one."""
    probabilities = [
        a_better_probability(a_first, b_first)
        for a_first, b_first in orders_by_judge(comparison.judgments).values()
        if a_first.first_better is not None and b_first.first_better is not None
    ]
    return sum(probabilities) / len(probabilities) if probabilities else None


def jury_outcome(comparison: Comparison) -> float | None:
    """The jury's outcome for A on one goal: its P(A better) where judges gave probabilities,
    else its decision as 1 / 0.5 / 0 (a tie is half a win); None when the goal is unscored."""
    probability = jury_probability(comparison)
    if probability is not None:
        return probability
    return None if comparison.decision is None else OUTCOME_VALUE[comparison.decision]


def orders_by_judge(judgments: Sequence[Judgment]) -> dict[str, tuple[Judgment, Judgment]]:
    """Each judge's (A-first, B-first) judgments, in first-seen judge order."""
    orders: dict[str, dict[bool, Judgment]] = {}
    for judgment in judgments:
        orders.setdefault(judgment.judge, {})[judgment.a_first] = judgment
    missing = [name for name, seen in orders.items() if len(seen) != 2]
    if missing:
        raise InputError(f"judge {missing[0]} lacks one of the two presentation orders")
    return {name: (seen[True], seen[False]) for name, seen in orders.items()}


def verdicts_by_judge(judgments: Sequence[Judgment]) -> dict[str, Preference | None]:
    """Each judge's verdict over its two orders (None where unscored)."""
    return {name: judge_verdict(*pair) for name, pair in orders_by_judge(judgments).items()}


def decide(verdicts: Sequence[Preference | None], rule: Rule = "majority") -> Preference | None:
    """The jury's decision over its scored verdicts: the single most common verdict (majority),
    or the sign of the mean of +1 (A) / 0 (tie) / -1 (B) scores (mean); no clear majority or a
    zero mean is a tie, and no scored verdict at all leaves the decision unscored (None)."""
    scored = [verdict for verdict in verdicts if verdict is not None]
    if not scored:
        return None
    if rule == "mean":
        total = sum(SCORE[v] for v in scored)
        return "A" if total > 0 else "B" if total < 0 else "tie"
    ranked = Counter(scored).most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "tie"
    return ranked[0][0]


def check_jury(names: Sequence[str], rule: str) -> None:
    """Refuse an empty jury, a judge named twice, or an unknown rule."""
    if not names:
        raise InputError("a jury needs at least one --judge")
    if len(set(names)) != len(names):
        raise InputError(f"each judge may be named once; got {', '.join(names)}")
    if rule not in RULES:
        raise InputError(f"unknown jury rule {rule!r}: expected one of {', '.join(RULES)}")


class Jury:
    """Several judges and a rule; compares many pairs with one backend batch per judge."""

    def __init__(self, judges: Sequence[Judge], rule: Rule = "majority") -> None:
        check_jury([judge.name for judge in judges], rule)
        self.judges = list(judges)
        self.rule = rule

    def compare(self, pairs: Sequence[Pair]) -> list[Comparison]:
        """One Comparison per pair, with every judge's judgments in both orders."""
        per_pair: list[list[Judgment]] = [[] for _ in pairs]
        for judge in self.judges:
            try:
                results = judge.judge_many(pairs)
            except BackendError as error:
                raise BackendError(f"judge {judge.name} failed: {error}") from error
            for judgments, (first, second) in zip(per_pair, results, strict=True):
                judgments.extend((first, second))
        return [
            Comparison(
                id=pair.id,
                sample_id=pair.sample.id,
                domain=pair.sample.provenance.domain,
                model_a=pair.plan_a.model,
                model_b=pair.plan_b.model,
                judgments=judgments,
                decision=decide(list(verdicts_by_judge(judgments).values()), self.rule),
            )
            for pair, judgments in zip(pairs, per_pair, strict=True)
        ]
