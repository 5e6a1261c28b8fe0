"""The retry helper: which failures are retried, how long it waits (Retry-After included), and
when it stops (tries, the deadline). A fake clock moves only when the fake sleep waits."""

import asyncio
import email.utils
import time

import httpx
import pytest

from rubricrl.backends.retry import (
    Backoff,
    DeadlinePassed,
    Exhausted,
    Garbled,
    Limits,
    Retry,
    classify,
    retry_after,
)
from rubricrl.errors import InputError

URL = "http://test/v1/chat/completions"


def status_error(status: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", URL)
    response = httpx.Response(status, request=request, headers=headers)
    return httpx.HTTPStatusError(f"HTTP {status}", request=request, response=response)


class Clock:
    """A clock that moves only when `sleep` is awaited (or a scripted call takes time)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay


class Script:
    """An async call that raises the scripted errors in turn, then returns "ok"; each call
    takes `takes` seconds of the fake clock."""

    def __init__(self, *errors: Exception, clock: Clock | None = None, takes: float = 0.0) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.clock = clock
        self.takes = takes

    async def __call__(self) -> str:
        self.calls += 1
        if self.clock is not None:
            self.clock.now += self.takes
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def retry(clock: Clock, **limits: float) -> Retry:
    return Retry(limits=Limits(**limits), sleep=clock.sleep, clock=clock)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (status_error(429), "transient"),
        (status_error(500), "transient"),
        (status_error(503), "transient"),
        (status_error(400), None),
        (status_error(401), None),
        (status_error(404), None),
        (httpx.ConnectError("refused"), "unreachable"),
        (httpx.ConnectTimeout("slow"), "unreachable"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (DeadlinePassed("late"), "timeout"),
        (httpx.RemoteProtocolError("server disconnected"), "transient"),
        (Garbled("<html>"), "transient"),
        (ValueError("a bug"), None),
    ],
)
def test_classify(error: Exception, kind: str | None) -> None:
    assert classify(error) == kind


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(attempts=10, base=1.0, cap=5.0)
    for retry_, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (8, 5.0)]:
        delays = {backoff.delay(retry_) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jittered, not a fixed wait


def test_retries_429_503_and_garbage_then_succeeds() -> None:
    clock = Clock()
    call = Script(status_error(429), status_error(503), Garbled("<html>"))
    assert asyncio.run(retry(clock)(call)) == "ok"
    assert call.calls == 4
    assert len(clock.delays) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    clock = Clock()
    call = Script(status_error(status))
    with pytest.raises(httpx.HTTPStatusError):
        asyncio.run(retry(clock)(call))
    assert call.calls == 1
    assert clock.delays == []


def test_transient_failures_stop_after_the_retry_budget_and_say_what_was_tried() -> None:
    clock = Clock()
    call = Script(*[status_error(503)] * 10)
    with pytest.raises(Exhausted) as caught:
        asyncio.run(retry(clock, retries=3, deadline=1e6)(call))
    assert call.calls == 4
    assert isinstance(caught.value.last, httpx.HTTPStatusError)
    assert caught.value.tries == 4
    assert caught.value.summary == f"4 tries over {sum(clock.delays):.1f} s"


def test_refused_connections_get_a_few_short_tries() -> None:
    clock = Clock()
    call = Script(*[httpx.ConnectError("refused")] * 10)
    with pytest.raises(Exhausted):
        asyncio.run(retry(clock)(call))
    assert call.calls == Retry().unreachable.attempts
    assert sum(clock.delays) < 2.0


def test_a_refusal_after_a_drop_ends_on_the_short_budget() -> None:
    # a request cut off by a dying server, then refused: the refusal's few tries count
    clock = Clock()
    call = Script(httpx.RemoteProtocolError("gone"), *[httpx.ConnectError("refused")] * 10)
    with pytest.raises(Exhausted) as caught:
        asyncio.run(retry(clock)(call))
    assert call.calls == Retry().unreachable.attempts
    assert isinstance(caught.value.last, httpx.ConnectError)


def test_retry_after_in_seconds_is_honoured() -> None:
    clock = Clock()
    call = Script(status_error(429, {"Retry-After": "10"}), status_error(429, {"Retry-After": "3"}))
    assert asyncio.run(retry(clock)(call)) == "ok"
    assert clock.delays == [10.0, 3.0]


def test_retry_after_as_an_http_date_is_honoured() -> None:
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert retry_after(status_error(503, {"Retry-After": later})) == pytest.approx(20, abs=1.5)
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry_after(status_error(429, {"Retry-After": past})) == 0.0
    assert retry_after(status_error(429, {"Retry-After": "soon"})) is None
    assert retry_after(status_error(429)) is None
    assert retry_after(httpx.ReadTimeout("slow")) is None


def test_a_retry_after_past_the_deadline_stops_at_once() -> None:
    clock = Clock()
    call = Script(status_error(429, {"Retry-After": "120"}))
    with pytest.raises(Exhausted) as caught:
        asyncio.run(retry(clock, deadline=60)(call))
    assert call.calls == 1 and clock.delays == []
    assert "waiting 120 s more would pass the deadline" in caught.value.summary


def test_no_try_starts_after_the_deadline() -> None:
    clock = Clock()
    call = Script(*[httpx.ReadTimeout("slow")] * 10, clock=clock, takes=30.0)
    with pytest.raises(Exhausted) as caught:
        asyncio.run(retry(clock, timeout=30, deadline=50)(call))
    assert call.calls == 2  # the second try ends past the deadline: no third
    assert caught.value.summary.endswith("deadline 50 s")


def test_a_try_is_cut_short_at_the_deadline() -> None:
    async def hang() -> str:
        await asyncio.sleep(30)
        return "late"

    started = time.monotonic()
    with pytest.raises(Exhausted) as caught:
        asyncio.run(Retry(limits=Limits(deadline=0.2))(hang))
    assert time.monotonic() - started < 10.0  # the try hangs for 30 s: cut short, not waited out
    assert isinstance(caught.value.last, DeadlinePassed)


def test_limits_come_from_the_environment() -> None:
    assert Limits.from_env({}) == Limits()
    environ = {
        "RUBRICRL_REQUEST_TIMEOUT": "5",
        "RUBRICRL_REQUEST_DEADLINE": "12.5",
        "RUBRICRL_REQUEST_RETRIES": "0",
        "RUBRICRL_REQUEST_CONCURRENCY": "64",
    }
    expected = Limits(timeout=5.0, deadline=12.5, retries=0, concurrency=64)
    assert Limits.from_env(environ) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RUBRICRL_REQUEST_TIMEOUT", "0"),
        ("RUBRICRL_REQUEST_TIMEOUT", "soon"),
        ("RUBRICRL_REQUEST_DEADLINE", "-3"),
        ("RUBRICRL_REQUEST_DEADLINE", "inf"),
        ("RUBRICRL_REQUEST_RETRIES", "-1"),
        ("RUBRICRL_REQUEST_RETRIES", "1.5"),
        ("RUBRICRL_REQUEST_CONCURRENCY", "0"),
        ("RUBRICRL_REQUEST_CONCURRENCY", "2.5"),
    ],
)
def test_bad_limits_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(InputError, match=name):
        Limits.from_env({name: value})
