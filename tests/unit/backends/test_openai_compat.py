"""The OpenAI-compatible backend against a scripted in-process server (httpx.MockTransport)."""

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from rubricrl.backends.base import Completion, Sampling, user
from rubricrl.backends.cache import CachedBackend, ResponseCache
from rubricrl.backends.openai_compat import OpenAIBackend
from rubricrl.backends.retry import Backoff, Limits, Retry
from rubricrl.backends.structured import ask_structured
from rubricrl.errors import BackendError

BASE = "http://stub:8000/v1"
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}
Reply = Callable[[dict], httpx.Response]


def chat_reply(*texts: str, prompt_tokens: int = 7, completion_tokens: int = 3) -> httpx.Response:
    choices = [
        {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
        for i, t in enumerate(texts)
    ]
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
    return httpx.Response(200, json={"choices": choices, "usage": usage})


def echo(body: dict) -> httpx.Response:
    return chat_reply(*[body["messages"][-1]["content"].upper()] * body["n"])


class Stub:
    """Records every request and answers it with `reply(body)`; may raise to simulate faults."""

    def __init__(self, reply: Reply = echo) -> None:
        self.reply = reply
        self.bodies: list[dict] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = json.loads(request.content)
        self.bodies.append(body)
        return self.reply(body)

    def backend(self, **options: Any) -> OpenAIBackend:
        options.setdefault("retry", Retry(sleep=no_sleep))
        return OpenAIBackend(BASE, "m1", transport=httpx.MockTransport(self), **options)


async def no_sleep(_delay: float) -> None:
    """Retries in unit tests wait for nothing."""


def scripted(*responses: httpx.Response | Exception) -> Reply:
    """Answers in turn with the given responses, raising the exceptions among them."""
    queue = list(responses)

    def reply(_body: dict) -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return reply


def test_request_shape() -> None:
    stub = Stub(lambda body: chat_reply(*['{"answer": 1}'] * body["n"]))
    sampling = Sampling(temperature=0.3, top_p=0.9, max_tokens=17, n=2, seed=5, stop=("END",))
    stub.backend().batch([user("hi", system="be brief")], sampling, SCHEMA)
    (request,) = stub.requests
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/chat/completions"
    assert stub.bodies[0] == {
        "model": "m1",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ],
        "temperature": 0.3,
        "top_p": 0.9,
        "max_tokens": 17,
        "n": 2,
        "seed": 5,
        "stop": ["END"],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": SCHEMA, "strict": True},
        },
    }


def test_optional_fields_are_left_out() -> None:
    stub = Stub()
    stub.backend().batch([user("hi")], Sampling())
    assert not {"seed", "stop", "response_format"} & set(stub.bodies[0])


def test_replies_keep_order_and_usage_is_summed() -> None:
    stub = Stub()
    backend = stub.backend()
    completions = backend.batch([user(w) for w in "abcde"], Sampling(n=2))
    assert [c.texts for c in completions] == [[w.upper()] * 2 for w in "ABCDE"]
    assert completions[0] == Completion(["A", "A"], 7, 3, ["stop", "stop"])
    backend.batch([user("f")], Sampling())
    assert (backend.prompt_tokens, backend.completion_tokens) == (6 * 7, 6 * 3)


def test_servers_that_return_one_choice_are_asked_again_with_new_seeds() -> None:
    stub = Stub(lambda body: chat_reply(f"seed {body['seed']}"))
    (completion,) = stub.backend().batch([user("x")], Sampling(n=3, seed=10))
    assert completion.texts == ["seed 10", "seed 11", "seed 12"]
    assert [body["n"] for body in stub.bodies] == [3, 2, 1]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"RUBRICRL_API_KEY": "k1", "OPENAI_API_KEY": "k2"}, "Bearer k1"),
        ({"OPENAI_API_KEY": "k2"}, "Bearer k2"),
        ({}, None),
    ],
)
def test_api_key_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str | None
) -> None:
    for name in ("RUBRICRL_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    stub = Stub()
    stub.backend().batch([user("hi")], Sampling())
    assert stub.requests[0].headers.get("authorization") == expected


def test_429_and_503_are_retried_then_succeed() -> None:
    stub = Stub(scripted(httpx.Response(429), httpx.Response(503), chat_reply("fine")))
    (completion,) = stub.backend().batch([user("x")], Sampling())
    assert completion.text == "fine"
    assert len(stub.requests) == 3


def test_400_is_not_retried_and_names_the_server_reason() -> None:
    bad = httpx.Response(400, json={"error": {"message": "max_tokens is too large"}})
    stub = Stub(scripted(bad, chat_reply("never")))
    with pytest.raises(BackendError) as caught:
        stub.backend().batch([user("x")], Sampling())
    assert len(stub.requests) == 1
    message = str(caught.value)
    assert "HTTP 400" in message and "max_tokens is too large" in message
    assert "\n" not in message


def test_max_retries_bounds_the_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Backoff, "delay", lambda _self, _retry: 0.0)
    stub = Stub(lambda _body: httpx.Response(503, text="overloaded"))
    with pytest.raises(BackendError, match="HTTP 503: overloaded"):
        stub.backend(limits=Limits(retries=2), retry=None).batch([user("x")], Sampling())
    assert len(stub.requests) == 3


