"""Reward adapters: TRL callable (None propagation, metrics, columns) and verl compute_score."""

from __future__ import annotations

import asyncio
import json
import pickle
import re

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.grading.contrastive import Contrast
from rubricrl.grading.grader import Grader, GradingConfig, JudgeGrading
from rubricrl.model_spec import EMBEDDED, ModelSpec
from rubricrl.records import RubricItem
from rubricrl.training import reward as reward_module
from rubricrl.training.reward import (
    AsyncReward,
    Goal,
    GraderSource,
    RubricReward,
    compute_score,
    compute_score_batch,
    router_spec,
)
from tests.fakes import ScriptedBackend


def passes_items_named_in_plan(conversation: Conversation) -> str:
    """Unreadable for plans that say "garble"; otherwise passes items whose text the plan contains."""
    prompt = conversation[-1]["content"]
    plan = prompt.split("<<<BEGIN PLAN", 1)[1]
    if "garble" in plan:
        return "I refuse to answer in JSON."
    rubric = prompt.split("# Rubric items", 1)[1].split("# Plan under review", 1)[0]
    verdicts = [
        {"item_id": label, "rationale": "", "violated": [] if text in plan else [1]}
        for label, text in re.findall(r"^\[(\d+)\] (.+)$", rubric, re.MULTILINE)
    ]
    return json.dumps({"verdicts": verdicts})


RUBRIC = [{"id": "a", "text": "alpha"}, {"id": "b", "text": "beta"}]


def reward_for(completions: list, **extra: object) -> tuple[RubricReward, list[float | None]]:
    reward = RubricReward(
        Grader(ScriptedBackend(passes_items_named_in_plan), JudgeGrading(retries=1))
    )
    n = len(completions)
    columns = {"sample_id": ["s"] * n, "goal": ["g"] * n, "rubric": [RUBRIC] * n, **extra}
    return reward, reward(prompts=["p"] * n, completions=completions, **columns)


def test_rewards_are_penalised_scores_and_unscored_is_none() -> None:
    long_plan = "alpha beta " + "word " * 800
    reward, rewards = reward_for(
        [
            "<think>beta</think><solution>alpha</solution>",
            "<solution>alpha beta</solution>",
            "<solution>garble</solution>",
            "alpha beta, but no tags",
            f"<solution>{long_plan}</solution>",
        ]
    )
    assert rewards == pytest.approx([0.5, 1.0, None, 0.0, 0.5])
    assert rewards[2] is None
    assert [g.score for g in reward.last_grades] == [0.5, 1.0, None, 1.0, 1.0]
    assert reward.__name__ == "rubric_reward"


def test_conversational_completions_and_string_rubrics() -> None:
    reward = RubricReward(Grader(ScriptedBackend(passes_items_named_in_plan)))
    rewards = reward(
        prompts=[[{"role": "user", "content": "goal"}]],
        completions=[[{"role": "assistant", "content": "<solution>beta</solution>"}]],
        sample_id=["s"],
        goal=["g"],
        rubric=[["alpha", "beta"]],
        reference_solution=["ref"],
    )
    assert rewards == [0.5]
    assert [v.item_id for v in reward.last_grades[0].verdicts] == ["1", "2"]


def test_metrics_go_through_the_trainer_hook() -> None:
    logged: dict[str, float] = {}
    _, rewards = reward_for(
        ["<solution>alpha</solution>", "<solution>garble</solution>", "alpha beta"],
        log_metric=logged.__setitem__,
        trainer_state=object(),
        log_extra=lambda column, values: None,
    )
    assert rewards == pytest.approx([0.5, None, 0.0])
    assert logged["rubric/unscored_fraction"] == pytest.approx(1 / 3)
    assert logged["rubric/satisfied_items"] == pytest.approx((1 + 2) / 2)
    assert logged["rubric/format_penalised_fraction"] == pytest.approx(1 / 3)


def test_a_whole_step_is_graded_in_one_backend_call() -> None:
    backend = ScriptedBackend(passes_items_named_in_plan)
    reward = RubricReward(Grader(backend))
    reward(
        prompts=["p"] * 4,
        completions=["<solution>alpha</solution>"] * 4,
        sample_id=["s1", "s1", "s2", "s2"],
        goal=["g1", "g1", "g2", "g2"],
        rubric=[RUBRIC] * 4,
    )
    assert backend.batch_sizes == [4]


