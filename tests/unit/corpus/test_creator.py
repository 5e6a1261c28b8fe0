"""The creator's replies: schemas from the settings, one ranking batch per candidate count."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from rubricrl.backends.base import Conversation, Sampling
from rubricrl.corpus.creator import Extractor
from rubricrl.corpus.creator_defaults import SMALL_LOCAL
from rubricrl.corpus.excerpt import Excerpt
from tests.fakes import ScriptedBackend, schema_instance


def valid(conversation: Conversation, sampling: Sampling, schema: dict | None) -> str:
    return json.dumps(
        schema_instance(schema or {}, random.Random(len(conversation[-1]["content"])))
    )


def test_drafts_follow_the_settings_and_each_reply_is_one_call() -> None:
    settings = replace(SMALL_LOCAL, draft_items=4, max_goal_chars=300)
    backend = ScriptedBackend(valid)
    extractor = Extractor(backend, settings, seed=5, attempts=2)
    excerpt = Excerpt("Title: T\n\nAbstract: A.", 22, 22, 0, 0)
    drafts = extractor.draft_samples([(excerpt, "one insight"), (excerpt, "another insight")])
    assert all(d is not None and len(d["rubric"]) == 4 for d in drafts)
    (call,) = backend.calls
    assert call.schema is not None and call.schema["properties"]["goal"]["maxLength"] == 300
    assert call.sampling == Sampling(
        temperature=SMALL_LOCAL.temperature,
        max_tokens=SMALL_LOCAL.max_tokens,
        seed=5,
        frequency_penalty=SMALL_LOCAL.frequency_penalty,
    )


def test_rankings_go_in_one_batch_per_candidate_count() -> None:
    backend = ScriptedBackend(valid)
    extractor = Extractor(backend, SMALL_LOCAL, seed=0, attempts=1)
    keep = SMALL_LOCAL.rules.keep_items
    drafts = [("goal a", ["x"] * 6), ("goal b", ["y"] * 7), ("goal c", ["z"] * 6)]
    ranked = extractor.rank_items(drafts)
    assert [len(call.conversations) for call in backend.calls] == [2, 1]
    for (_, items), picks in zip(drafts, ranked, strict=True):
        assert picks is not None and len(picks) == keep
        assert all(0 <= i < len(items) for i in picks)
