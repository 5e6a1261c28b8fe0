"""The openai backend against the fault-injecting server (tests/fault_server.py) in each mode:
transient faults are retried to success, a refused row fails alone, a hung or refusing server
stops the batch within its deadline in one line that never holds the API key."""

from __future__ import annotations

import email.utils
import time
from collections import Counter

import pytest

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.failures import REDACTED
from rubricrl.backends.openai_compat import OpenAIBackend
from rubricrl.backends.retry import Limits, Retry
from rubricrl.backends.structured import Unreadable, ask_structured
from rubricrl.errors import BackendError
from tests.fault_server import CONTEXT_ERROR, Fault, FaultServer

KEY = "sk-test-0123456789abcdef"
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 9}},
    "required": ["answer"],
    "additionalProperties": False,
}
PROMPTS = ["alpha", "beta POISON", "gamma", "delta"]
CONVERSATIONS = [user(p) for p in PROMPTS]


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUBRICRL_API_KEY", KEY)


def backend(server: FaultServer, concurrency: int = 4, **limits: float) -> OpenAIBackend:
    settings = {"timeout": 1.0, "deadline": 3.0, "retries": 3, **limits}
    retry = Retry(limits=Limits(**settings), base=0.05, cap=0.2)  # type: ignore[arg-type]
    return OpenAIBackend(server.base_url, server.model, concurrency=concurrency, retry=retry)


def test_healthy_replies_are_deterministic_and_schema_valid(fault_server: FaultServer) -> None:
    first = backend(fault_server).batch(CONVERSATIONS, Sampling(seed=1, n=2), SCHEMA)
    again = backend(fault_server).batch(CONVERSATIONS, Sampling(seed=1, n=2), SCHEMA)
    assert first == again
    assert len({text for c in first for text in c.texts}) > 1
    answers = ask_structured(backend(fault_server), CONVERSATIONS, Sampling(), SCHEMA, dict)
    assert all(0 <= answer["answer"] <= 9 for answer in answers if isinstance(answer, dict))
    assert all(c.prompt_tokens > 0 and c.completion_tokens > 0 for c in first)
    assert fault_server.chat_requests[0].headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("mode", ["500", "429", "garbage", "drop", "midbody", "slow"])
def test_transient_faults_are_retried_to_success(fault_server: FaultServer, mode: str) -> None:
    fault_server.faults = [Fault(mode, times=2, retry_after="0", hang=0.2)]  # type: ignore[arg-type]
    completions = backend(fault_server).batch(CONVERSATIONS, Sampling(seed=1))
    assert len(completions) == 4 and all(c.text for c in completions)
    retried = 0 if mode == "slow" else 2
    assert len(fault_server.chat_requests) == 4 + retried
    assert fault_server.max_in_flight <= 4


@pytest.mark.parametrize("form", ["seconds", "date"])
def test_retry_after_is_waited_for(fault_server: FaultServer, form: str) -> None:
    after = "1" if form == "seconds" else email.utils.formatdate(time.time() + 2, usegmt=True)
    fault_server.faults = [Fault("429", times=1, retry_after=after)]
    backend(fault_server, concurrency=1, deadline=5.0).batch([user("x")], Sampling())
    refused, answered = fault_server.chat_requests
    assert answered.time - refused.time >= 0.9


def test_a_refused_row_fails_alone(fault_server: FaultServer) -> None:
    fault_server.faults = [Fault("400", marker="POISON")]
    with pytest.raises(BackendError) as caught:
        backend(fault_server).batch(CONVERSATIONS, Sampling())
    error = caught.value
    assert error.row_level and sorted(error.partial) == [0, 2, 3]
    assert list(error.failed) == [1] and CONTEXT_ERROR[:40] in error.failed[1]
    assert len(fault_server.chat_requests) == 4  # a refusal is not retried


