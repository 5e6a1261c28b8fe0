"""The retry helper: which failures are retried, how many times, and how long it waits."""

import asyncio

import httpx
import pytest

from rubricrl.backends.retry import Backoff, Retry, classify

URL = "http://test/v1/chat/completions"


def status_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", URL)
    response = httpx.Response(status, request=request)
    return httpx.HTTPStatusError(f"HTTP {status}", request=request, response=response)


class Script:
    """An async call that raises the scripted errors in turn, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


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
        (httpx.ReadTimeout("slow"), "transient"),
        (httpx.RemoteProtocolError("server disconnected"), "transient"),
        (ValueError("a bug"), None),
    ],
)
def test_classify(error: Exception, kind: str | None) -> None:
    assert classify(error) == kind


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(attempts=10, base=1.0, cap=5.0)
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (8, 5.0)]:
        delays = {backoff.delay(retry) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jittered, not a fixed wait


def test_retries_429_and_503_then_succeeds() -> None:
    sleeps = Sleeps()
    call = Script(status_error(429), status_error(503))
    assert asyncio.run(Retry(sleep=sleeps)(call)) == "ok"
    assert call.calls == 3
    assert len(sleeps.delays) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    sleeps = Sleeps()
    call = Script(status_error(status))
    with pytest.raises(httpx.HTTPStatusError):
        asyncio.run(Retry(sleep=sleeps)(call))
    assert call.calls == 1
    assert sleeps.delays == []


def test_transient_failures_stop_after_the_attempt_budget() -> None:
    call = Script(*[status_error(503)] * 10)
    retry = Retry(transient=Backoff(attempts=4, base=1.0, cap=30.0), sleep=Sleeps())
    with pytest.raises(httpx.HTTPStatusError):
        asyncio.run(retry(call))
    assert call.calls == 4


def test_refused_connections_get_a_few_short_tries() -> None:
    sleeps = Sleeps()
    call = Script(*[httpx.ConnectError("refused")] * 10)
    with pytest.raises(httpx.ConnectError):
        asyncio.run(Retry(sleep=sleeps)(call))
    assert call.calls == Retry().unreachable.attempts
    assert sum(sleeps.delays) < 2.0


def test_budgets_are_counted_per_kind() -> None:
    # a request cut off by a dying server, then refused: both budgets apply, each bounded
    call = Script(httpx.RemoteProtocolError("gone"), *[httpx.ConnectError("refused")] * 10)
    retry = Retry(transient=Backoff(5, 1.0, 30.0), unreachable=Backoff(2, 0.1, 0.1), sleep=Sleeps())
    with pytest.raises(httpx.ConnectError):
        asyncio.run(retry(call))
    assert call.calls == 3
