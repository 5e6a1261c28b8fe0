"""Canary: what the hand-written decode loop assumes of transformers and xgrammar internals.

backends/local.py and prefixes.py drive a DynamicCache and the model's forward by hand, and
backends/constrained.py drives xgrammar matchers and bitmasks; neither library promises these
between releases. Each test names one assumption, so an upgrade that breaks it fails here with
the library's version and the code to update, not deep inside a generation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version

import numpy as np
import pytest
import torch
import xgrammar as xgr
from transformers import DynamicCache, LlamaForCausalLM

from tests.tiny_llama import EOS, VOCAB, tiny_model, tokenizer

LOCAL = "backends/local.py's decode loop"
PREFIXES = "backends/prefixes.py's prefix caches"
CONSTRAINED = "backends/constrained.py"


@contextmanager
def assumption(library: str, what: str, where: str) -> Iterator[None]:
    """Turn any failure inside into one message: the library, its version, what broke, where."""
    try:
        yield
    except Exception as error:  # whatever the upgrade raises, the assumption is what broke
        why = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
        message = (
            f"{library} {version(library)}: {what} no longer holds ({why}); {where} needs updating"
        )
        # `from None`: the report is this one line, not the chained traceback of the error.
        raise pytest.fail.Exception(message, pytrace=False) from None


@pytest.fixture(scope="module")
def model() -> LlamaForCausalLM:
    return tiny_model()


def forward(
    model: LlamaForCausalLM, ids: torch.Tensor, cache: DynamicCache, **kw: object
) -> torch.Tensor:
    return model(input_ids=ids, cache=cache, use_cache=True, **kw).logits


@torch.inference_mode()
def test_forward_fills_a_cache_passed_as_cache(model: LlamaForCausalLM) -> None:
    with assumption(
        "transformers", "forward(cache=DynamicCache(config=...)) fills it in place", LOCAL
    ):
        cache = DynamicCache(config=model.config)
        forward(model, torch.tensor([[3, 4, 5]]), cache)
        assert cache.get_seq_length() == 3


@torch.inference_mode()
def test_logits_to_keep_a_tensor_keeps_the_last_position(model: LlamaForCausalLM) -> None:
    with assumption(
        "transformers", "logits_to_keep=tensor([-1]) gives logits (batch, 1, vocab)", LOCAL
    ):
        cache = DynamicCache(config=model.config)
        logits = forward(
            model, torch.tensor([[3, 4, 5]] * 2), cache, logits_to_keep=torch.tensor([-1])
        )
        assert logits.shape == (2, 1, VOCAB)


@torch.inference_mode()
def test_cached_decoding_with_mask_and_positions_matches_a_full_pass(
    model: LlamaForCausalLM,
) -> None:
    """The loop's step: one token per row, an attention mask over cache and token, explicit
    positions; its logits must be those of running the whole sequence at once."""
    with assumption(
        "transformers",
        "a cached step with attention_mask and position_ids equals a full pass",
        LOCAL,
    ):
        ids = torch.tensor([[3, 4, 5, 6]])
        full = forward(model, ids, DynamicCache(config=model.config))[:, -1]
        cache = DynamicCache(config=model.config)
        forward(model, ids[:, :3], cache)
        step = forward(
            model,
            ids[:, 3:],
            cache,
            attention_mask=torch.ones(1, 4, dtype=torch.long),
            position_ids=torch.tensor([[3]]),
        )
        assert step.shape == (1, 1, VOCAB)
        torch.testing.assert_close(step[:, -1], full, atol=1e-5, rtol=1e-4)


@torch.inference_mode()
def test_cache_layers_hold_keys_and_values_with_sequence_second_last(
    model: LlamaForCausalLM,
) -> None:
    with assumption(
        "transformers", "DynamicCache.layers[i].keys/.values are (batch, heads, seq, dim)", PREFIXES
    ):
        cache = DynamicCache(config=model.config)
        forward(model, torch.tensor([[3, 4, 5]]), cache)
        assert len(cache.layers) == model.config.num_hidden_layers
        for layer in cache.layers:
            assert isinstance(layer.keys, torch.Tensor) and isinstance(layer.values, torch.Tensor)
            assert layer.keys.shape[0] == 1 and layer.keys.shape[-2] == 3
            assert layer.values.shape[-2] == 3


@torch.inference_mode()
def test_update_builds_a_cache_the_model_continues_from(model: LlamaForCausalLM) -> None:
    """prefixes.py crops and stacks caches by `update(keys, values, layer)` into a fresh one."""
    with assumption(
        "transformers", "DynamicCache.update(keys, values, layer) builds a usable cache", PREFIXES
    ):
        source = DynamicCache(config=model.config)
        forward(model, torch.tensor([[3, 4, 5]]), source)
        rebuilt = DynamicCache(config=model.config)
        for index, layer in enumerate(source.layers):
            rebuilt.update(layer.keys[..., :2, :], layer.values[..., :2, :], index)
        assert rebuilt.get_seq_length() == 2
        expected = forward(model, torch.tensor([[3, 4, 9]]), DynamicCache(config=model.config))
        step = forward(model, torch.tensor([[9]]), rebuilt, position_ids=torch.tensor([[2]]))
        torch.testing.assert_close(step[:, -1], expected[:, -1], atol=1e-5, rtol=1e-4)


@torch.inference_mode()
def test_batch_repeat_and_select_reshape_the_cache_in_place(model: LlamaForCausalLM) -> None:
    with assumption(
        "transformers",
        "DynamicCache.batch_repeat_interleave/batch_select_indices work in place",
        LOCAL,
    ):
        cache = DynamicCache(config=model.config)
        forward(model, torch.tensor([[3, 4]]), cache)
        cache.batch_repeat_interleave(3)
        assert cache.layers[0].keys.shape[0] == 3
        cache.batch_select_indices(torch.tensor([0, 2]))
        assert cache.layers[0].keys.shape[0] == 2 and cache.get_seq_length() == 2


def test_config_and_attention_switch(model: LlamaForCausalLM) -> None:
    with assumption(
        "transformers",
        "config.get_text_config().vocab_size, config._attn_implementation, "
        "set_attn_implementation() and generation_config.eos_token_id",
        LOCAL,
    ):
        assert model.config.get_text_config().vocab_size == VOCAB
        before = model.config._attn_implementation
        model.set_attn_implementation("eager")
        assert model.config._attn_implementation == "eager"
        model.set_attn_implementation(before)
        assert model.generation_config.eos_token_id == EOS


# A raw vocabulary of single characters and one stop token: enough for a tiny JSON grammar.
CHARS = [c.encode() for c in '{}[]":,0123456789abcdefghijklmnopqrstuvwxyz ']
STOP = len(CHARS)
SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


def allowed(bitmask: torch.Tensor, row: int) -> set[int]:
    """Token ids a bitmask row allows, read as constrained.py reads it (little-endian bits)."""
    words = bitmask[row].numpy().view(np.uint32)
    return set(np.flatnonzero(np.unpackbits(words.view(np.uint8), bitorder="little")).tolist())


@pytest.fixture(scope="module")
def grammar() -> xgr.CompiledGrammar:
    info = xgr.TokenizerInfo([*CHARS, b"<stop>"], vocab_size=STOP + 1, stop_token_ids=[STOP])
    return xgr.GrammarCompiler(info).compile_json_schema(SCHEMA, any_whitespace=False)


def test_tokenizer_info_from_a_huggingface_tokenizer() -> None:
    with assumption(
        "xgrammar",
        "TokenizerInfo.from_huggingface(tok, vocab_size=, stop_token_ids=) and its fields",
        LOCAL,
    ):
        info = xgr.TokenizerInfo.from_huggingface(
            tokenizer(), vocab_size=VOCAB, stop_token_ids=[EOS]
        )
        assert info.vocab_size == VOCAB and list(info.stop_token_ids) == [EOS]
        assert len(info.decoded_vocab) == VOCAB and isinstance(info.decoded_vocab[0], bytes)


def test_bitmask_rows_are_int32_words_with_little_endian_bits(grammar: xgr.CompiledGrammar) -> None:
    with assumption(
        "xgrammar",
        "allocate_token_bitmask gives int32 words, token t at bit t&31 of word t>>5",
        CONSTRAINED,
    ):
        bitmask = xgr.allocate_token_bitmask(2, STOP + 1)
        assert bitmask.dtype == torch.int32 and bitmask.shape == (2, (STOP + 32) // 32)
        xgr.GrammarMatcher(grammar).fill_next_token_bitmask(bitmask, 1)
        assert allowed(bitmask, 1) == {CHARS.index(b"{")}


def test_apply_bitmask_forbids_in_place(grammar: xgr.CompiledGrammar) -> None:
    with assumption(
        "xgrammar",
        "apply_token_bitmask_inplace(logits, bitmask, vocab_size=) sets -inf",
        CONSTRAINED,
    ):
        bitmask = xgr.allocate_token_bitmask(1, STOP + 1)
        xgr.GrammarMatcher(grammar).fill_next_token_bitmask(bitmask, 0)
        logits = torch.zeros(1, STOP + 1)
        xgr.apply_token_bitmask_inplace(logits, bitmask, vocab_size=logits.shape[-1])
        assert torch.isfinite(logits[0]).nonzero().flatten().tolist() == [CHARS.index(b"{")]


def test_matcher_accepts_rolls_back_forks_and_ends(grammar: xgr.CompiledGrammar) -> None:
    """The calls GrammarRows and WayOut make: accept_token's bool, rollback(1), fork(),
    find_jump_forward_string(), is_completed() before the stop token, is_terminated() after."""
    with assumption(
        "xgrammar", "GrammarMatcher accept/rollback/fork/jump-forward/completion", CONSTRAINED
    ):
        matcher = xgr.GrammarMatcher(grammar)
        assert matcher.accept_token(CHARS.index(b"{")) is True
        assert matcher.accept_token(CHARS.index(b"}")) is False
        forced = matcher.find_jump_forward_string()
        assert forced.startswith('"ok":')
        fork = matcher.fork()
        for char in forced + "true}":
            assert fork.accept_token(CHARS.index(char.encode())), char
        assert fork.is_completed() and not fork.is_terminated()
        assert not matcher.is_completed()  # the fork went on alone
        assert fork.accept_token(STOP) and fork.is_terminated()
        matcher.accept_token(CHARS.index(b'"'))
        matcher.rollback(1)
        assert matcher.find_jump_forward_string() == forced