def test_a_refused_row_is_unreadable_in_the_structured_layer(fault_server: FaultServer) -> None:
    fault_server.faults = [Fault("400", marker="POISON")]
    answers = ask_structured(backend(fault_server), CONVERSATIONS, Sampling(), SCHEMA, dict)
    assert isinstance(answers[1], Unreadable) and "HTTP 400" in answers[1].reason
    assert all(isinstance(answers[i], dict) for i in (0, 2, 3))


def test_schema_invalid_replies_are_asked_again_then_unreadable(fault_server: FaultServer) -> None:
    fault_server.faults = [Fault("invalid", marker="POISON")]
    answers = ask_structured(backend(fault_server), CONVERSATIONS, Sampling(), SCHEMA, dict)
    assert isinstance(answers[1], Unreadable) and "schema" in answers[1].reason
    assert sum("POISON" in r.text for r in fault_server.chat_requests) == 3


def test_choice_probs_without_logprobs_fail_that_row(fault_server: FaultServer) -> None:
    fault_server.faults = [Fault("invalid", marker="POISON")]
    with pytest.raises(BackendError) as caught:
        backend(fault_server).choice_probs(CONVERSATIONS, ("Yes", "No"))
    assert caught.value.row_level and list(caught.value.failed) == [1]
    assert all(0 < p.mass <= 1 for p in caught.value.partial.values())


def test_a_hung_server_fails_within_the_deadline(fault_server: FaultServer) -> None:
    fault_server.faults = [Fault("hang", hang=10)]
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        backend(fault_server, concurrency=2).batch(CONVERSATIONS, Sampling())
    assert time.monotonic() - started < 3.0 + 4.0  # the 10 s hang is cut at the 3 s deadline
    message = str(caught.value)
    assert "sent no reply" in message and "RUBRICRL_REQUEST_TIMEOUT" in message
    assert "tries over" in message and not caught.value.row_level
    assert len(fault_server.chat_requests) <= 2 * 3  # the queued rows never went out


@pytest.mark.parametrize("mode", ["500", "garbage", "drop", "midbody"])
def test_a_server_failing_every_try_stops_the_batch(fault_server: FaultServer, mode: str) -> None:
    fault_server.faults = [Fault(mode)]  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        backend(fault_server, concurrency=2, retries=2).batch(CONVERSATIONS, Sampling())
    assert time.monotonic() - started < 3.0 + 1.5
    assert "3 tries over" in str(caught.value) and not caught.value.row_level
    assert len(fault_server.chat_requests) == 2 * 3


def test_a_401_fails_the_whole_batch_at_once_without_the_key(fault_server: FaultServer) -> None:
    fault_server.faults = [Fault("401")]
    with pytest.raises(BackendError) as caught:
        backend(fault_server, concurrency=1).batch(CONVERSATIONS, Sampling())
    message = str(caught.value)
    assert "HTTP 401" in message and "RUBRICRL_API_KEY" in message
    assert KEY not in message and KEY[:12] not in message and REDACTED in message
    assert len(fault_server.chat_requests) == 1


@pytest.mark.parametrize("in_flight", [64, 256])
def test_the_configured_concurrency_is_all_in_flight_at_once(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch, in_flight: int
) -> None:
    # every reply waits until `in_flight` requests are in at once: fewer, and the batch hangs
    fault_server.faults = [Fault("gather", until=in_flight)]
    monkeypatch.setenv("RUBRICRL_REQUEST_CONCURRENCY", str(in_flight))
    conversations = [user(f"Is item {k} met?") for k in range(2 * in_flight)]
    backend = OpenAIBackend(fault_server.base_url, fault_server.model)
    probabilities = backend.choice_probs(conversations, ("Yes", "No"))
    assert len(probabilities) == 2 * in_flight
    assert fault_server.max_in_flight == in_flight
    asked = Counter(r.text for r in fault_server.chat_requests)
    assert len(asked) == 2 * in_flight and set(asked.values()) == {1}  # none lost, none twice
