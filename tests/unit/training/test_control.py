"""The random-reward control: the same values paid to other completions of the batch."""

from __future__ import annotations

from typing import Any

from rubricrl.training.control import ShuffledReward


def fixed(rewards: list[float | None]) -> Any:
    def reward(**_columns: Any) -> list[float | None]:
        return list(rewards)

    return reward


def test_the_batch_keeps_its_values_and_unscored_places() -> None:
    rewards: list[float | None] = [0.1, None, 0.5, 0.9, 0.3, None, 0.7]
    shuffled = ShuffledReward(fixed(rewards), seed=3)(prompts=[], completions=[])
    assert [value is None for value in shuffled] == [value is None for value in rewards]
    assert sorted(v for v in shuffled if v is not None) == [0.1, 0.3, 0.5, 0.7, 0.9]


def test_the_link_between_completion_and_reward_is_broken() -> None:
    rewards: list[float | None] = [float(i) for i in range(8)]
    control = ShuffledReward(fixed(rewards), seed=0)
    calls = [control(prompts=[], completions=[]) for _ in range(20)]
    assert any(call != rewards for call in calls)
    kept_in_place = sum(call[i] == rewards[i] for call in calls for i in range(8))
    assert kept_in_place < 0.5 * 20 * 8  # a permutation keeps about one value in place


def test_seeded_and_named_after_the_wrapped_reward() -> None:
    def rubric_reward(**_columns: Any) -> list[float | None]:
        return [0.0, 1.0, 2.0, 3.0]

    first = ShuffledReward(rubric_reward, seed=7)(completions=[])
    assert ShuffledReward(rubric_reward, seed=7)(completions=[]) == first
    assert ShuffledReward(rubric_reward).__name__ == "rubric_reward"
