"""Quality filters for extracted samples: checkable, distinct rubric items and goals that do not leak.

The rules need no human. An item is *checkable* when it has 4 to 60 words, is not a question and
is not a generic virtue every plan claims (e.g. "the plan is clear"). Two items are near
duplicates when their content-word Jaccard similarity reaches `duplicate_threshold`; the later one
goes. A goal *leaks* when at least `leakage_threshold` of its content-word trigrams also stand
in the reference solution, i.e. the goal restates the answer rather than the problem.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rubricrl.config import option
from rubricrl.corpus.text_overlap import containment, jaccard
from rubricrl.records import ItemReview

GENERIC_ITEM = re.compile(
    r"^(the )?(plan|proposal|approach|solution)( is| should be| must be)? "
    r"(clear|good|well[- ]written|detailed|feasible|specific|coherent|comprehensive)\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SelectionRules:
    """Thresholds of the filters; the defaults are ours (the paper does not fix them)."""

    keep_items: int = option(10, "Rubric items kept per goal after selection.", min=1)
    min_items: int = option(5, "Drop a sample left with fewer usable items.", min=1)
    min_item_words: int = option(4, "Shortest usable item, in words.", min=1)
    max_item_words: int = option(60, "Longest usable item, in words.", min=1)
    duplicate_threshold: float = option(
        0.7, "Word-set overlap at which an item repeats another.", min=0.0, max=1.0
    )
    leakage_threshold: float = option(
        0.6, "Share of the goal's trigrams the solution may repeat.", min=0.0, max=1.0
    )
    min_goal_words: int = option(15, "Shortest usable goal, in words.", min=0)


def item_problem(text: str, rules: SelectionRules) -> str | None:
    """Why a rubric item is not a checkable requirement, or None when it is."""
    words = len(text.split())
    if words < rules.min_item_words:
        return "too short to check"
    if words > rules.max_item_words:
        return "too long to be one requirement"
    if text.rstrip().endswith("?"):
        return "a question, not a requirement"
    if GENERIC_ITEM.match(text.strip()):
        return "generic, satisfied by any plan"
    return None


def drop_near_duplicates(items: list[str], threshold: float) -> list[int]:
    """Indices of the items to keep: each item survives unless it nearly repeats an earlier keeper."""
    kept: list[int] = []
    for index, text in enumerate(items):
        if all(jaccard(text, items[other]) < threshold for other in kept):
            kept.append(index)
    return kept


def leakage(goal: str, reference_solution: str) -> float:
    """Share of the goal's content-word trigrams that the reference solution also contains."""
    return containment(goal, reference_solution, n=3)


def rules_against_people(
    reviews: Iterable[ItemReview], rules: SelectionRules = SelectionRules()
) -> dict[str, int]:
    """How the item rules agree with people's majority on items they reviewed (the study's
    `ItemReview` rows): counts of "people reject, rules keep" and the three other cells."""
    counts: Counter[str] = Counter()
    for review in reviews:
        flagged = item_problem(review.text, rules) is not None
        people = "people reject" if review.rejected else "people keep"
        counts[f"{people}, rules {'reject' if flagged else 'keep'}"] += 1
    return dict(sorted(counts.items()))
