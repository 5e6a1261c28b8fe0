"""The random-reward control: the real reward's values, permuted over each batch's completions.

Every value the grader gave is paid to some completion of the same batch, so the control has the
real reward's mean and spread step by step, and no link between a plan and what it is paid. An
arm trained on it shows what GRPO's updates do without signal (format drift, entropy collapse).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

RewardFunc = Callable[..., list[float | None]]


class ShuffledReward:
    """Wraps a TRL reward callable; unscored completions keep None, the scored ones swap rewards."""

    def __init__(self, reward: RewardFunc, seed: int = 0) -> None:
        self.reward = reward
        self.rng = np.random.default_rng(seed)
        self.__name__ = getattr(reward, "__name__", type(reward).__name__)

    def __call__(self, **columns: Any) -> list[float | None]:
        rewards = self.reward(**columns)
        scored = [i for i, value in enumerate(rewards) if value is not None]
        shuffled = list(rewards)
        for target, source in zip(scored, self.rng.permutation(scored), strict=True):
            shuffled[target] = rewards[int(source)]
        return shuffled
