"""The compare stage: a jury judges models' plans goal by goal; writes comparisons and a summary.

Two plan files give A's win rate over B, raw and length-controlled; more files (`--plans`) get
every pair judged and all models rated (Bradley-Terry, evaluation/ratings.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from string import ascii_uppercase as LETTERS

from rubricrl.backends import Sampling, load_backend
from rubricrl.backends.base import ChatBackend
from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.evaluation.judge import Judge, Pair
from rubricrl.evaluation.jury import Jury, Rule, check_jury, jury_outcome
from rubricrl.evaluation.length_control import Judged, length_controlled_win_rate
from rubricrl.evaluation.ratings import ratings
from rubricrl.evaluation.win_rates import summarize
from rubricrl.grading.grader import Verdicts
from rubricrl.grading.parse import count_words
from rubricrl.jsonl import Row, load_records
from rubricrl.model_spec import SPEC_HELP, ModelSpec
from rubricrl.records import Comparison, ComparisonSummary, Plan, Sample
from rubricrl.stage import Resumable, write_summary


@dataclass(frozen=True, kw_only=True)
class CompareConfig:
    """Judge models' plans goal by goal, in both orders: A's win rate over B with intervals, raw
    and length-controlled; with more plan files, ratings of every model."""

    plans_a: Path = option(help="Plans of model A (JSONL of Plan).", positional=True, input="file")
    plans_b: Path = option(help="Plans of model B (JSONL of Plan).", positional=True, input="file")
    more_plans: tuple[Path, ...] = option(
        (),
        "More models' plans (repeatable; checkpoints, say): every pair of models is judged and "
        "all are rated, Bradley-Terry with intervals.",
        flags=("--plans",),
        input="file",
    )
    label: tuple[str, ...] = option(
        (),
        "KEY=NAME: a short name for a model in the summary and report; KEY is its file's letter "
        "(A, B, then C... for --plans) or its model spec (repeatable).",
    )
    goals: Path = option(help="Goals the plans answer (JSONL of Sample).", input="file")
    output: Path = option(
        help="Comparisons JSONL; the summary goes beside it.", flags=("-o",), output="file"
    )
    judge: tuple[ModelSpec, ...] = option(
        help=f"Judge model spec ({SPEC_HELP}); repeat for a jury."
    )
    verdicts: Verdicts = option(
        "generated",
        "generated: the judge writes its preference; prob: P(first plan better) read "
        "in both orders and averaged, so position bias cancels.",
    )
    min_mass: float = option(
        0.2, "prob verdicts: least P(1)+P(2) for a judgment to count as scored.", min=0.0, max=1.0
    )
    show_rubric: bool = option(False, "Show judges the rubric.")
    show_reference: bool = option(False, "Show judges the paper's reference solution.")
    rule: Rule = option("majority", "Jury rule.")
    bootstrap: int = option(1000, "Bootstrap resamples for intervals.", min=1)
    seed: int = option(0, "Seed of the judges' sampling and the bootstrap.")
    allow_partial: bool = option(False, "Compare only the goals both plan files cover.")
    chunk: int = option(256, "Goals per backend batch (results are saved per chunk).", min=1)
    max_tokens: int = option(256, "Most tokens per judge reply.", min=1)
    temperature: float = option(0.0, "Judge sampling temperature.", min=0.0)
    retries: int = option(1, "Extra attempts for unreadable judge replies.", min=0)

    @property
    def files(self) -> list[Path]:
        """Every plan file: A, B, then --plans."""
        return [self.plans_a, self.plans_b, *self.more_plans]


def plans_by_goal(path: Path, goals_path: Path, samples: dict[str, Sample]) -> dict[str, Plan]:
    """The first plan (lowest index) per goal of one model's plan file, checked against the goals."""
    plans = load_records(path, Plan)
    models = sorted({plan.model for plan in plans})
    if len(models) > 1:
        raise InputError(
            f"{path}: plans of several models ({', '.join(models)}); keep one per file"
        )
    unknown = [plan.sample_id for plan in plans if plan.sample_id not in samples]
    if unknown:
        raise InputError(
            f"{path}: {len(set(unknown))} goal(s) missing from {goals_path} (e.g. {unknown[0]!r})"
        )
    chosen: dict[str, Plan] = {}
    for plan in sorted(plans, key=lambda p: p.index):
        chosen.setdefault(plan.sample_id, plan)
    return chosen


def _shared_goals(config: CompareConfig, plans: Sequence[dict[str, Plan]]) -> set[str]:
    shared = set.intersection(*(set(by_goal) for by_goal in plans))
    if not shared:
        raise InputError(f"{' and '.join(map(str, config.files))} share no goals")
    missing = [len(by_goal.keys() - shared) for by_goal in plans]
    if any(missing) and not config.allow_partial:
        counts = ", ".join(
            f"{n} only in {letter}" for letter, n in zip(LETTERS, missing, strict=False) if n
        )
        raise InputError(
            f"{' and '.join(map(str, config.files))} cover different goals: {len(shared)} shared, "
            f"{counts}; pass --allow-partial to compare the shared ones"
        )
    return shared