def test_verl_compute_score_single_and_batched(monkeypatch: pytest.MonkeyPatch) -> None:
    grader = Grader(ScriptedBackend(passes_items_named_in_plan), JudgeGrading(retries=0))
    monkeypatch.setattr(reward_module, "_loaded_grader", lambda source: grader)
    truth = {"goal": "g", "rubric": RUBRIC, "reference_solution": "r"}
    single = compute_score("rubric", "<solution>beta</solution>", json.dumps(truth), {"index": 3})
    assert single == {"score": 0.5, "rubric_score": 0.5, "unscored": 0.0, "satisfied_items": 1.0}
    batch = compute_score_batch(
        ["rubric", "rubric"], ["<solution>garble</solution>", "no tags alpha"], [truth, truth], None
    )
    assert batch[0]["unscored"] == 1.0 and batch[0]["score"] == 0.0
    assert batch[1]["score"] == pytest.approx(-0.5) and batch[1]["rubric_score"] == 0.5


def test_verl_ground_truth_must_carry_goal_and_rubric() -> None:
    from rubricrl.errors import InputError

    with pytest.raises(InputError, match="ground_truth"):
        compute_score("rubric", "x", "just an answer", None)


def columns(n: int) -> dict[str, object]:
    return {"prompts": ["p"] * n, "sample_id": ["s"] * n, "goal": ["g"] * n, "rubric": [RUBRIC] * n}


def test_a_reward_from_a_source_pickles_without_its_grader_and_loads_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads: list[GraderSource] = []

    def load(source: GraderSource) -> Grader:
        loads.append(source)
        return Grader(ScriptedBackend(passes_items_named_in_plan), JudgeGrading(retries=0))

    monkeypatch.setattr(reward_module, "_loaded_grader", load)
    source = GraderSource(
        ModelSpec.parse("openai:http://grader:8000/v1#judge"), GradingConfig(mode="per-item")
    )
    reward = RubricReward(source, reward="score")
    plans = ["<solution>alpha</solution>", "<solution>garble</solution>"]
    first = reward(completions=plans, **columns(2))
    copied = pickle.loads(pickle.dumps(reward))
    assert copied._grader is None and copied.source == source
    assert copied(completions=plans, **columns(2)) == first == [0.5, None]
    assert loads == [source, source]  # the copy loaded its own grader from the source


def test_a_contrastive_reward_pays_only_for_what_answers_the_goal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        reward_module,
        "_loaded_grader",
        lambda source: Grader(ScriptedBackend(passes_items_named_in_plan), JudgeGrading()),
    )
    items = (RubricItem(id="c", text="gamma"), RubricItem(id="d", text="delta"))
    other = Goal(id="t", goal="h", rubric=items)
    own = Goal(id="s", goal="g", rubric=tuple(RubricItem(**item) for item in RUBRIC))
    contrast = Contrast(pool=(own, other), others=1)
    reward = RubricReward(GraderSource(EMBEDDED, GradingConfig()), contrast=contrast)
    plans = [
        "<solution>alpha beta</solution>",  # answers its own goal only
        "<solution>alpha beta gamma delta</solution>",  # says everything to everyone
        "<solution>alpha gamma</solution>",
    ]
    assert reward(completions=plans, **columns(3)) == [1.0, 0.0, 0.0]
    copied = pickle.loads(pickle.dumps(reward))
    assert copied(completions=plans, **columns(3)) == [1.0, 0.0, 0.0]


def test_a_reward_over_a_live_grader_refuses_to_pickle() -> None:
    reward = RubricReward(Grader(ScriptedBackend(passes_items_named_in_plan)))
    with pytest.raises(TypeError, match="GraderSource"):
        pickle.dumps(reward)


def test_the_async_reward_is_awaited_by_trl_and_scores_as_the_sync_one() -> None:
    from trl.trainer.utils import is_async_callable

    reward, expected = reward_for(["<solution>beta</solution>", "<solution>garble</solution>"])
    wrapped = AsyncReward(reward)
    assert is_async_callable(wrapped) and wrapped.__name__ == "rubric_reward"
    plans = ["<solution>beta</solution>", "<solution>garble</solution>"]
    assert asyncio.run(wrapped(completions=plans, **columns(2))) == expected == [0.5, None]


def test_the_router_address_becomes_an_openai_grader_spec() -> None:
    from rubricrl.errors import InputError

    assert router_spec("10.0.0.7:9000", "qwen") == "openai:http://10.0.0.7:9000/v1#qwen"
    assert router_spec("https://r.example/", "qwen") == "openai:https://r.example/v1#qwen"
    with pytest.raises(InputError, match="grader_model"):
        router_spec("10.0.0.7:9000", None)
