"""The local transformers backend on the real embedded model: batching, sampling, JSON schemas."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import torch

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.local import LocalBackend
from rubricrl.errors import InputError
from rubricrl.model_spec import ModelSpec

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


def test_batch_of_four_prompts_all_get_text(embedded_each_dtype: LocalBackend) -> None:
    prompts = ["Name a planet.", "Name a colour.", "Say hello in French.", "Count to three."]
    sampling = Sampling(temperature=0, max_tokens=12)
    completions = embedded_each_dtype.batch([user(p) for p in prompts], sampling)
    assert len(completions) == 4
    for completion in completions:
        assert completion.prompt_tokens > 5
        assert 0 < completion.completion_tokens <= 12
        assert completion.finish_reasons[0] in {"stop", "length"}
        assert completion.text.strip() or completion.finish_reasons[0] == "stop"


def test_batch_matches_one_by_one_greedy(embedded_in: Callable[[str], LocalBackend]) -> None:
    """Padding, the shared-prefix prefill and dropping finished rows must not change greedy text.

    Only in fp32: bf16 rounding depends on the batch shape, so near-ties may flip (the next
    test bounds the bf16 difference instead)."""
    backend = embedded_in("float32")
    conversations = [user("Name a fruit."), user("Write one sentence about the ocean tides.")]
    greedy = Sampling(temperature=0, max_tokens=10)
    together = [c.text for c in backend.batch(conversations, greedy)]
    alone = [backend.batch([c], greedy)[0].text for c in conversations]
    assert together == alone


# Logits here reach about 30. Rounding moves them by ~3e-5 in fp32 and up to ~0.45 in bf16;
# attending to the padding instead of masking it moves them by ~4.8.
@pytest.mark.parametrize(("dtype", "tolerance"), [("float32", 1e-3), ("bfloat16", 1.0)])
def test_batched_prefill_matches_one_by_one(
    embedded_in: Callable[[str], LocalBackend], dtype: str, tolerance: float
) -> None:
    """Next-token logits after a padded, prefix-shared prefill equal those of each prompt alone."""
    backend = embedded_in(dtype)
    system = "You are a careful research assistant who answers in one short sentence."
    prompts = [backend._encode(user(q, system)) for q in ("Name a fruit.", "Why do tides rise?")]
    _, together, _, _ = backend._prefill(prompts)
    for row, prompt in enumerate(prompts):
        _, alone, _, _ = backend._prefill([prompt])
        assert (together[row] - alone[0]).abs().max().item() < tolerance


def test_schema_replies_close_within_a_tight_budget(embedded_each_dtype: LocalBackend) -> None:
    """64 samples at temperature 1 with 8 tokens more than the shortest valid reply: all valid."""
    conversation = user("Describe a famous physics paper as JSON: title, field, year, keywords.")
    budget = embedded_each_dtype.tokens_to_close(PAPER_SCHEMA) + 8
    sampling = Sampling(temperature=1.0, max_tokens=budget, n=64, seed=3)
    completion = embedded_each_dtype.batch([conversation], sampling, PAPER_SCHEMA)[0]
    assert len(completion.texts) == 64
    assert completion.completion_tokens <= 64 * budget
    for text in completion.texts:
        jsonschema.validate(json.loads(text), PAPER_SCHEMA)


def test_same_seed_same_samples_other_seed_differs(embedded_each_dtype: LocalBackend) -> None:
    conversations = [user("Invent a name for a cat.")]
    backend = embedded_each_dtype
    first = backend.batch(conversations, Sampling(temperature=1.0, max_tokens=8, n=3, seed=7))
    again = backend.batch(conversations, Sampling(temperature=1.0, max_tokens=8, n=3, seed=7))
    other = backend.batch(conversations, Sampling(temperature=1.0, max_tokens=8, n=3, seed=8))
    assert first[0].texts == again[0].texts
    assert first[0].texts != other[0].texts


def test_stop_string_cuts_the_reply(embedded_each_dtype: LocalBackend) -> None:
    """Whatever the greedy reply is, stopping at a piece of it cuts it right before that piece."""
    conversation = [user("List the numbers from 1 to 10, separated by commas.")]
    free = embedded_each_dtype.batch(conversation, Sampling(temperature=0, max_tokens=30))[0]
    middle = len(free.text) // 2
    stop = free.text[middle : middle + 3]
    assert len(stop) == 3, f"the greedy reply is too short to cut: {free.text!r}"
    cut = embedded_each_dtype.batch(
        conversation, Sampling(temperature=0, max_tokens=30, stop=(stop,))
    )[0]
    assert cut.text == free.text[: free.text.index(stop)]
    assert cut.finish_reasons == ["stop"]
    assert cut.completion_tokens < free.completion_tokens


def test_missing_hf_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not found"):
        LocalBackend.from_spec(ModelSpec("hf", "/no/such/model/folder"))


def test_budget_no_valid_reply_fits_is_refused_before_generating(embedded: LocalBackend) -> None:
    # '{"title": "", "field": "", "year": 0, "keywords": []}' in this tokenizer
    assert embedded.tokens_to_close(PAPER_SCHEMA) == 24
    with pytest.raises(InputError, match=r"\{title, field, year, keywords\}.*max_tokens=23"):
        embedded.batch([user("Describe a paper.")], Sampling(max_tokens=23, seed=0), PAPER_SCHEMA)


def test_dtype_setting_forces_the_numerics(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUBRICRL_DTYPE", "bfloat16")
    assert LocalBackend.from_pretrained(model_dir).model.dtype == torch.bfloat16
    monkeypatch.setenv("RUBRICRL_DTYPE", "float32")
    assert LocalBackend.from_pretrained(model_dir).model.dtype == torch.float32
    monkeypatch.setenv("RUBRICRL_DTYPE", "fp8")
    with pytest.raises(InputError, match="RUBRICRL_DTYPE='fp8': not one of auto, float32"):
        LocalBackend.from_pretrained(model_dir)


def test_a_constrained_reply_stops_at_the_end_of_its_json(embedded: LocalBackend) -> None:
    """A short schema under a 512-token budget: the row ends at its closing brace."""
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    conversation = user('Reply with a JSON object whose key "a" is the number 7.')
    completion = embedded.batch([conversation], Sampling(temperature=0, max_tokens=512), schema)[0]
    assert isinstance(json.loads(completion.text)["a"], int)
    assert completion.finish_reasons == ["stop"]
    assert completion.completion_tokens < 16  # well under the budget
