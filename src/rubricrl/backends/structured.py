"""The one structured-reply layer: JSON out of replies, schema checks, bounded re-asking.

Providers only generate (a schema reaches them as a decoding constraint). Here each reply's
last JSON object is validated against the schema and read by the caller's parse function; the
conversations whose reply fails are asked again, each attempt with a fresh seed, and those that
never succeed come back as `Unreadable` with the reason, so one bad reply never sinks a batch;
nor does a request the server refuses (a row-level BatchError), which is not asked again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import jsonschema

from rubricrl.backends.base import ChatBackend, Conversation, JsonSchema, Sampling
from rubricrl.errors import BatchError, ParseError

T = TypeVar("T")
OBJECT_START = re.compile(r"\{\s*[\"}]")
REFUSED = "request refused: "  # how an Unreadable reason starts when the server refused the row


@dataclass(frozen=True)
class Unreadable:
    """No attempt gave a usable reply; `reason` says what was wrong with the last one, and
    `refused` whether the server refused the request itself (its reason starts `REFUSED`)."""

    reason: str
    refused: bool = False


def last_json_object(text: str) -> Any:
    """The last complete JSON object in `text` (models may wrap JSON in prose).

    ParseError when there is none, or when a later object starts (`{"` or `{}`) and never
    closes: a torn final object is the model's last word, so an earlier one (say, a quoted
    example) must not stand in. Braces in prose (`{like this}`) are not objects.
    """
    decoder = json.JSONDecoder()
    found: Any = None
    torn = False
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            torn = torn or (found is not None and OBJECT_START.match(text, position) is not None)
            position = text.find("{", position + 1)
            continue
        found, torn = value, False
        position = text.find("{", end)
    if torn:
        raise ParseError("the last JSON object in the reply is unfinished")
    if found is None:
        raise ParseError("reply holds no JSON object")
    return found


def parse_reply(text: str, schema: JsonSchema) -> Any:
    """The reply's last JSON object, validated against `schema`; ParseError with the reason if not."""
    value = last_json_object(text)
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as error:
        raise ParseError(f"reply does not match the schema: {error.message[:200]}") from None
    return value


def refused_rows(call: Callable[[], Sequence[T]], count: int) -> list[T | Unreadable]:
    """`call()`'s `count` results; when the server refused only some rows (a row-level
    BatchError), the finished ones and an Unreadable with the reason for each refused one.
    Any other failure propagates: it is the backend's, not a row's."""
    try:
        return list(call())
    except BatchError as error:
        if not error.row_level:
            raise
        return [
            error.partial[i]
            if i in error.partial
            else Unreadable(f"{REFUSED}{error.failed.get(i, 'not finished')}", refused=True)
            for i in range(count)
        ]


def attempt_sampling(sampling: Sampling, attempt: int, retry_temperature: float | None) -> Sampling:
    """Sampling for attempt `attempt` (0 is the first): one reply, a fresh seed on every retry."""
    if attempt == 0:
        return replace(sampling, n=1)
    temperature = sampling.temperature if retry_temperature is None else retry_temperature
    seed = (sampling.seed or 0) + attempt
    return replace(sampling, n=1, seed=seed, temperature=temperature)


def ask_structured(
    backend: ChatBackend,
    conversations: list[Conversation],
    sampling: Sampling,
    schema: JsonSchema,
    parse: Callable[[Any], T],
    attempts: int = 3,
    retry_temperature: float | None = None,
) -> list[T | Unreadable]:
    """One parsed reply per conversation, or Unreadable where all `attempts` failed.

    `parse` turns a schema-valid JSON value into the caller's result, raising ParseError when
    the value is valid JSON but still unusable (an unknown item id, say).
    """
    results: list[T | Unreadable] = [Unreadable("not asked")] * len(conversations)
    pending = list(range(len(conversations)))
    for attempt in range(attempts):
        if not pending:
            break
        tries = attempt_sampling(sampling, attempt, retry_temperature)
        asked = [conversations[i] for i in pending]
        try:
            completions = dict(enumerate(backend.batch(asked, tries, schema)))
        except BatchError as error:
            if not error.row_level:
                raise
            completions = error.partial
            for k, reason in error.failed.items():  # refused by the server: asking again is futile
                results[pending[k]] = Unreadable(f"{REFUSED}{reason}", refused=True)
        still_pending = []
        for k, completion in completions.items():
            index = pending[k]
            try:
                results[index] = parse(parse_reply(completion.text, schema))
            except ParseError as error:
                results[index] = Unreadable(f"unreadable after {attempt + 1} attempt(s): {error}")
                still_pending.append(index)
        pending = still_pending
    return results
