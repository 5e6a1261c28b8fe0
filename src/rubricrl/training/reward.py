"""Rubric rewards for RL engines: a TRL reward callable and verl-style `compute_score` functions.

All grade a whole batch of completions in one grader pass and subtract the format penalties. The
grader's item calls of that pass are in flight together, as many as the backend allows
(RUBRICRL_REQUEST_CONCURRENCY for a served grader). The async forms run the pass on a worker
thread, so the engine's event loop and its other async rewards go on meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from rubricrl.backends.retry import Limits
from rubricrl.config import parse_spec
from rubricrl.errors import InputError
from rubricrl.grading.contrastive import Contrast, ContrastiveGrader, Reward, grade_value
from rubricrl.grading.grader import GradingConfig, Mode, PlanGrader, Verdicts
from rubricrl.grading.load import load_grader
from rubricrl.grading.parse import count_words, extract_plan, has_solution
from rubricrl.grading.score import FormatPenalty, penalized
from rubricrl.model_spec import ModelSpec
from rubricrl.records import Grade, Plan, RubricItem


@dataclass(frozen=True)
class Goal:
    """A goal as the reward sees it, rebuilt from dataset columns."""

    id: str
    goal: str
    rubric: tuple[RubricItem, ...]
    reference_solution: str = ""


def _rubric(value: Any) -> tuple[RubricItem, ...]:
    """Rubric items from {id, text} mappings, or plain strings numbered from 1 (research-plan-gen)."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise InputError(f"rubric column: expected a list of items, got {type(value).__name__}")
    return tuple(
        RubricItem(id=str(n), text=item)
        if isinstance(item, str)
        else RubricItem.model_validate(item)
        for n, item in enumerate(value, start=1)
    )


def completion_text(completion: str | Sequence[Mapping[str, Any]]) -> str:
    """A completion's text, whether plain or a conversational list of messages (the last one's)."""
    if isinstance(completion, str):
        return completion
    if not completion:
        return ""
    content = completion[-1].get("content", "")
    return content if isinstance(content, str) else ""


def reward_metrics(
    grades: Sequence[Grade], texts: Sequence[str], penalty: FormatPenalty
) -> dict[str, float]:
    """Batch diagnostics: unscored share, mean satisfied items (scored plans), penalised share."""
    scored = [g for g in grades if g.score is not None]
    penalised = [
        not has_solution(text) or count_words(extract_plan(text)) > penalty.word_limit
        for text in texts
    ]
    metrics = {
        "rubric/unscored_fraction": (len(grades) - len(scored)) / len(grades),
        "rubric/format_penalised_fraction": sum(penalised) / len(texts),
    }
    if scored:
        satisfied = sum(sum(v.satisfied for v in g.verdicts) for g in scored)
        metrics["rubric/satisfied_items"] = satisfied / len(scored)
    return metrics


def score_completions(
    grader: PlanGrader,
    goals: Sequence[Goal],
    texts: Sequence[str],
    penalty: FormatPenalty,
    reward: Reward = "score",
) -> tuple[list[Grade], list[float | None]]:
    """Grade each completion against its goal in one pass; rewards are penalised scores, or
    penalised mean probabilities (None: unscored)."""
    plans = [
        Plan(id=f"{goal.id}/{n}", sample_id=goal.id, model="policy", text=text, index=n)
        for n, (goal, text) in enumerate(zip(goals, texts, strict=True))
    ]
    grades = grader.grade_many(list(zip(goals, plans, strict=True)))
    rewards = [
        penalized(
            grade_value(grade, goal, reward),
            has_solution=has_solution(text),
            words=count_words(extract_plan(text)),
            penalty=penalty,
        )
        for grade, goal, text in zip(grades, goals, texts, strict=True)
    ]
    return grades, rewards


@dataclass(frozen=True)
class GraderSource:
    """What loads a grader: plain data, so a reward pickled into a spawned worker (TRL's async
    GRPO trainer) loads its own grader there, once per process."""

    spec: ModelSpec
    grading: GradingConfig
    cache: bool = True

    def load(self) -> PlanGrader:
        return _loaded_grader(self)


@cache
def _loaded_grader(source: GraderSource) -> PlanGrader:
    return load_grader(source.spec, source.grading, source.cache)


class RubricReward:
    """TRL reward function: dataset columns `sample_id`, `goal`, `rubric`, `reference_solution`.

    Returns one reward per completion, None where the grader could not score it (TRL gives those
    no advantage). `last_grades` keeps the latest batch's grades for per-item logging. Built from
    a `GraderSource` it pickles (without its loaded grader); from a live grader it does not. With
    a `Contrast` the reward is the plan's own-rubric reward minus its mean on other goals'.
    """

    def __init__(
        self,
        grader: PlanGrader | GraderSource,
        penalty: FormatPenalty = FormatPenalty(),
        name: str = "rubric_reward",
        reward: Reward = "score",
        contrast: Contrast | None = None,
    ) -> None:
        self.source = grader if isinstance(grader, GraderSource) else None
        self.penalty = penalty
        self.reward = reward
        self.contrast = contrast
        self._grader = None if isinstance(grader, GraderSource) else grader
        self.__name__ = name
        self.last_grades: list[Grade] = []

    @property
    def rubric_grader(self) -> PlanGrader:
        """The grader of a plan's own rubric, loaded from the source on first use."""
        if self._grader is None:
            assert self.source is not None  # one of the two is always set
            self._grader = self.source.load()
        return self._grader

    @property
    def grader(self) -> PlanGrader:
        """What the reward grades with: the rubric grader, contrasted when a Contrast is set."""
        if self.contrast is None:
            return self.rubric_grader
        pool, others = self.contrast.pool, self.contrast.others
        return ContrastiveGrader(self.rubric_grader, pool, others, value=self.reward)

    def __getstate__(self) -> dict[str, Any]:
        if self.source is None:
            raise TypeError(
                "a RubricReward over a live grader cannot be pickled: pass a GraderSource"
            )
        return {**self.__dict__, "_grader": None, "last_grades": []}

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[str | Sequence[Mapping[str, Any]]],
        *,
        sample_id: Sequence[str],
        goal: Sequence[str],
        rubric: Sequence[Any],
        reference_solution: Sequence[str] | None = None,
        log_metric: Callable[[str, float], None] | None = None,
        **_columns: Any,
    ) -> list[float | None]:
        references = reference_solution or [""] * len(completions)
        goals = [
            Goal(id=str(i), goal=g, rubric=_rubric(r), reference_solution=ref or "")
            for i, g, r, ref in zip(sample_id, goal, rubric, references, strict=True)
        ]
        texts = [completion_text(c) for c in completions]
        # a contrastive grade's score already is the contrast of the chosen reward
        reward = "score" if self.contrast else self.reward
        self.last_grades, rewards = score_completions(
            self.grader, goals, texts, self.penalty, reward
        )
        if log_metric is not None:
            for name, value in reward_metrics(self.last_grades, texts, self.penalty).items():
                log_metric(name, value)
        return rewards


