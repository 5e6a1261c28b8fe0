"""The openai backend against a real llama.cpp server running the embedded model on 127.0.0.1."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jsonschema
import pytest

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.cache import CachedBackend, ResponseCache, cache_key
from rubricrl.backends.llama_server import LlamaServer, free_port
from rubricrl.backends.openai_compat import OpenAIBackend
from rubricrl.backends.retry import Limits
from rubricrl.backends.structured import Unreadable, ask_structured
from rubricrl.errors import BackendError

pytest_plugins = ["tests.integration.llama_fixtures"]
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed: run `make setup-server`",
    ),
]

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def backend_for(server: LlamaServer, **options: int) -> OpenAIBackend:
    return OpenAIBackend(server.base_url, server.alias, **options)


def test_server_reports_the_model_name_of_the_spec(llama_server: LlamaServer) -> None:
    models = httpx.get(f"{llama_server.base_url}/models").json()
    assert [model["id"] for model in models["data"]] == [llama_server.alias]
    assert llama_server.spec == f"openai:{llama_server.base_url}#SmolLM2-135M-Instruct"


def test_batch_of_four_generates_and_counts_usage(llama_server: LlamaServer) -> None:
    backend = backend_for(llama_server, concurrency=4)
    topics = ["rain", "bread", "rivers", "clocks"]
    conversations = [user(f"Write one sentence about {topic}.") for topic in topics]
    completions = backend.batch(conversations, Sampling(max_tokens=24, temperature=0.7, seed=1))
    assert len(completions) == 4
    assert all(c.finish_reasons[0] in {"stop", "length"} for c in completions)
    assert all(c.text.strip() or c.finish_reasons[0] == "stop" for c in completions)
    assert all(0 < c.completion_tokens <= 24 and c.prompt_tokens > 5 for c in completions)
    assert backend.completion_tokens == sum(c.completion_tokens for c in completions)
    assert backend.prompt_tokens == sum(c.prompt_tokens for c in completions)


def test_json_schema_replies_validate_through_the_reply_layer(llama_server: LlamaServer) -> None:
    backend = backend_for(llama_server)
    asks = [user("Invent a person. Reply with their name and age as JSON.")] * 2
    sampling = Sampling(max_tokens=48, temperature=0.8, seed=3)
    replies = ask_structured(backend, asks, sampling, PERSON, dict, attempts=3)
    for reply in replies:
        assert not isinstance(reply, Unreadable), reply.reason
        jsonschema.validate(reply, PERSON)


class HoldFrom(httpx.AsyncBaseTransport):
    """Passes requests to the real server, but holds the `nth` and later ones until released."""

    def __init__(self, nth: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.nth, self.seen = nth, 0
        self.reached, self.released = threading.Event(), threading.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen >= self.nth:
            self.reached.set()
            await asyncio.to_thread(self.released.wait)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_killed_server_gives_backend_error_and_keeps_finished_replies(
    doomed_llama_server: LlamaServer, tmp_path: Path
) -> None:
    conversations = [user(f"Tell a long story about a dragon named D{i}.") for i in range(16)]
    sampling = Sampling(max_tokens=40, temperature=0.8, seed=7)
    # two at a time: the 4th request leaves only once two replies are in
    gate = HoldFrom(4)
    provider = OpenAIBackend(
        doomed_llama_server.base_url,
        doomed_llama_server.alias,
        concurrency=2,
        limits=Limits(retries=2),
        transport=gate,
    )
    database = tmp_path / "responses.sqlite"
    assert doomed_llama_server.process is not None

    def run() -> None:  # its own cache: a SQLite connection stays in the thread that made it
        CachedBackend(provider, ResponseCache(database)).batch(conversations, sampling)

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(run)
        running.add_done_callback(lambda _: gate.reached.set())
        gate.reached.wait()
        assert not running.done(), running.exception()
        doomed_llama_server.process.kill()  # the reply in flight may be cut off
        killed = time.monotonic()
        gate.released.set()
        error = running.exception(timeout=60)
    waited = time.monotonic() - killed

    assert isinstance(error, BackendError)
    message = str(error)
    assert "\n" not in message
    assert f"cannot connect to {doomed_llama_server.base_url}" in message
    assert waited < 10, f"gave up only after {waited:.1f} s"
    assert 2 <= len(error.partial) <= 3  # the two before the held request, and one cut off
    keys = [cache_key(provider.spec, c, sampling, None) for c in conversations]
    stored = ResponseCache(database).get_many(keys)
    assert {keys[i] for i in error.partial} == set(stored)
    assert all(stored[keys[i]].text == error.partial[i].text for i in error.partial)


def test_wrong_port_fails_fast_with_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        OpenAIBackend(url, "any").batch([user("hello")] * 3, Sampling(max_tokens=8))
    assert time.monotonic() - started < 5
    assert str(caught.value).startswith(
        f"openai backend: cannot connect to {url} (connection refused)"
    )