def test_partial_results_survive_a_failed_request(tmp_path: Path) -> None:
    def reply(body: dict) -> httpx.Response:
        if body["messages"][-1]["content"] == "poison":
            return httpx.Response(400, json={"error": {"message": "bad prompt"}})
        return echo(body)

    cache = ResponseCache(tmp_path / "responses.sqlite")
    backend = CachedBackend(Stub(reply).backend(), cache)
    conversations = [user("a"), user("b"), user("poison"), user("d")]
    with pytest.raises(BackendError) as caught:
        backend.batch(conversations, Sampling())
    assert sorted(caught.value.partial) == [0, 1, 3]
    assert caught.value.partial[3].text == "D"
    assert "1 of 4 requests failed, 3 finished" in str(caught.value)
    assert caught.value.row_level
    assert list(caught.value.failed) == [2] and "bad prompt" in caught.value.failed[2]
    assert len(cache) == 3

    rerun = Stub()
    CachedBackend(rerun.backend(), cache).batch(conversations, Sampling())
    assert [body["messages"][-1]["content"] for body in rerun.bodies] == ["poison"]


def test_unreachable_server_fails_fast_with_one_line() -> None:
    stub = Stub(scripted(*[httpx.ConnectError("All connection attempts failed")] * 20))
    with pytest.raises(BackendError) as caught:
        stub.backend(concurrency=1).batch([user(w) for w in "abcde"], Sampling())
    assert str(caught.value).startswith(f"openai backend: cannot connect to {BASE}")
    assert len(stub.requests) == Retry().unreachable.attempts  # queued requests do not retry too


def test_nothing_listening_names_the_refusal() -> None:
    backend = OpenAIBackend("http://127.0.0.1:9/v1", "m1")
    with pytest.raises(BackendError) as caught:
        backend.batch([user("x")], Sampling())
    assert str(caught.value).startswith(
        "openai backend: cannot connect to http://127.0.0.1:9/v1 (connection refused) (3 tries"
    )


def test_replies_come_back_as_served_and_the_reply_layer_asks_again() -> None:
    """The provider only generates: an invalid reply is returned as it is, and re-asking (with
    a fresh seed) is the structured-reply layer's job."""
    stub = Stub(scripted(chat_reply('{"answer": "four"}'), chat_reply('{"answer": 4}')))
    backend = stub.backend()
    (completion,) = backend.batch([user("2+2?")], Sampling(seed=3), SCHEMA)
    assert completion.text == '{"answer": "four"}'
    [answer] = ask_structured(backend, [user("2+2?")], Sampling(seed=3), SCHEMA, dict)
    assert answer == {"answer": 4}
    assert [body["seed"] for body in stub.bodies] == [3, 3]


def test_llama_cpp_dialect_is_used_when_json_schema_is_refused() -> None:
    refusal = httpx.Response(
        500, json={"error": {"message": "Input should be 'text' or 'json_object'"}}
    )
    stub = Stub(scripted(refusal, chat_reply('{"answer": 2}'), chat_reply('{"answer": 3}')))
    backend = stub.backend()
    backend.batch([user("a")], Sampling(), SCHEMA)
    backend.batch([user("b")], Sampling(), SCHEMA)
    formats = [body["response_format"] for body in stub.bodies]
    assert formats[0]["type"] == "json_schema"
    assert formats[1] == formats[2] == {"type": "json_object", "schema": SCHEMA}


def test_concurrency_is_limited() -> None:
    live = peak = 0

    async def reply(request: httpx.Request) -> httpx.Response:
        nonlocal live, peak
        live += 1
        peak = max(peak, live)
        await asyncio.sleep(0.01)
        live -= 1
        return chat_reply("ok")

    backend = OpenAIBackend(BASE, "m1", concurrency=3, transport=httpx.MockTransport(reply))
    assert len(backend.batch([user(str(i)) for i in range(10)], Sampling())) == 10
    assert peak == 3


def test_concurrency_comes_from_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUBRICRL_REQUEST_CONCURRENCY", "160")
    assert OpenAIBackend(BASE, "m1").concurrency == 160
    assert OpenAIBackend(BASE, "m1", limits=Limits(concurrency=3)).concurrency == 3
    assert OpenAIBackend(BASE, "m1", concurrency=5).concurrency == 5


def test_batch_works_from_threads_and_inside_an_event_loop() -> None:
    backend = Stub().backend()
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda w=w: results.append(backend.batch([user(w)], Sampling())[0].text)
        )
        for w in "xyz"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["X", "Y", "Z"]

    async def caller() -> str:
        return backend.batch([user("q")], Sampling())[0].text

    assert asyncio.run(caller()) == "Q"
