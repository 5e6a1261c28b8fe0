"""Building a study: pairwise and rubric-approval tasks from goals and plans, then annotators
invited into it, each with a personal link that can be revoked; the admin link can be replaced."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.evaluation.compare import plans_by_goal
from rubricrl.jsonl import load_records
from rubricrl.records import Plan, Sample
from rubricrl.study.store import NewTask, Study, create_file
from rubricrl.study.tokens import hash_token, new_token

DEFAULT_URL = "http://127.0.0.1:8765"


@dataclass(frozen=True, kw_only=True)
class StudyCreateConfig:
    """Create a study file: one blind pairwise task per goal, one approval task per rubric."""

    goals: Path = option(help="Goals the plans answer (JSONL of Sample).", input="file")
    plans_a: Path = option(help="Plans of model A (JSONL of Plan).", input="file")
    plans_b: Path = option(help="Plans of model B (JSONL of Plan).", input="file")
    output: Path = option(help="Study file to create (SQLite).", flags=("-o",), output="file")
    rubrics: Path | None = option(
        None, "Samples whose rubric items experts approve (JSONL of Sample).", input="file"
    )
    per_task: int = option(2, "Annotators per task (2+ measures agreement).", min=1)
    gold_rate: float = option(
        0.0,
        "Gold tasks added to each queue per real task (0.1: one in ten). A gold task pits a "
        "goal's plan against one written for another paper's goal, so its answer is known; "
        "it looks like any other task.",
        min=0.0,
        max=1.0,
    )
    gold_min: float = option(
        0.7,
        "Gold accuracy below which an annotator's votes are left out of the results (kept in "
        "the export, flagged).",
        min=0.0,
        max=1.0,
    )
    seed: int = option(0, "Seed of each annotator's order and sides.")
    url: str = option(DEFAULT_URL, "Address the links will point to.")


@dataclass(frozen=True, kw_only=True)
class InviteConfig:
    """Invite an annotator: prints their personal link (the token is stored only hashed)."""

    study: Path = option(help="Study file.", positional=True, input="file")
    name: str = option(help="The annotator's name.", positional=True)
    tasks: int | None = option(
        None, "Most tasks to give (default: every task still short of annotators).", min=1
    )
    url: str = option(DEFAULT_URL, "Address the link points to.")


@dataclass(frozen=True, kw_only=True)
class RevokeConfig:
    """Revoke an annotator's personal link: it stops working, their votes stay, and their
    unanswered tasks go back to the pool for the next invites."""

    study: Path = option(help="Study file.", positional=True, input="file")
    name: str = option(help="The annotator's name.", positional=True)


@dataclass(frozen=True, kw_only=True)
class RotateAdminConfig:
    """Replace the admin link: prints the new one once; the old one stops working."""

    study: Path = option(help="Study file.", positional=True, input="file")
    url: str = option(DEFAULT_URL, "Address the link points to.")


def gold_tasks(
    samples: Sequence[Sample], plans: Sequence[Mapping[str, Plan]], seed: int
) -> list[NewTask]:
    """One gold task per goal: a plan written for the goal (A) against one the same model wrote
    for a goal of another paper (B), which cannot achieve it. Both are the study's own plans, so
    a gold task reads like any other; the model alternates from goal to goal."""
    rng = random.Random(f"{seed}:gold")
    tasks = []
    for k, sample in enumerate(samples):
        own = plans[k % len(plans)]
        others = [
            other.id
            for other in samples
            if other.provenance.paper_id != sample.provenance.paper_id and other.id in own
        ]
        if sample.id not in own or not others:
            continue
        payload = {
            "goal": sample.goal,
            "plan_a": own[sample.id].model_dump(),
            "plan_b": own[rng.choice(others)].model_dump(),
        }
        tasks.append(
            NewTask(
                f"gold:{sample.id}", "pairwise", sample.id, sample.provenance.domain, payload, 1
            )
        )
    return tasks


def study_tasks(config: StudyCreateConfig) -> tuple[dict[str, str], list[NewTask]]:
    """The study's settings and its tasks, every input checked."""
    if config.plans_a.resolve() == config.plans_b.resolve():
        raise InputError(f"{config.plans_a}: given as both --plans-a and --plans-b")
    samples = {s.id: s for s in load_records(config.goals, Sample)}
    a = plans_by_goal(config.plans_a, config.goals, samples)
    b = plans_by_goal(config.plans_b, config.goals, samples)
    if a.keys() != b.keys():
        raise InputError(
            f"{config.plans_a} and {config.plans_b} cover different goals: "
            f"{len(a.keys() & b.keys())} shared, {len(a.keys() - b.keys())} only in A, "
            f"{len(b.keys() - a.keys())} only in B"
        )
    tasks = [
        NewTask(
            f"pair:{s.id}",
            "pairwise",
            s.id,
            s.provenance.domain,
            {"goal": s.goal, "plan_a": a[s.id].model_dump(), "plan_b": b[s.id].model_dump()},
        )
        for s in samples.values()
        if s.id in a
    ]
    if config.rubrics is not None:
        rubrics = [s for s in load_records(config.rubrics, Sample) if s.rubric]
        if not rubrics:
            raise InputError(f"{config.rubrics}: no sample with rubric items")
        tasks += [
            NewTask(
                f"items:{s.id}", "approval", s.id, s.provenance.domain, {"sample": s.model_dump()}
            )
            for s in rubrics
        ]
    if config.gold_rate > 0:
        gold = gold_tasks([s for s in samples.values() if s.id in a], (a, b), config.seed)
        if not gold:
            raise InputError(
                f"{config.goals}: --gold-rate needs goals from at least two papers (a gold "
                "task pits a goal's plan against one written for another paper's goal)"
            )
        tasks += gold
    model_a, model_b = next(iter(a.values())).model, next(iter(b.values())).model
    if model_a == model_b:
        # a blind comparison of a model with itself measures nothing
        raise InputError(
            f"{config.plans_a} and {config.plans_b}: both are plans of {model_a!r}; "
            "compare two different models"
        )
    meta = {"model_a": model_a, "model_b": model_b, "per_task": str(config.per_task)}
    meta |= {"seed": str(config.seed), "created": str(time.time()), "exported": "0"}
    meta |= {"gold_rate": str(config.gold_rate), "gold_min": str(config.gold_min)}
    return meta, tasks


