"""Bounded retries around one provider HTTP call, on tenacity: what is retried, how long to wait
(a server's Retry-After honoured), and when to stop (out of tries, or past the request's deadline).

Transient failures are retried (429, 5xx, timeouts, dropped connections, an HTTP-200 reply that
is not JSON); a server that refuses connections gets a few quick tries only, so a wrong port
fails in about a second. Limits come from RUBRICRL_REQUEST_TIMEOUT / _DEADLINE / _RETRIES, and
how many requests a backend keeps in flight from RUBRICRL_REQUEST_CONCURRENCY.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from rubricrl.errors import InputError

T = TypeVar("T")
Failure = Literal["transient", "timeout", "unreachable"]
TIMEOUT_VARIABLE = "RUBRICRL_REQUEST_TIMEOUT"
DEADLINE_VARIABLE = "RUBRICRL_REQUEST_DEADLINE"
RETRIES_VARIABLE = "RUBRICRL_REQUEST_RETRIES"
CONCURRENCY_VARIABLE = "RUBRICRL_REQUEST_CONCURRENCY"


class Garbled(Exception):
    """An HTTP-200 reply that is not a JSON object (a proxy's error page, a cut stream)."""


class DeadlinePassed(Exception):
    """A try was cut short because the request's deadline came first."""


@dataclass(frozen=True)
class Limits:
    """How long one request may take: `timeout` per try, `deadline` over all its tries, and
    `retries` more tries after the first for transient failures; and how many requests a backend
    keeps in flight at once (`concurrency`: a served grader on its own GPUs wants 64 or more)."""

    timeout: float = 120.0
    deadline: float = 300.0
    retries: int = 4
    concurrency: int = 8

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Limits:
        """The defaults, overridden by the RUBRICRL_REQUEST_* variables that are set."""
        default = cls()
        timeout = _number(environ, TIMEOUT_VARIABLE, default.timeout, above=0.0)
        deadline = _number(environ, DEADLINE_VARIABLE, default.deadline, above=0.0)
        retries = _whole(environ, RETRIES_VARIABLE, default.retries, above=-1)
        concurrency = _whole(environ, CONCURRENCY_VARIABLE, default.concurrency, above=0)
        return cls(timeout=timeout, deadline=deadline, retries=retries, concurrency=concurrency)


def _whole(environ: Mapping[str, str], name: str, default: int, above: int) -> int:
    value = _number(environ, name, default, above=above)
    if value != int(value):
        raise InputError(f"{name}={value:g}: expected a whole number")
    return int(value)


def _number(environ: Mapping[str, str], name: str, default: float, above: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > above or value == float("inf"):
        raise InputError(f"{name}={text!r}: expected a number above {above:g}")
    return value


@dataclass(frozen=True)
class Backoff:
    """`attempts` tries in all; the wait before try k+1 is up to `base * 2**k`, capped."""

    attempts: int
    base: float
    cap: float

    def delay(self, retry: int) -> float:
        ceiling = min(self.cap, self.base * 2**retry)
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads out clients retrying together


def classify(error: BaseException | None) -> Failure | None:
    """Which kind of retryable failure `error` is, or None when retrying cannot help."""
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return "unreachable"
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return "transient" if status == 429 or status >= 500 else None
    if isinstance(error, httpx.TimeoutException | DeadlinePassed):
        return "timeout"
    if isinstance(error, httpx.TransportError | Garbled):
        return "transient"
    return None


def retry_after(error: BaseException | None) -> float | None:
    """The seconds a 429 or 503 reply asks us to wait (Retry-After in seconds or as an HTTP
    date), or None when it asks nothing readable."""
    if not isinstance(error, httpx.HTTPStatusError):
        return None
    value = error.response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Exhausted(Exception):
    """Retrying stopped: `last` is the final failure, after `tries` tries over `elapsed` s."""

    def __init__(self, last: BaseException, tries: int, elapsed: float, why: str) -> None:
        super().__init__(last, tries, elapsed, why)
        self.last = last
        self.tries = tries
        self.elapsed = elapsed
        self.why = why  # "tries", the deadline, or a wait that would pass it

    def __str__(self) -> str:
        return f"{self.last} ({self.summary})"

    @property
    def summary(self) -> str:
        tries = f"{self.tries} {'try' if self.tries == 1 else 'tries'} over {self.elapsed:.1f} s"
        return f"{tries}, {self.why}" if self.why != "tries" else tries


@dataclass(frozen=True)
class Retry:
    """Calls an async function until it succeeds, a failure is not retryable, tries run out, or
    the deadline would pass; raises the unretryable error as it is, or Exhausted."""

    limits: Limits = Limits()
    unreachable: Backoff = Backoff(attempts=3, base=0.25, cap=1.0)
    base: float = 1.0  # the first transient wait, doubling up to `cap`
    cap: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @property
    def transient(self) -> Backoff:
        return Backoff(attempts=self.limits.retries + 1, base=self.base, cap=self.cap)

    async def __call__(self, call: Callable[[], Awaitable[T]]) -> T:
        start = self.clock()
        end = start + self.limits.deadline
        why: list[str] = ["tries"]

        async def attempt() -> T:
            try:
                async with asyncio.timeout(max(end - self.clock(), 0.0)):
                    return await call()
            except TimeoutError:
                raise DeadlinePassed(
                    f"no reply before the {self.limits.deadline:g} s deadline"
                ) from None

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            policy = self.unreachable if classify(error) == "unreachable" else self.transient
            asked = retry_after(error)
            return policy.delay(state.attempt_number - 1) if asked is None else asked

        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            policy = self.unreachable if classify(error) == "unreachable" else self.transient
            if isinstance(error, DeadlinePassed) or self.clock() >= end:
                why[0] = f"deadline {self.limits.deadline:g} s"
                return True
            if self.clock() + state.upcoming_sleep >= end:
                why[0] = f"waiting {state.upcoming_sleep:.0f} s more would pass the deadline"
                return True
            return state.attempt_number >= policy.attempts

        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda error: classify(error) is not None),
            wait=wait,
            stop=stop,
            sleep=self.sleep,
            reraise=True,
        )
        tries = 0
        try:
            async for try_ in retrying:
                with try_:
                    tries += 1
                    return await attempt()
        except Exception as error:
            if classify(error) is None:
                raise
            raise Exhausted(error, tries, self.clock() - start, why[0]) from error
        raise AssertionError("tenacity neither returned nor raised")