class AsyncReward:
    """A synchronous TRL reward run on a worker thread, for TRL to await beside its other async
    rewards; `reward` stays reachable for the callbacks that read it."""

    def __init__(self, reward: Callable[..., list[float | None]]) -> None:
        self.reward = reward
        self.__name__ = getattr(reward, "__name__", type(reward).__name__)

    async def __call__(self, **columns: Any) -> list[float | None]:
        return await asyncio.to_thread(functools.partial(self.reward, **columns))


def _goal(ground_truth: Any, extra_info: Mapping[str, Any] | None, position: int) -> Goal:
    """The goal carried in verl's `ground_truth`: a mapping or JSON text with goal and rubric."""
    if isinstance(ground_truth, str):
        try:
            ground_truth = json.loads(ground_truth)
        except json.JSONDecodeError:
            raise InputError("ground_truth: expected JSON with `goal` and `rubric`") from None
    if (
        not isinstance(ground_truth, Mapping)
        or "goal" not in ground_truth
        or "rubric" not in ground_truth
    ):
        raise InputError("ground_truth: expected a mapping with `goal` and `rubric`")
    extra = extra_info or {}
    sample_id = (
        ground_truth.get("sample_id") or extra.get("sample_id") or extra.get("index", position)
    )
    return Goal(
        id=str(sample_id),
        goal=str(ground_truth["goal"]),
        rubric=_rubric(ground_truth["rubric"]),
        reference_solution=str(ground_truth.get("reference_solution") or ""),
    )


def compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    grader: str = "embedded",
    mode: Mode = "all",
    dense: bool = False,
    verdicts: Verdicts = "generated",
    reward: Reward = "score",
    **_kwargs: Any,
) -> list[dict[str, float]]:
    """verl batch reward: `score` is the penalised rubric score (or mean item probability with
    `reward="probability"`); `grader` takes any grader spec text (from verl's config), `embed`
    included.

    verl has no "no reward" value, so an unscored plan gets score 0.0 with `unscored` 1.0 beside
    it; filter on that flag rather than trusting the zero.
    """
    extras = extra_infos if extra_infos is not None else [None] * len(solution_strs)
    goals = [
        _goal(truth, extra, n)
        for n, (truth, extra) in enumerate(zip(ground_truths, extras, strict=True))
    ]
    grades, rewards = score_completions(
        GraderSource(
            parse_spec("grader", grader), GradingConfig(mode=mode, dense=dense, verdicts=verdicts)
        ).load(),
        goals,
        solution_strs,
        FormatPenalty(),
        reward,
    )
    return [
        {
            "score": reward if reward is not None else 0.0,
            "rubric_score": grade.score if grade.score is not None else 0.0,
            "unscored": float(grade.score is None),
            "satisfied_items": float(sum(v.satisfied for v in grade.verdicts)),
        }
        for grade, reward in zip(grades, rewards, strict=True)
    ]


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """verl per-sample reward (`custom_reward_function.name: compute_score`); see compute_score_batch."""
    return compute_score_batch(
        [data_source], [solution_str], [ground_truth], [extra_info], **kwargs
    )[0]


def router_spec(address: str, model: str | None) -> str:
    """The grader spec for verl's reward router at `address` (host:port, or a URL)."""
    if not model:
        raise InputError(
            "reward_router_address is set: name the served grader in reward_kwargs.grader_model"
        )
    url = address if "://" in address else f"http://{address}"
    return f"openai:{url.rstrip('/')}/v1#{model}"


async def compute_score_async(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    reward_router_address: str | None = None,
    grader_model: str | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """verl's async reward loop form of `compute_score`. Given verl's `reward_router_address` (its
    router over the reward model's servers) the rubric grader is that served model, named by
    `grader_model`; otherwise `grader` picks it as in `compute_score_batch`. The grading runs
    on a worker thread, so verl keeps many samples' item calls in flight at once."""
    if reward_router_address:
        kwargs["grader"] = router_spec(reward_router_address, grader_model)
    score = functools.partial(compute_score, data_source, solution_str, ground_truth, extra_info)
    return await asyncio.get_running_loop().run_in_executor(
        _sample_threads(), functools.partial(score, **kwargs)
    )


@cache
def _sample_threads() -> ThreadPoolExecutor:
    """Threads for verl's samples, as many as the requests a backend keeps in flight (asyncio's
    default pool has only a few more than the CPU count, too few to keep a served grader busy)."""
    workers = Limits.from_env().concurrency
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rubricrl-score")
