"""The Grader: (goal, plan) pairs in, one batched call per reply shape and attempt, one Grade per plan out."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol

from rubricrl.backends.base import ChatBackend, Conversation, Sampling, user
from rubricrl.backends.structured import Unreadable, ask_structured, refused_rows
from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.grading.guidelines import GUIDELINES
from rubricrl.grading.parse import extract_plan, parse_verdicts
from rubricrl.grading.probability import YES_NO, first_choice_probability
from rubricrl.grading.schema import verdict_schema
from rubricrl.grading.score import DENSE_SCALE, dense_score, rubric_score
from rubricrl.prompts import load_prompt
from rubricrl.records import Grade, Plan, RubricItem, Verdict

Mode = Literal["all", "per-item"]
Verdicts = Literal["generated", "prob"]


@dataclass(frozen=True)
class GradingConfig:
    """How a grader asks, as the user sets it (`--grading.*`, a YAML `grading:` section): the
    chat-model graders' options and the embed grader's, which grading/load.py sorts into a
    JudgeGrading or a CoverageGrading by the grader spec."""

    mode: Mode = option("all", "all: every item in one call per plan; per-item: one call per item.")
    dense: bool = option(False, "Score each guideline 0-3 per item instead of pass/fail.")
    with_reference: bool = option(
        True, "Show the grader the reference solution (as one approach of many)."
    )
    retries: int = option(2, "Extra attempts for unreadable replies.", min=0)
    temperature: float = option(0.0, "Sampling temperature of the first attempt.", min=0.0)
    retry_temperature: float = option(0.7, "Temperature of retries.", min=0.0)
    rationale_chars: int = option(200, "Longest rationale per item.", min=1)
    seed: int | None = option(
        None, "Sampling seed (default: the stage's seed; retries add the attempt)."
    )
    verdicts: Verdicts = option(
        "generated",
        "generated: the paper's written verdicts; prob: P(yes) per item, read at a "
        "plain-text answer (one prefill per item, no generation).",
        flags=("--verdicts",),
    )
    # SmolLM2-135M puts 0.28-0.55 on Yes/No; larger models nearly all of it
    min_mass: float = option(
        0.2, "prob verdicts: least P(yes)+P(no) for a verdict to count as scored.", min=0.0, max=1.0
    )
    # measured per encoder: benchmarks/coverage_threshold.py
    threshold: float | None = option(
        None,
        "embed grader: cosine similarity at which an item counts as covered (None: the "
        "encoder's calibrated value, 0.45 for all-MiniLM-L6-v2 and 0.42 for all-mpnet-base-v2; "
        "recalibrate for another encoder).",
        min=-1.0,
        max=1.0,
    )


@dataclass(frozen=True)
class JudgeGrading:
    """A chat-model grader's settings (defaults: the flags'); dense scores need written verdicts."""

    mode: Mode = GradingConfig.mode
    dense: bool = GradingConfig.dense
    with_reference: bool = GradingConfig.with_reference
    retries: int = GradingConfig.retries
    temperature: float = GradingConfig.temperature
    retry_temperature: float = GradingConfig.retry_temperature
    rationale_chars: int = GradingConfig.rationale_chars
    seed: int | None = GradingConfig.seed
    verdicts: Verdicts = GradingConfig.verdicts
    min_mass: float = GradingConfig.min_mass

    def __post_init__(self) -> None:
        if self.verdicts == "prob" and self.dense:
            raise InputError("grading: dense scores and probability verdicts do not mix")


class GradingTarget(Protocol):
    """What a grader needs of a goal; a Sample has it."""

    @property
    def id(self) -> str: ...
    @property
    def goal(self) -> str: ...
    @property
    def rubric(self) -> Sequence[RubricItem]: ...
    @property
    def reference_solution(self) -> str: ...


NO_RUBRIC = "the goal has no rubric items"


def plan_grade(
    grader: str,
    target: GradingTarget,
    plan: Plan,
    verdicts: list[Verdict],
    score: float | None,
    reason: str | None = None,
) -> Grade:
    """The Grade of `plan` for `target` by `grader` (score None: unscored, with the reason)."""
    return Grade(
        id=plan.id,
        plan_id=plan.id,
        sample_id=target.id,
        grader=grader,
        verdicts=verdicts,
        score=score,
        reason=reason,
    )


def empty_plan_verdicts(
    items: Sequence[RubricItem], dense: bool = False, probability: float | None = None
) -> list[Verdict]:
    """An empty plan fails every item (guideline 1: it addresses none of them)."""
    return [
        Verdict(
            item_id=item.id,
            satisfied=False,
            violated=[1],
            rationale="empty plan",
            guideline_scores=[0] * len(GUIDELINES) if dense else None,
            probability=probability,
        )
        for item in items
    ]


class PlanGrader(Protocol):
    """Anything that grades plans: the rubric Grader over a model, or the coverage grader."""

    name: str

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        """One Grade per (goal, plan) pair, in order."""
        ...


@dataclass(frozen=True)
class _Request:
    """One grader conversation: some items of one pair, shown to the model under `labels`."""

    pair: int
    items: tuple[RubricItem, ...]
    labels: tuple[str, ...]
    conversation: Conversation


def _fence(plan: str) -> str:
    # Derived from the plan itself, so a plan cannot contain its own closing marker.
    return hashlib.sha256(plan.encode("utf-8")).hexdigest()[:10]


class Grader:
    """Grades plans against their goal's rubric items and the seven general guidelines.

    The model sees items numbered 1..n rather than their ids, so every goal with n items shares
    one reply schema and hence one batched call; verdicts are mapped back to the real ids.
    """

    def __init__(self, backend: ChatBackend, settings: JudgeGrading = JudgeGrading()) -> None:
        self.backend = backend
        self.settings = settings
        prob = settings.verdicts == "prob"
        templates = [
            load_prompt("grade_prob_system" if prob else "grade_system"),
            load_prompt("grade_prob" if prob else "grade"),
            load_prompt("guidelines"),
        ]
        self._template = templates[1]
        self._system = templates[0].render(
            guidelines=GUIDELINES,
            dense=settings.dense,
            scale=DENSE_SCALE,
            with_reference=settings.with_reference,
            rationale_chars=settings.rationale_chars,
        )
        digest = hashlib.sha256("".join(t.digest for t in templates).encode()).hexdigest()[:12]
        variant = (
            ("prob" if prob else settings.mode)
            + ("+dense" if settings.dense else "")
            + ("" if settings.with_reference else "+noref")
        )
        self.name = f"{backend.spec}|{variant}|{digest}"

    def grade(self, sample: GradingTarget, plans: Sequence[Plan]) -> list[Grade]:
        """Grade several plans for one goal."""
        return self.grade_many([(sample, plan) for plan in plans])

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        """Grade plans of many goals at once: each attempt is one backend call per reply shape."""
        requests: list[_Request] = []
        texts = [extract_plan(plan.text) for _, plan in pairs]
        for index, ((target, _), text) in enumerate(zip(pairs, texts, strict=True)):
            if text and target.rubric:
                requests.extend(self._requests(index, target, text))
        outcomes = self._ask(requests)
        by_pair: dict[int, list[tuple[_Request, list[Verdict] | str]]] = defaultdict(list)
        for request, outcome in zip(requests, outcomes, strict=True):
            by_pair[request.pair].append((request, outcome))
        return [
            self._grade(target, plan, text, by_pair[index])
            for index, ((target, plan), text) in enumerate(zip(pairs, texts, strict=True))
        ]

    def _requests(self, pair: int, target: GradingTarget, plan: str) -> list[_Request]:
        items = tuple(target.rubric)
        one_call = self.settings.mode == "all" and self.settings.verdicts == "generated"
        groups = [items] if one_call else [(item,) for item in items]
        requests = []
        for group in groups:
            labels = tuple(str(n) for n in range(1, len(group) + 1))
            # With probability verdicts the item comes last, so every item of one plan shares
            # the goal-and-plan prefix (the local backend prefills it once).
            content = self._template.render(
                goal=target.goal,
                reference=target.reference_solution if self.settings.with_reference else "",
                items=[(label, item.text) for label, item in zip(labels, group, strict=True)],
                item=group[0].text,
                plan=plan,
                fence=_fence(plan),
            )
            requests.append(_Request(pair, group, labels, user(content, self._system)))
        return requests

    def _sampling(self, items: int) -> Sampling:
        per_item = self.settings.rationale_chars + 48  # a rationale can cost a token per character
        return Sampling(
            temperature=self.settings.temperature,
            max_tokens=16 + items * per_item,
            seed=self.settings.seed or 0,
        )

    def _ask(self, requests: Sequence[_Request]) -> list[list[Verdict] | str]:
        """Verdicts per request, or why every attempt failed; one call per reply shape."""
        if self.settings.verdicts == "prob":
            return self._ask_probabilities(requests)
        outcomes: list[list[Verdict] | str] = ["not asked"] * len(requests)
        by_shape: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            by_shape[request.labels].append(index)
        guidelines, dense = len(GUIDELINES), self.settings.dense
        for labels, indices in by_shape.items():
            replies = ask_structured(
                self.backend,
                [requests[i].conversation for i in indices],
                self._sampling(len(labels)),
                verdict_schema(labels, guidelines, dense, self.settings.rationale_chars),
                partial(
                    parse_verdicts,
                    labels=labels,
                    guidelines=guidelines,
                    dense=dense,
                    rationale_chars=self.settings.rationale_chars,
                ),
                attempts=1 + self.settings.retries,
                retry_temperature=self.settings.retry_temperature,
            )
            for index, reply in zip(indices, replies, strict=True):
                outcomes[index] = reply.reason if isinstance(reply, Unreadable) else reply
        return outcomes

    def _ask_probabilities(self, requests: Sequence[_Request]) -> list[list[Verdict] | str]:
        """One single-item verdict per request from P(Yes) vs P(No): one prefill each, one call."""
        if not requests:
            return []
        conversations = [r.conversation for r in requests]
        found = refused_rows(
            lambda: self.backend.choice_probs(conversations, YES_NO), len(requests)
        )
        outcomes: list[list[Verdict] | str] = []
        for request, probs in zip(requests, found, strict=True):
            if isinstance(probs, Unreadable):
                outcomes.append(probs.reason)
                continue
            p = first_choice_probability(probs, YES_NO, self.settings.min_mass)
            if isinstance(p, str):
                outcomes.append(p)
                continue
            verdict = Verdict(
                item_id=request.items[0].id,
                satisfied=p >= 0.5,
                rationale=f"P(yes) {p:.3f}",
                probability=p,
            )
            outcomes.append([verdict])
        return outcomes

    def _grade(
        self,
        target: GradingTarget,
        plan: Plan,
        text: str,
        answers: Sequence[tuple[_Request, list[Verdict] | str]],
    ) -> Grade:
        def grade(verdicts: list[Verdict], score: float | None, reason: str | None = None) -> Grade:
            return plan_grade(self.name, target, plan, verdicts, score, reason)

        if not target.rubric:
            return grade([], None, NO_RUBRIC)
        if not text:
            # Nothing to grade: every item fails outright instead of asking a model about nothing.
            probability = 0.0 if self.settings.verdicts == "prob" else None
            return grade(empty_plan_verdicts(target.rubric, self.settings.dense, probability), 0.0)
        verdicts: list[Verdict] = []
        for request, outcome in answers:
            if isinstance(outcome, str):
                one_item = self.settings.mode == "per-item" or self.settings.verdicts == "prob"
                where = f"item {request.items[0].id}: " if one_item else ""
                return grade([], None, where + outcome)
            verdicts.extend(
                verdict.model_copy(update={"item_id": item.id})
                for item, verdict in zip(request.items, outcome, strict=True)
            )
        score = (dense_score if self.settings.dense else rubric_score)(target.rubric, verdicts)
        return grade(
            verdicts, score, None if score is not None else "verdicts do not match the rubric"
        )
