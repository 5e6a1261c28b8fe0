"""Structured (JSON-Schema) replies for a whole batch, where one bad reply never sinks the rest.

Each conversation gets up to `attempts` tries, each with a fresh seed; a reply counts when its
last JSON object validates against the schema. Replies that never do come back as None, so the
caller can record them as dropped or unscored with a reason instead of failing the batch.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema

from rubricrl.backends.base import ChatBackend, Completion, Conversation, JsonSchema, Sampling
from rubricrl.errors import ParseError


def last_json_object(text: str) -> Any:
    """The last complete JSON object in `text` (models may wrap JSON in prose); ParseError if none."""
    decoder = json.JSONDecoder()
    found: Any = None
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        found = value
        position = text.find("{", end)
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


def _complete_each(
    backend: ChatBackend, conversations: list[Conversation], sampling: Sampling, schema: JsonSchema
) -> list[Completion | None]:
    """One batch call; when it fails on parsing, keep what finished and give the rest None."""
    try:
        return list(backend.batch(conversations, sampling, schema))
    except ParseError as error:
        if error.partial:
            return [error.partial.get(i) for i in range(len(conversations))]
        if len(conversations) == 1:
            return [None]
        middle = len(conversations) // 2  # no partial results: bisect to isolate the bad ones
        first = _complete_each(backend, conversations[:middle], sampling, schema)
        return first + _complete_each(backend, conversations[middle:], sampling, schema)


def structured_batch(
    backend: ChatBackend,
    conversations: list[Conversation],
    sampling: Sampling,
    schema: JsonSchema,
    attempts: int = 3,
) -> list[Any | None]:
    """Parsed replies, one per conversation, or None where every attempt failed."""
    results: list[Any | None] = [None] * len(conversations)
    pending = list(range(len(conversations)))
    for attempt in range(attempts):
        if not pending:
            break
        seed = None if sampling.seed is None and attempt == 0 else (sampling.seed or 0) + attempt
        tries = replace(sampling, seed=seed, n=1)
        completions = _complete_each(backend, [conversations[i] for i in pending], tries, schema)
        still_pending = []
        for index, completion in zip(pending, completions, strict=True):
            try:
                if completion is None:
                    raise ParseError("no valid reply")
                results[index] = parse_reply(completion.text, schema)
            except ParseError:
                still_pending.append(index)
        pending = still_pending
    return results