def _run_digest(config: CompareConfig, judges: Sequence[Judge]) -> str:
    """A short hash of what shapes a decision, so a changed jury never reuses old rows."""
    settings = [
        [judge.name for judge in judges],
        judges[0].template.digest,
        judges[0].sampling.as_dict(),
        config.show_rubric,
        config.show_reference,
        config.rule,
        config.verdicts,
        config.min_mass,
    ]
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Goals:
    """The checked inputs: every goal all plan files answer, with each model's plan for it."""

    samples: list[Sample]
    plans: list[dict[str, Plan]]  # per plan file, in order: A, B, then --plans

    @classmethod
    def load(cls, config: CompareConfig) -> Goals:
        samples = {sample.id: sample for sample in load_records(config.goals, Sample)}
        plans = [plans_by_goal(path, config.goals, samples) for path in config.files]
        names: dict[str, Path] = {}
        for path, by_goal in zip(config.files, plans, strict=True):
            model = next(iter(by_goal.values())).model
            if model in names:
                raise InputError(f"{names[model]} and {path} hold plans of one model, {model}")
            names[model] = path
        shared = _shared_goals(config, plans)
        return cls([s for s in samples.values() if s.id in shared], plans)

    def pairs(self, digest: str) -> list[Pair]:
        """The pairs to judge: A against B on every goal, in goals-file order, then every other
        pair of models. A and B keep the ids they had before more models could be rated."""
        judged = []
        for x, y in combinations(range(len(self.plans)), 2):
            after = "" if (x, y) == (0, 1) else f":{LETTERS[x]}~{LETTERS[y]}"
            for s in self.samples:
                plan_x, plan_y = self.plans[x][s.id], self.plans[y][s.id]
                judged.append(
                    Pair(f"{s.id}:{plan_x.id}~{plan_y.id}:{digest}{after}", s, plan_x, plan_y)
                )
        return judged

    def labels(self, given: Sequence[str]) -> dict[str, str]:
        """Model name -> short name from `KEY=NAME` settings (KEY: a file's letter or a model)."""
        models = [next(iter(by_goal.values())).model for by_goal in self.plans]
        keys = {
            **{letter: model for letter, model in zip(LETTERS, models, strict=False)},
            **{m: m for m in models},
        }
        labels = {}
        for setting in given:
            key, _, name = setting.partition("=")
            if key not in keys or not name:
                raise InputError(
                    f"--label {setting!r}: expected KEY=NAME, KEY one of {', '.join(keys)}"
                )
            labels[keys[key]] = name
        return labels


def compare(
    config: CompareConfig, backends: Sequence[ChatBackend] | None = None
) -> ComparisonSummary:
    """Judge every shared goal's pair (resuming), write comparisons and the summary; return it."""
    goals = Goals.load(config)  # check every input before any model loads
    if backends is None:
        check_jury([str(spec) for spec in config.judge], config.rule)
        backends = [load_backend(spec) for spec in config.judge]
    sampling = Sampling(
        temperature=config.temperature, max_tokens=config.max_tokens, seed=config.seed
    )
    judges = [
        Judge(
            b,
            sampling,
            config.show_rubric,
            config.show_reference,
            config.retries,
            verdicts=config.verdicts,
            min_mass=config.min_mass,
        )
        for b in backends
    ]
    jury = Jury(judges, config.rule)
    pairs = goals.pairs(_run_digest(config, judges))
    with Resumable("compare", config.output, pairs, noun="pairs", redo=undecided) as work:
        for chunk in work.chunks(config.chunk):
            work.write(jury.compare(chunk))  # a BackendError stops it; the kernel says what is kept
    wanted = {pair.id for pair in pairs}
    judged = [
        c for c in load_records(config.output, Comparison, allow_empty=True) if c.id in wanted
    ]
    summary = _summary(config, goals, judged)
    write_summary(config.output, summary)
    return summary


def _summary(
    config: CompareConfig, goals: Goals, judged: Sequence[Comparison]
) -> ComparisonSummary:
    """A over B (raw and length-controlled), and ratings of every model when there are more."""
    model_a, model_b = (next(iter(by_goal.values())).model for by_goal in goals.plans[:2])
    head = [c for c in judged if (c.model_a, c.model_b) == (model_a, model_b)]
    labels = goals.labels(config.label)
    named = [_labelled(c, labels) for c in judged]
    summary = summarize(
        [_labelled(c, labels) for c in head],
        config.rule,
        config.bootstrap,
        config.seed,
        verdicts=config.verdicts,
        sampling={"temperature": config.temperature, "max_tokens": config.max_tokens},
    )
    rows = [
        Judged(
            c.sample_id,
            outcome,
            count_words(goals.plans[0][c.sample_id].text),
            count_words(goals.plans[1][c.sample_id].text),
        )
        for c in head
        if (outcome := jury_outcome(c)) is not None
    ]
    return summary.model_copy(
        update={
            "length_controlled": length_controlled_win_rate(rows),
            "ratings": ratings(named, resamples=config.bootstrap, seed=config.seed)
            if len(goals.plans) > 2
            else None,
        }
    )


def _labelled(comparison: Comparison, labels: dict[str, str]) -> Comparison:
    a, b = comparison.model_a, comparison.model_b
    return comparison.model_copy(update={"model_a": labels.get(a, a), "model_b": labels.get(b, b)})


def undecided(row: Row) -> bool:
    """Whether a comparison has no decision (no judge could answer), so a re-run judges it again."""
    return row.get("decision") is None
