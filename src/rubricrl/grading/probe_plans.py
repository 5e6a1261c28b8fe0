"""Known-answer probe plans: per goal, plans whose covered rubric items are known by construction.

`full` states every item, `half` a seeded random half, `padded` that half plus goal-agnostic
filler up to the full plan's length, `off_topic` another goal's full plan, `empty` nothing.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from rubricrl.backends.base import ChatBackend, Sampling, user
from rubricrl.backends.structured import Unreadable, refused_rows
from rubricrl.errors import InputError
from rubricrl.grading.parse import count_words, extract_plan
from rubricrl.prompts import load_prompt
from rubricrl.records import Plan, Sample

log = logging.getLogger(__name__)

Kind = Literal["full", "half", "padded", "off_topic", "empty"]
KINDS: tuple[Kind, ...] = ("full", "half", "padded", "off_topic", "empty")

FILLER = (
    "The work will be organised in clearly separated phases with a short review after each.",
    "All code, configuration files and intermediate results will be kept under version control.",
    "Progress will be discussed in regular meetings and decisions recorded in a shared log.",
    "Each analysis step will be documented so that another researcher can repeat it.",
    "The team will agree on naming conventions and a folder structure before starting.",
    "Time will be set aside at the end of every phase to tidy up and write notes.",
    "Any change to the protocol will be written down together with the reason for it.",
    "Drafts of the write-up will be circulated early so that feedback arrives in time.",
    "Responsibilities for each part of the work will be assigned to named team members.",
    "Backups of all files will be made automatically every day to a second location.",
    "A short summary of the state of the project will be written at each milestone.",
    "The final report will describe what was done in the order in which it was done.",
)
"""Generic research-plan sentences that address no particular goal or rubric item."""

_SUBJECT = re.compile(
    r"^(?:the|this|a|our)\s+(?:proposed\s+|research\s+)?(?:plan|proposal)\s+", re.I
)


@dataclass(frozen=True)
class ProbePlan:
    """One probe plan for one goal and the ids of that goal's items it covers by construction."""

    sample: Sample
    kind: Kind
    text: str
    covered: frozenset[str]
    source: str = ""  # off_topic: the id of the goal whose full plan this is

    def plan(self) -> Plan:
        return Plan(
            id=f"{self.sample.id}/probe-{self.kind}",
            sample_id=self.sample.id,
            model=f"probe-{self.kind}",
            text=self.text,
        )


def item_sentence(text: str) -> str:
    """A rubric item as a plan's sentence: "The plan tracks X" -> "Our study tracks X"."""
    text = text.strip()
    if _SUBJECT.match(text):
        return _SUBJECT.sub("Our study ", text, count=1)
    return f"Our study also addresses this: {text[:1].lower()}{text[1:]}"


def _context(goal: str) -> str:
    first = re.split(r"(?<=[.!?])\s+", goal.strip(), maxsplit=1)[0]
    return f"We address the following problem. {first}"


def pad(text: str, words: int, rng: random.Random) -> str:
    """`text` followed by filler sentences (shuffled, reused if need be) until it has `words`."""
    order = list(FILLER)
    rng.shuffle(order)
    pieces, count, k = [text], count_words(text), 0
    while count < words:
        sentence = order[k % len(order)]
        pieces.append(sentence)
        count += count_words(sentence)
        k += 1
    return " ".join(pieces)


def build_plans(samples: Sequence[Sample], seed: int = 0) -> list[ProbePlan]:
    """Five probe plans per goal with two or more rubric items (the others are skipped)."""
    goals = [sample for sample in samples if len(sample.rubric) >= 2]
    if len(goals) < 2:
        raise InputError("probe: needs at least two goals with two or more rubric items each")
    full: dict[str, str] = {}
    plans: list[ProbePlan] = []
    for sample in goals:
        rng = random.Random(f"{seed}:{sample.id}")  # per goal, so adding goals changes no plan
        chosen = set(rng.sample(range(len(sample.rubric)), len(sample.rubric) // 2))
        filler = random.Random(f"{seed}:{sample.id}:pad")
        context = _context(sample.goal)
        items = [item_sentence(item.text) for item in sample.rubric]
        half_items = [s for k, s in enumerate(items) if k in chosen]
        full[sample.id] = " ".join([context, *items])
        half = " ".join([context, *half_items])
        half_ids = frozenset(sample.rubric[k].id for k in chosen)
        plans += [
            ProbePlan(sample, "full", full[sample.id], frozenset(i.id for i in sample.rubric)),
            ProbePlan(sample, "half", half, half_ids),
            ProbePlan(sample, "padded", pad(half, count_words(full[sample.id]), filler), half_ids),
        ]
    for k, sample in enumerate(goals):
        other = goals[(k + 1) % len(goals)]
        plans += [
            ProbePlan(sample, "off_topic", full[other.id], frozenset(), source=other.id),
            ProbePlan(sample, "empty", "", frozenset()),
        ]
    return plans


def rewrite(
    plans: Sequence[ProbePlan], writer: ChatBackend, seed: int = 0, max_tokens: int = 1024
) -> list[ProbePlan]:
    """The plans with full and half rewritten as prose in one batch call; padded is rebuilt from
    the rewritten half (a writer would trim filler), off_topic is the other goal's rewritten full."""
    template = load_prompt("probe_rewrite")
    targets = [k for k, p in enumerate(plans) if p.kind in ("full", "half")]
    conversations = [
        user(template.render(goal=plans[k].sample.goal, plan=plans[k].text)) for k in targets
    ]
    sampling = Sampling(temperature=0.0, max_tokens=max_tokens, seed=seed)
    replies = (
        refused_rows(lambda: writer.batch(conversations, sampling), len(conversations))
        if conversations
        else []
    )
    out = list(plans)
    for k, reply in zip(targets, replies, strict=True):
        if isinstance(reply, Unreadable):  # the server refused this rewrite: test the plan as built
            log.warning(
                "probe: no rewrite of %s (%s), kept as built", plans[k].plan().id, reply.reason
            )
            continue
        text = extract_plan(reply.text)
        if not text:  # an empty rewrite would test the writer, not the grader
            log.warning("probe: empty rewrite of %s, kept as built", plans[k].plan().id)
        out[k] = replace(plans[k], text=text or plans[k].text)
    by_goal = {(p.sample.id, p.kind): p for p in out}
    for k, p in enumerate(out):
        if p.kind == "padded":
            words = count_words(by_goal[p.sample.id, "full"].text)
            rng = random.Random(f"{seed}:{p.sample.id}:pad")
            out[k] = replace(p, text=pad(by_goal[p.sample.id, "half"].text, words, rng))
        elif p.kind == "off_topic":
            out[k] = replace(p, text=by_goal[p.source, "full"].text)
    return out
