"""The local transformers backend on the real embedded model: batching, sampling, JSON schemas."""

from __future__ import annotations

import json

import jsonschema
import pytest

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.local import LocalBackend
from rubricrl.errors import InputError, ParseError

pytestmark = pytest.mark.model

PAPER_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "field": {"type": "string", "maxLength": 40},
        "year": {"type": "integer"},
        "keywords": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["title", "field", "year", "keywords"],
}


def test_batch_of_four_prompts_all_get_text(embedded: LocalBackend) -> None:
    prompts = ["Name a planet.", "Name a colour.", "Say hello in French.", "Count to three."]
    completions = embedded.batch([user(p) for p in prompts], Sampling(temperature=0, max_tokens=12))
    assert len(completions) == 4
    for completion in completions:
        assert completion.text.strip()
        assert completion.prompt_tokens > 5
        assert 0 < completion.completion_tokens <= 12
        assert completion.finish_reasons[0] in {"stop", "length"}


def test_batch_matches_one_by_one_greedy(embedded: LocalBackend) -> None:
    """Padding, the shared-prefix prefill and dropping finished rows must not change greedy text."""
    conversations = [user("Name a fruit."), user("Write one sentence about the ocean tides.")]
    greedy = Sampling(temperature=0, max_tokens=10)
    together = [c.text for c in embedded.batch(conversations, greedy)]
    alone = [embedded.batch([c], greedy)[0].text for c in conversations]
    assert together == alone


def test_schema_reply_validates_for_every_seed(embedded: LocalBackend) -> None:
    conversation = user("Describe a famous physics paper as JSON: title, field, year, keywords.")
    sampling = Sampling(temperature=1.0, max_tokens=160, n=8, seed=3)
    completion = embedded.batch([conversation], sampling, PAPER_SCHEMA)[0]
    assert len(completion.texts) == 8
    for text in completion.texts:
        jsonschema.validate(json.loads(text), PAPER_SCHEMA)


def test_same_seed_same_samples_other_seed_differs(embedded: LocalBackend) -> None:
    conversations = [user("Invent a name for a cat.")]
    first = embedded.batch(conversations, Sampling(temperature=1.0, max_tokens=8, n=3, seed=7))
    again = embedded.batch(conversations, Sampling(temperature=1.0, max_tokens=8, n=3, seed=7))
    other = embedded.batch(conversations, Sampling(temperature=1.0, max_tokens=8, n=3, seed=8))
    assert first[0].texts == again[0].texts
    assert first[0].texts != other[0].texts


def test_stop_string_cuts_the_reply(embedded: LocalBackend) -> None:
    conversation = [user("List the numbers from 1 to 10, separated by commas.")]
    free = embedded.batch(conversation, Sampling(temperature=0, max_tokens=30))[0]
    assert "," in free.text
    cut = embedded.batch(conversation, Sampling(temperature=0, max_tokens=30, stop=(",",)))[0]
    assert cut.text == free.text[: free.text.index(",")]
    assert cut.finish_reasons == ["stop"]
    assert cut.completion_tokens < free.completion_tokens


def test_missing_hf_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not found"):
        LocalBackend.from_spec("hf:/no/such/model/folder")


def test_schema_out_of_tokens_is_a_parse_error(embedded: LocalBackend) -> None:
    with pytest.raises(ParseError, match="max_tokens=4"):
        embedded.batch([user("Describe a paper.")], Sampling(max_tokens=4, seed=0), PAPER_SCHEMA)
