"""Bounded retries with exponential backoff and jitter, wrapped around a provider's HTTP call.

Only transient failures are retried (429, 5xx, timeouts, dropped connections); a server that
refuses connections gets a few quick tries only, so a wrong port fails in about a second.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import httpx

T = TypeVar("T")
Failure = Literal["transient", "unreachable"]


@dataclass(frozen=True)
class Backoff:
    """`attempts` tries in all; the wait before try k+1 is up to `base * 2**k`, capped."""

    attempts: int
    base: float
    cap: float

    def delay(self, retry: int) -> float:
        ceiling = min(self.cap, self.base * 2**retry)
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads out clients retrying together


def classify(error: BaseException) -> Failure | None:
    """Which kind of retryable failure `error` is, or None when retrying cannot help."""
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return "unreachable"
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return "transient" if status == 429 or status >= 500 else None
    if isinstance(error, httpx.TimeoutException | httpx.TransportError):
        return "transient"
    return None


@dataclass(frozen=True)
class Retry:
    """Calls an async function until it succeeds, a failure is not retryable, or tries run out."""

    transient: Backoff = Backoff(attempts=5, base=1.0, cap=30.0)
    unreachable: Backoff = Backoff(attempts=3, base=0.25, cap=1.0)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)

    async def __call__(self, call: Callable[[], Awaitable[T]]) -> T:
        retries: dict[Failure, int] = {"transient": 0, "unreachable": 0}
        while True:  # bounded: every pass returns, raises, or spends one try of a budget
            try:
                return await call()
            except Exception as error:
                kind = classify(error)
                if kind is None:
                    raise
                policy = self.transient if kind == "transient" else self.unreachable
                if retries[kind] + 1 >= policy.attempts:
                    raise
                await self.sleep(policy.delay(retries[kind]))
                retries[kind] += 1
