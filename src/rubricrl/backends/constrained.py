"""JSON-Schema constrained decoding: xgrammar token masks per row, then jsonschema validation.

Why xgrammar: it is already a dependency, compiles a schema to a pushdown automaton whose
token masks cost microseconds on CPU, honours `maxLength`/`maxItems` (which we need to stop a
small model running away inside a string), and is the engine vLLM, SGLang and TensorRT-LLM
ship. llguidance is as fast but would add a second engine; outlines precompiles a regex FSM
that grows with the schema (slow for bounded strings); lm-format-enforcer walks characters in
pure Python for every token.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import torch
import xgrammar as xgr
from transformers import PreTrainedTokenizerBase

from rubricrl.backends.base import JsonSchema
from rubricrl.errors import InputError

BOUNDED_KEYS = ("maxLength", "enum", "const", "pattern", "format")


def bound_schema(schema: Any, max_string_length: int, max_items: int) -> Any:
    """A copy of `schema` where unbounded strings and arrays get a `maxLength` / `maxItems`.

    Without a bound, a 135M model can fill a string until `max_tokens` runs out.
    """
    if isinstance(schema, list):
        return [bound_schema(item, max_string_length, max_items) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {
        key: bound_schema(value, max_string_length, max_items) for key, value in schema.items()
    }
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and not any(key in schema for key in BOUNDED_KEYS):
        bounded["maxLength"] = max_string_length
    if "array" in types and "maxItems" not in schema:
        bounded["maxItems"] = max_items
    return bounded


def schema_problem(text: str, schema: JsonSchema) -> str | None:
    """Why `text` is not a JSON value valid against `schema`, or None when it is."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not JSON ({error.msg} at char {error.pos})"
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as error:
        return f"does not match the schema ({error.message[:120]})"
    return None


class GrammarRows:
    """One grammar matcher per generated row, masking logits and accepting sampled tokens."""

    def __init__(self, grammar: xgr.CompiledGrammar, rows: int, vocab_size: int) -> None:
        self.matchers = [xgr.GrammarMatcher(grammar) for _ in range(rows)]
        self.bitmask = xgr.allocate_token_bitmask(rows, vocab_size)

    def mask(self, logits: torch.Tensor, rows: list[int]) -> None:
        """Set to -inf, in place, the logits of tokens the grammar forbids; `rows` maps logits rows."""
        for position, row in enumerate(rows):
            self.matchers[row].fill_next_token_bitmask(self.bitmask, position)
        bitmask = self.bitmask[: len(rows)].to(logits.device)
        xgr.apply_token_bitmask_inplace(logits, bitmask, vocab_size=logits.shape[-1])

    def accept(self, row: int, token: int) -> bool:
        """Advance `row` by `token`; True once its JSON is complete and the stop token accepted."""
        matcher = self.matchers[row]
        if not matcher.accept_token(token):
            raise RuntimeError(f"grammar rejected token {token} that its own mask allowed")
        return bool(matcher.is_terminated())


class SchemaCompiler:
    """Compiles (and memoises) bounded JSON schemas into grammars for one tokenizer."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        vocab_size: int,
        stop_ids: list[int],
        max_string_length: int = 128,
        max_items: int = 8,
    ) -> None:
        info = xgr.TokenizerInfo.from_huggingface(
            tokenizer, vocab_size=vocab_size, stop_token_ids=stop_ids
        )
        self.vocab_size = vocab_size
        self.max_string_length = max_string_length
        self.max_items = max_items
        self._compiler = xgr.GrammarCompiler(info)
        self._grammars: dict[str, xgr.CompiledGrammar] = {}

    def rows(self, schema: JsonSchema, rows: int) -> GrammarRows:
        """Fresh matchers for `rows` rows constrained to `schema`."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            bounded = bound_schema(schema, self.max_string_length, self.max_items)
            try:
                # Compact separators, no free whitespace: a small model can loop on newlines.
                self._grammars[key] = self._compiler.compile_json_schema(
                    bounded, any_whitespace=False
                )
            except (RuntimeError, ValueError) as error:
                raise InputError(
                    f"JSON schema not supported: {str(error).splitlines()[0]}"
                ) from None
        return GrammarRows(self._grammars[key], rows, self.vocab_size)
