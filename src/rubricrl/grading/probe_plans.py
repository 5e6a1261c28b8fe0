"""Known-answer probe plans: per goal, plans whose covered rubric items are known by construction.

`full` states every item, `half` a seeded random half, `padded` that half plus goal-agnostic
filler up to the full plan's length, `off_topic` another goal's full plan, `empty` nothing.
Adversarial plans try to score without covering more than the half: `parrot` restates the goal,
`boilerplate` is one generic methodology paragraph, `stuffing` repeats the goal's content words,
`half_boilerplate` is the half plus that paragraph, `keyword_off_topic` the off-topic plan with
the goal's keywords appended.
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
from rubricrl.corpus.text_overlap import content_words
from rubricrl.errors import InputError
from rubricrl.grading.parse import count_words, extract_plan
from rubricrl.prompts import load_prompt
from rubricrl.records import Plan, Sample

log = logging.getLogger(__name__)

Kind = Literal[
    "full",
    "half",
    "padded",
    "off_topic",
    "empty",
    "parrot",
    "boilerplate",
    "stuffing",
    "half_boilerplate",
    "keyword_off_topic",
]
BASE_KINDS: tuple[Kind, ...] = ("full", "half", "padded", "off_topic", "empty")
"""The kinds the ordering accuracy, item AUC and length bias are measured on."""
ADVERSARIAL_KINDS: tuple[Kind, ...] = (
    "parrot",
    "boilerplate",
    "stuffing",
    "half_boilerplate",
    "keyword_off_topic",
)
"""The kinds that try to outscore the half plan without covering more of the goal's items."""
KINDS: tuple[Kind, ...] = BASE_KINDS + ADVERSARIAL_KINDS
REWRITTEN_KINDS: tuple[Kind, ...] = ("full", "half")  # the writer rewrites these; the rest follow
HALF_KINDS: tuple[Kind, ...] = ("half", "padded", "half_boilerplate")  # they cover the half's items
OFF_TOPIC_KINDS: tuple[Kind, ...] = ("off_topic", "keyword_off_topic")  # another goal's full plan

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

BOILERPLATE = (
    "We will state our hypotheses in advance and pre-register the analysis plan before any "
    "results are collected. Every method will be compared against strong, well-tuned baselines "
    "under a matched budget, and ablations will take components away in turn to show which "
    "parts matter. All configurations will be run with several random seeds, and we will report "
    "means with 95% confidence intervals rather than the best run alone. A power analysis will "
    "fix how many runs are required to detect the smallest difference of interest. "
    "Hyperparameters will be chosen on a validation split, and the held-out test set will be "
    "touched once, at the end. A careful error analysis will group failure cases by type, and "
    "negative findings will be reported alongside positive ones. All code, data and "
    "configuration files will be released openly so that anyone can reproduce every table and "
    "figure."
)
"""Sound-looking methodology that names no goal and knows no rubric, the same for every goal."""
STUFFING_SENTENCE_WORDS = 8

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
    source: str = ""  # the off-topic kinds: the id of the goal whose full plan they hold

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


def keywords(goal: str) -> list[str]:
    """The goal's distinct content words (stopwords dropped), in order of first use."""
    return list(dict.fromkeys(content_words(goal)))


def stuff(goal: str, words: int, rng: random.Random) -> str:
    """Sentences of the goal's keywords alone, reshuffled each round, `words` words in all."""
    pool = keywords(goal)
    stuffed: list[str] = []
    while pool and len(stuffed) < words:
        rng.shuffle(pool)
        stuffed += pool
    stuffed = stuffed[:words]
    size = STUFFING_SENTENCE_WORDS
    return " ".join(
        " ".join(stuffed[k : k + size]).capitalize() + "." for k in range(0, len(stuffed), size)
    )


def plan_text(kind: Kind, sample: Sample, full: str, half: str, other_full: str, seed: int) -> str:
    """The text of a `kind` plan for `sample`, from its full and half plans and, for the
    off-topic kinds, the full plan of the goal it is taken from."""
    match kind:
        case "full":
            return full
        case "half":
            return half
        case "padded":
            return pad(half, count_words(full), random.Random(f"{seed}:{sample.id}:pad"))
        case "off_topic":
            return other_full
        case "empty":
            return ""
        case "parrot":
            return f"We will study the following: {sample.goal.strip()}"
        case "boilerplate":
            return BOILERPLATE
        case "stuffing":
            return stuff(sample.goal, count_words(full), random.Random(f"{seed}:{sample.id}:stuff"))
        case "half_boilerplate":
            return f"{half} {BOILERPLATE}"
        case "keyword_off_topic":
            return f"{other_full} Keywords: {', '.join(keywords(sample.goal))}."


def _full_and_half(sample: Sample, seed: int) -> tuple[str, str, frozenset[str]]:
    """The goal's full plan, its seeded half plan and the ids of the items the half covers."""
    rng = random.Random(f"{seed}:{sample.id}")  # per goal, so adding goals changes no plan
    chosen = set(rng.sample(range(len(sample.rubric)), len(sample.rubric) // 2))
    items = [item_sentence(item.text) for item in sample.rubric]
    context = _context(sample.goal)
    full = " ".join([context, *items])
    half = " ".join([context, *(s for k, s in enumerate(items) if k in chosen)])
    return full, half, frozenset(sample.rubric[k].id for k in chosen)


def build_plans(samples: Sequence[Sample], seed: int = 0) -> list[ProbePlan]:
    """One probe plan of each kind per goal with two or more rubric items (the others are
    skipped); off-topic plans take the next goal's full plan."""
    goals = [sample for sample in samples if len(sample.rubric) >= 2]
    if len(goals) < 2:
        raise InputError("probe: needs at least two goals with two or more rubric items each")
    built = {sample.id: _full_and_half(sample, seed) for sample in goals}
    plans: list[ProbePlan] = []
    for k, sample in enumerate(goals):
        other = goals[(k + 1) % len(goals)].id
        full, half, half_ids = built[sample.id]
        covered = {"full": frozenset(item.id for item in sample.rubric)}
        covered |= dict.fromkeys(HALF_KINDS, half_ids)
        for kind in KINDS:
            text = plan_text(kind, sample, full, half, built[other][0], seed)
            source = other if kind in OFF_TOPIC_KINDS else ""
            plans.append(ProbePlan(sample, kind, text, covered.get(kind, frozenset()), source))
    return plans


def rewrite(
    plans: Sequence[ProbePlan], writer: ChatBackend, seed: int = 0, max_tokens: int = 1024
) -> list[ProbePlan]:
    """The plans with full and half rewritten as prose in one batch call; the other kinds are
    rebuilt from the rewritten ones as build_plans builds them (padded from the rewritten half, as
    a writer would trim filler; stuffing to the rewritten full's length; the off-topic kinds from
    the other goal's rewritten full)."""
    template = load_prompt("probe_rewrite")
    targets = [k for k, p in enumerate(plans) if p.kind in REWRITTEN_KINDS]
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
    full = {p.sample.id: p.text for p in out if p.kind == "full"}
    half = {p.sample.id: p.text for p in out if p.kind == "half"}
    return [
        p
        if p.kind in REWRITTEN_KINDS
        else replace(
            p,
            text=plan_text(
                p.kind, p.sample, full[p.sample.id], half[p.sample.id], full.get(p.source, ""), seed
            ),
        )
        for p in out
    ]
