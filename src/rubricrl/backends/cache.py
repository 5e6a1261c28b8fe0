"""SQLite response cache shared by all stages: a re-run costs nothing and a killed run resumes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

from rubricrl.backends.base import ChatBackend, Completion, Conversation, JsonSchema, Sampling
from rubricrl.errors import BatchError


def cache_key(
    spec: str, conversation: Conversation, sampling: Sampling, schema: JsonSchema | None
) -> str:
    """A digest of everything that determines a reply."""
    payload = json.dumps(
        [spec, sampling.as_dict(), schema, conversation], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """A key -> Completion table in SQLite (WAL mode, so several processes can share it)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one connection shared across threads (sqlite3 serialises calls on it)
        self._db = sqlite3.connect(
            self.path, timeout=60, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT)")

    def get_many(self, keys: list[str]) -> dict[str, Completion]:
        found: dict[str, Completion] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, value FROM responses WHERE key IN ({marks})", chunk
            )
            found.update((key, Completion(**json.loads(value))) for key, value in rows)
        return found

    def put_many(self, entries: dict[str, Completion]) -> None:
        rows = [(key, json.dumps(asdict(value))) for key, value in entries.items()]
        self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


class CachedBackend:
    """Wraps a provider: answers what the cache knows, sends only the rest, stores every reply.

    Completions that finished before a provider failed (BatchError.partial) are stored too,
    so a re-run after a crash pays only for what was missing.
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
        known = self.cache.get_many(list(dict.fromkeys(keys)))
        missing = [i for i, key in enumerate(keys) if key not in known]
        if missing:
            try:
                fresh = self.inner.batch([conversations[i] for i in missing], sampling, schema)
            except BatchError as error:
                self.cache.put_many({keys[missing[j]]: c for j, c in error.partial.items()})
                raise
            new_entries = {
                keys[i]: completion for i, completion in zip(missing, fresh, strict=True)
            }
            self.cache.put_many(new_entries)
            known.update(new_entries)
        return [known[key] for key in keys]
