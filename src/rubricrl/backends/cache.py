"""SQLite response cache shared by all stages: a re-run costs nothing and a killed run resumes.

Completions and choice probabilities live in two tables of one file, under keys of their own.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from rubricrl.backends.base import (
    ChatBackend,
    ChoiceProbs,
    Completion,
    Conversation,
    JsonSchema,
    Sampling,
)
from rubricrl.errors import BatchError, InputError

T = TypeVar("T")


def cache_key(
    spec: str, conversation: Conversation, sampling: Sampling, schema: JsonSchema | None
) -> str:
    """A digest of everything that determines a reply."""
    payload = json.dumps(
        [spec, sampling.as_dict(), schema, conversation], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def choice_key(spec: str, conversation: Conversation, choices: tuple[str, ...]) -> str:
    """A digest of everything that determines the choice probabilities of a reply."""
    payload = json.dumps(
        ["choice_probs", spec, list(choices), conversation], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """Key -> Completion and key -> ChoiceProbs tables in SQLite (WAL mode, so several processes
    can share them)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # one connection shared across threads (sqlite3 serialises calls on it)
            self._db = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            for table in ("responses", "choice_probs"):
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT)"
                )
        except sqlite3.DatabaseError as error:
            raise InputError(
                f"{self.path}: the response cache cannot be used ({error}); delete it, or pass"
                " --no-cache"
            ) from None

    def get_many(self, keys: list[str]) -> dict[str, Completion]:
        return {key: Completion(**value) for key, value in self._get("responses", keys).items()}

    def put_many(self, entries: dict[str, Completion]) -> None:
        self._put("responses", {key: asdict(value) for key, value in entries.items()})

    def get_probs(self, keys: list[str]) -> dict[str, ChoiceProbs]:
        return {key: ChoiceProbs(**value) for key, value in self._get("choice_probs", keys).items()}

    def put_probs(self, entries: dict[str, ChoiceProbs]) -> None:
        self._put("choice_probs", {key: asdict(value) for key, value in entries.items()})

    def _get(self, table: str, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, value FROM {table} WHERE key IN ({marks})", chunk)
            found.update((key, json.loads(value)) for key, value in rows)
        return found

    def _put(self, table: str, entries: dict[str, Any]) -> None:
        rows = [(key, json.dumps(value)) for key, value in entries.items()]
        self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)

    def __len__(self) -> int:
        """Stored completions (choice probabilities not counted)."""
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


class CachedBackend:
    """Wraps a provider: answers what the cache knows, sends only the rest, stores every reply.

    Completions that finished before a provider failed (BatchError.partial) are stored too,
    so a re-run after a crash pays only for what was missing; the error re-raised indexes the
    caller's batch, with the cached rows among the finished ones.
    """

    def __init__(self, inner: ChatBackend, cache: ResponseCache) -> None:
        self.inner = inner
        self.cache = cache
        self.spec = inner.spec

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        keys = [cache_key(self.spec, c, sampling, schema) for c in conversations]
        ask = partial(self.inner.batch, sampling=sampling, schema=schema)
        return _through(keys, conversations, self.cache.get_many, self.cache.put_many, ask)

    def choice_probs(
        self, conversations: list[Conversation], choices: tuple[str, ...]
    ) -> list[ChoiceProbs]:
        keys = [choice_key(self.spec, c, choices) for c in conversations]
        ask = partial(self.inner.choice_probs, choices=choices)
        return _through(keys, conversations, self.cache.get_probs, self.cache.put_probs, ask)


def _through(
    keys: list[str],
    conversations: list[Conversation],
    get: Callable[[list[str]], dict[str, T]],
    put: Callable[[dict[str, T]], None],
    ask: Callable[[list[Conversation]], list[T]],
) -> list[T]:
    """Each key's value from the cache, asking `ask` only for the missing ones and storing
    what it returns, also what finished before it failed."""
    known = get(list(dict.fromkeys(keys)))
    missing = [i for i, key in enumerate(keys) if key not in known]
    if missing:
        try:
            fresh = ask([conversations[i] for i in missing])
        except BatchError as error:
            put({keys[missing[j]]: value for j, value in error.partial.items()})
            cached = {i: known[key] for i, key in enumerate(keys) if key in known}
            raise error.reindexed(missing, cached) from error
        new_entries = {keys[i]: value for i, value in zip(missing, fresh, strict=True)}
        put(new_entries)
        known.update(new_entries)
    return [known[key] for key in keys]