def create_study(config: StudyCreateConfig) -> tuple[int, int, int, str]:
    """Write the study file; returns (pairwise, approval and gold tasks, the admin token)."""
    if config.output.exists():
        raise InputError(f"{config.output}: already exists; remove it or choose another -o")
    meta, tasks = study_tasks(config)
    admin = new_token()
    config.output.parent.mkdir(parents=True, exist_ok=True)
    create_file(config.output, meta | {"admin_hash": hash_token(admin)}, tasks)
    pairwise = sum(t.kind == "pairwise" and t.gold is None for t in tasks)
    approval = sum(t.kind == "approval" for t in tasks)
    return pairwise, approval, len(tasks) - pairwise - approval, admin


def invite(config: InviteConfig) -> tuple[str, int]:
    """Add the annotator with a fresh token; returns (their link, tasks given)."""
    if not config.name.strip():
        raise InputError("an annotator needs a name")
    token = new_token()
    given = Study(config.study).add_annotator(config.name, hash_token(token), config.tasks)
    return f"{config.url.rstrip('/')}/a/{token}/", given


def admin_link(url: str, token: str) -> str:
    return f"{url.rstrip('/')}/admin/{token}"


@dataclass(frozen=True)
class StudyCreated:
    """What `study create` prints: the tasks written, the admin link, and what to do next."""

    study: Path
    pairwise: int
    approval: int
    gold: int
    dashboard: str  # the admin's link
    failed = False

    def render(self) -> str:
        return (
            f"wrote {self.study}: {self.pairwise} pairwise, {self.approval} approval and "
            f"{self.gold} gold tasks\n"
            f"admin dashboard (keep it private): {self.dashboard}\n"
            f"next: rubricrl study invite {self.study} NAME, "
            f"or rubricrl study open {self.study} for a panel"
        )


def study_create(config: StudyCreateConfig) -> StudyCreated:
    """`rubricrl study create`: the study file written, its admin link shown once."""
    pairwise, approval, gold, admin = create_study(config)
    return StudyCreated(config.output, pairwise, approval, gold, admin_link(config.url, admin))


@dataclass(frozen=True)
class Invited:
    """What `study invite` prints: the annotator's tasks and personal link (shown only here)."""

    name: str
    tasks: int
    link: str
    failed = False

    def render(self) -> str:
        return f"{self.name}: {self.tasks} tasks; personal link (shown once): {self.link}"


def study_invite(config: InviteConfig) -> Invited:
    """`rubricrl study invite`: the annotator added, their personal link shown once."""
    link, given = invite(config)
    return Invited(config.name, given, link)


@dataclass(frozen=True)
class Revoked:
    """What `study revoke` prints: whose link stopped and how many tasks went back."""

    name: str
    returned: int
    failed = False

    def render(self) -> str:
        return (
            f"{self.name}: link revoked; {self.returned} unanswered tasks back in the pool "
            "for the next invite"
        )


def study_revoke(config: RevokeConfig) -> Revoked:
    """`rubricrl study revoke`: the annotator's link stopped, their open tasks released."""
    return Revoked(config.name, Study(config.study).revoke(config.name))


@dataclass(frozen=True)
class AdminRotated:
    """What `study rotate-admin` prints: the new admin link, shown only here."""

    dashboard: str
    failed = False

    def render(self) -> str:
        return (
            f"new admin dashboard (keep it private): {self.dashboard}\n"
            "the old admin link no longer works"
        )


def study_rotate_admin(config: RotateAdminConfig) -> AdminRotated:
    """`rubricrl study rotate-admin`: a fresh admin token, stored hashed in place of the old."""
    admin = new_token()
    Study(config.study).set_meta({"admin_hash": hash_token(admin)})
    return AdminRotated(admin_link(config.url, admin))
