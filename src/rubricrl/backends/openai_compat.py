"""Any OpenAI-compatible chat server (vLLM, SGLang, llama.cpp, hosted APIs) as a ChatBackend.

Requests run concurrently on asyncio behind a semaphore while `batch` stays synchronous; retries
wrap each HTTP call (retry.py). A request the server refuses for its own content fails that row
only; a server that is gone, refuses the key or exhausts a request's retries stops the batch.
Choice probabilities come from the top logprobs of one token.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Literal, TypeVar

import httpx

from rubricrl.backends.base import ChoiceProbs, Completion, Conversation, JsonSchema, Sampling
from rubricrl.backends.connections import PooledTransport
from rubricrl.backends.failures import api_key, explain, one_line, redact, row_level
from rubricrl.backends.retry import Exhausted, Garbled, Limits, Retry
from rubricrl.errors import BackendError, BatchError, InputError
from rubricrl.progress import step_progress

T = TypeVar("T")
SchemaStyle = Literal["json_schema", "json_object"]
TOP_LOGPROBS = 20  # the most OpenAI accepts; enough to hold every choice a grader asks about


class _RowFailed(BackendError):
    """One request failed for its own content; the other rows of the batch stand."""


def response_format(schema: JsonSchema, style: SchemaStyle) -> dict[str, Any]:
    """The `response_format` field asking for JSON valid against `schema`."""
    if style == "json_object":  # llama-cpp-python's dialect: the schema beside a json_object type
        return {"type": "json_object", "schema": schema}
    return {
        "type": "json_schema",
        "json_schema": {"name": "reply", "schema": schema, "strict": True},
    }


def first_top_logprobs(reply: dict[str, Any]) -> list[tuple[str, float]]:
    """The (token, logprob) alternatives at the reply's first token; empty when none came back.

    Reads OpenAI's chat shape (`logprobs.content[0].top_logprobs`, what vLLM, SGLang and
    llama-cpp-python send) and the legacy completion shape (`logprobs.top_logprobs[0]`, a dict).
    """
    choices = reply.get("choices") or [{}]
    logprobs = choices[0].get("logprobs") or {}
    content = logprobs.get("content")
    if content:
        return [
            (str(t["token"]), float(t["logprob"])) for t in content[0].get("top_logprobs") or []
        ]
    legacy = logprobs.get("top_logprobs")
    if legacy and isinstance(legacy[0], dict):
        return [(str(token), float(logprob)) for token, logprob in legacy[0].items()]
    return []


def probs_of_choices(top: list[tuple[str, float]], choices: tuple[str, ...]) -> ChoiceProbs:
    """Each choice's probability: the summed probabilities of the top tokens that start it.

    A token starts a choice when, leading whitespace stripped, it is a non-empty prefix of it
    (so "Yes" and " Yes" both count); a choice outside the top tokens gets 0.
    """
    probs = dict.fromkeys(choices, 0.0)
    for token, logprob in top:
        text = token.lstrip()
        started = [choice for choice in choices if text and choice.startswith(text)]
        if len(started) > 1:
            raise InputError(
                f"choices {started[0]!r} and {started[1]!r} do not differ at their first token"
                f" ({token!r})"
            )
        if started:
            probs[started[0]] += math.exp(logprob)
    return ChoiceProbs(probs)


def _usage(reply: dict[str, Any]) -> tuple[int, int]:
    """(prompt tokens, completion tokens) a reply reports; 0 for what it leaves out."""
    usage = reply.get("usage") or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end on a fresh event loop, off-thread if this thread runs one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class _JsonSchemaRefused(Exception):
    """The server does not take `json_schema` response formats but names `json_object`."""


def _refuses_json_schema(body: dict[str, Any], response: httpx.Response) -> bool:
    # llama-cpp-python fails validation (HTTP 500) saying it takes 'text' or 'json_object'
    asked = body.get("response_format", {}).get("type") == "json_schema"
    return asked and response.is_error and "json_object" in response.text


class OpenAIBackend:
    """POSTs each conversation to `{base_url}/chat/completions`, `concurrency` at a time (by
    default the limits' concurrency: RUBRICRL_REQUEST_CONCURRENCY, else 8)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        spec: str | None = None,
        concurrency: int | None = None,
        limits: Limits | None = None,
        retry: Retry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.spec = spec or f"openai:{self.base_url}#{model}"
        # a given `retry` brings its own limits; otherwise RUBRICRL_REQUEST_* or the defaults
        self.retry = retry or Retry(limits=limits or Limits.from_env())
        self.concurrency = concurrency or self.retry.limits.concurrency
        self.transport = transport
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._lock = threading.Lock()
        self._schema_style: SchemaStyle = "json_schema"

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        """Complete every conversation; a BackendError carries the finished ones (and, when
        only some rows were refused, why each of those failed)."""
        if not conversations:
            return []
        request = partial(self._complete, sampling=sampling, schema=schema)
        return run_sync(self._each(conversations, request))

    def choice_probs(
        self, conversations: list[Conversation], choices: tuple[str, ...]
    ) -> list[ChoiceProbs]:
        """Per conversation, the choices' probabilities read from the top logprobs of a reply
        one token long; a BackendError carries the finished ones, as for `batch`."""
        if not choices:
            raise InputError("choice_probs needs at least one choice")
        if not conversations:
            return []
        return run_sync(self._each(conversations, partial(self._choices, choices=choices)))

    async def _each(
        self,
        conversations: list[Conversation],
        request: Callable[[httpx.AsyncClient, Conversation], Awaitable[T]],
    ) -> list[T]:
        """`request` for every conversation, `concurrency` at a time, in order."""
        limit = asyncio.Semaphore(self.concurrency)
        gone: list[str] = []  # set once the server is unreachable, so queued requests stop early
        headers = {"Authorization": f"Bearer {key}"} if (key := api_key()) else {}
        seconds = self.retry.limits.timeout
        timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
        transport = self.transport or PooledTransport(self.concurrency)
        async with httpx.AsyncClient(
            headers=headers, timeout=timeout, transport=transport
        ) as client:

            async def one(conversation: Conversation) -> T:
                async with limit:
                    if gone:
                        raise BackendError(gone[0])
                    try:
                        result = await request(client, conversation)
                    except (httpx.HTTPError, Exhausted) as error:
                        limits = self.retry.limits
                        message = redact(explain(error, self.base_url, self.model, limits))
                        if row_level(error):
                            raise _RowFailed(message) from None
                        gone.append(message)  # queued requests stop early: they would fail too
                        raise BackendError(message) from None
                    step()
                    return result

            with step_progress(self.spec, len(conversations)) as step:
                results = await asyncio.gather(*map(one, conversations), return_exceptions=True)
        finished = {i: r for i, r in enumerate(results) if not isinstance(r, BaseException)}
        failures = {i: r for i, r in enumerate(results) if isinstance(r, BaseException)}
        for failure in failures.values():
            if not isinstance(failure, BatchError):
                raise failure  # a bug or a refused input, not a backend failure: keep it as it is
        if failures:
            raise self._batch_error(failures, finished, len(conversations))
        return [finished[i] for i in range(len(conversations))]

    async def _complete(
        self,
        client: httpx.AsyncClient,
        conversation: Conversation,
        sampling: Sampling,
        schema: JsonSchema | None,
    ) -> Completion:
        """One conversation's `n` replies; asks again while the server returns fewer (llama.cpp
        ignores `n`)."""
        texts: list[str] = []
        reasons: list[str] = []
        prompt_tokens = completion_tokens = calls = 0
        while len(texts) < sampling.n:
            wanted = sampling.n - len(texts)
            body = partial(self._body, conversation, sampling, schema, wanted, calls)
            reply = await self._ask(client, body)
            calls += 1
            choices = reply.get("choices") or []
            if not choices:
                raise BackendError(f"openai backend: {self.base_url} returned no choices")
            prompt, completion = _usage(reply)
            prompt_tokens += prompt
            completion_tokens += completion
            for choice in choices[:wanted]:
                texts.append((choice.get("message") or {}).get("content") or "")
                reasons.append(str(choice.get("finish_reason") or ""))
        self._count(prompt_tokens, completion_tokens)
        return Completion(texts, prompt_tokens, completion_tokens, reasons)

    async def _choices(
        self, client: httpx.AsyncClient, conversation: Conversation, choices: tuple[str, ...]
    ) -> ChoiceProbs:
        """One conversation's choice probabilities, from a greedy reply one token long."""
        body = {
            "model": self.model,
            "messages": conversation,
            "temperature": 0.0,
            "max_tokens": 1,
            "logprobs": True,
            "top_logprobs": TOP_LOGPROBS,
        }
        reply = await self.retry(partial(self._post, client, body))
        self._count(*_usage(reply))
        try:
            top = first_top_logprobs(reply)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            top = []  # a shape we cannot read is as useless as none
        if not top:
            raise _RowFailed(
                f"openai backend: {self.spec} returned no readable top logprobs; choice"
                " probabilities need a server that honours `logprobs` and `top_logprobs`"
            )
        return probs_of_choices(top, choices)

    def _body(
        self,
        conversation: Conversation,
        sampling: Sampling,
        schema: JsonSchema | None,
        n: int,
        call: int,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": conversation,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "n": n,
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed + call  # a repeated call must not repeat its samples
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if sampling.frequency_penalty:
            body["frequency_penalty"] = sampling.frequency_penalty
        if schema is not None:
            body["response_format"] = response_format(schema, self._schema_style)
        return body

    async def _ask(
        self, client: httpx.AsyncClient, make_body: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """The retried call; switches to the json_object dialect if the server asks for it."""
        try:
            return await self.retry(partial(self._post, client, make_body()))
        except _JsonSchemaRefused:
            self._schema_style = "json_object"
        return await self.retry(partial(self._post, client, make_body()))

    async def _post(self, client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        """The provider call itself: one HTTP request, no retries."""
        response = await client.post(f"{self.base_url}/chat/completions", json=body)
        if _refuses_json_schema(body, response):
            raise _JsonSchemaRefused
        response.raise_for_status()
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise Garbled(one_line(response.text, 80) or "an empty body")
        return reply

    def _batch_error(
        self, failures: dict[int, BaseException], finished: dict[int, Any], total: int
    ) -> BackendError:
        """One error for the batch: the first systemic failure's message (else the first
        row's), what did finish, and each row's reason when only rows failed."""
        systemic = [f for f in failures.values() if not isinstance(f, _RowFailed)]
        message = str((systemic or list(failures.values()))[0])
        if total > 1:
            message += f" ({len(failures)} of {total} requests failed, {len(finished)} finished)"
        failed = {} if systemic else {i: str(f) for i, f in failures.items()}
        return BackendError(message, partial=finished, failed=failed)

    def _count(self, prompt_tokens: int, completion_tokens: int) -> None:
        with self._lock:
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
