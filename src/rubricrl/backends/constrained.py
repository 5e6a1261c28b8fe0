"""JSON-Schema constrained decoding on the local backend: xgrammar token masks per row.

Why xgrammar: it is already a dependency, compiles a schema to a pushdown automaton whose
token masks cost microseconds on CPU, honours `maxLength`/`maxItems` (which we need to stop a
small model running away inside a string), and is the engine vLLM, SGLang and TensorRT-LLM
ship. llguidance is as fast but would add a second engine; outlines precompiles a regex FSM
that grows with the schema (slow for bounded strings); lm-format-enforcer walks characters in
pure Python for every token.

A reply must also end inside its token budget. Each row knows its *way out*: a short token
sequence, found greedily on a forked matcher, that completes the JSON from where the row stands. When a sampled token would leave less budget than the way out that
follows it, the row takes the first token of the current way out instead, so every reply closes
whenever the schema has a document that fits the budget, which is checked before generating.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import xgrammar as xgr

from rubricrl.backends.base import JsonSchema
from rubricrl.errors import InputError

BOUNDED_KEYS = ("maxLength", "enum", "const", "pattern", "format")
# Characters tried first on the way out (inside a string only the quote is): end a container,
# move to the next required member, write the shortest number, open a string or key.
CLOSING_CHARS = '}],0123456789"'
# Characters tried when the grammar forbids all of those (a minimum string length, a keyword).
FILLER_CHARS = "abcdefghijklmnopqrstuvwxyz,:-.{[ ABCDEFGHIJKLMNOPQRSTUVWXYZ"
QUOTE, BACKSLASH = ord('"'), ord("\\")
MAX_PIECE = 32  # bytes: the longest token tried when the grammar forces a run of text
MAX_WAY_OUT = 100_000  # tokens; a longer way out means the grammar cannot close


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


def schema_name(schema: JsonSchema) -> str:
    """A short name for `schema` in messages: its title, else its property names."""
    if "title" in schema:
        return repr(schema["title"])
    return "{" + ", ".join(schema.get("properties", {})) + "}"


@dataclass(frozen=True)
class Lexeme:
    """Where a JSON text stands lexically: inside a string, and right after its backslash."""

    in_string: bool = False
    escaped: bool = False

    def after(self, text: bytes) -> Lexeme:
        """The state once `text` follows (quote and backslash bytes never occur inside UTF-8
        multi-byte characters, so bytes suffice)."""
        in_string, escaped = self.in_string, self.escaped
        for byte in text:
            if escaped:
                escaped = False
            elif in_string and byte == BACKSLASH:
                escaped = True
            elif byte == QUOTE:
                in_string = not in_string
        return Lexeme(in_string, escaped)


class WayOut:
    """Finds a short completion of a matcher's JSON, greedily: forced text in the longest tokens
    that spell it, otherwise one-character tokens that close what is open."""

    def __init__(self, info: xgr.TokenizerInfo) -> None:
        self.texts: list[bytes] = info.decoded_vocab
        self.pieces: dict[bytes, int] = {}
        for token, text in enumerate(self.texts):
            self.pieces.setdefault(text, token)
        single = {text: token for text, token in self.pieces.items() if len(text) == 1}
        self.closing = [single[c.encode()] for c in CLOSING_CHARS if c.encode() in single]
        self.fillers = [single[c.encode()] for c in FILLER_CHARS if c.encode() in single]
        self.quote = [single[b'"']]
        self.stop_ids = frozenset(info.stop_token_ids)
        self.bitmask = xgr.allocate_token_bitmask(1, info.vocab_size)

    def tokens(self, matcher: xgr.GrammarMatcher, lexeme: Lexeme) -> list[int]:
        """The tokens that complete `matcher`'s JSON, taken on a fork (`matcher` is unchanged)."""
        fork = matcher.fork()
        path: list[int] = []
        while not fork.is_completed():
            if len(path) >= MAX_WAY_OUT:
                raise RuntimeError(f"no way to close the JSON within {MAX_WAY_OUT} tokens")
            token = self._advance(fork, lexeme)
            lexeme = lexeme.after(self.texts[token])
            path.append(token)
        return path

    def _advance(self, matcher: xgr.GrammarMatcher, lexeme: Lexeme) -> int:
        """Accept and return the next token on the way out."""
        forced = matcher.find_jump_forward_string().encode()
        for end in range(min(len(forced), MAX_PIECE), 0, -1):  # the longest token of forced text
            token = self.pieces.get(forced[:end])
            if token is not None and matcher.accept_token(token):
                return token
        for token in self.quote if lexeme.in_string else self.closing:
            if matcher.accept_token(token):
                return token
        token = self._first_allowed(matcher)
        if not matcher.accept_token(token):
            raise RuntimeError(f"grammar rejected token {token} that it allowed")
        return token

    def _first_allowed(self, matcher: xgr.GrammarMatcher) -> int:
        """A filler character the grammar allows next, else the lowest allowed token id."""
        matcher.fill_next_token_bitmask(self.bitmask, 0)
        words = self.bitmask[0].numpy().view(np.uint32)
        for token in self.fillers:
            if words[token >> 5] >> (token & 31) & 1:
                return token
        bits = np.unpackbits(words.view(np.uint8), bitorder="little")
        return int(np.flatnonzero(bits)[0])


class GrammarRows:
    """One grammar matcher per generated row: masks logits, accepts tokens, keeps rows in budget."""

    def __init__(
        self, grammar: xgr.CompiledGrammar, rows: int, vocab_size: int, way_out: WayOut
    ) -> None:
        self.matchers = [xgr.GrammarMatcher(grammar) for _ in range(rows)]
        self.lexemes = [Lexeme()] * rows
        self.bitmask = xgr.allocate_token_bitmask(rows, vocab_size)
        self.way_out = way_out

    def mask(self, logits: torch.Tensor, rows: list[int]) -> None:
        """Set to -inf, in place, the logits of tokens the grammar forbids; `rows` maps logits rows."""
        for position, row in enumerate(rows):
            self.matchers[row].fill_next_token_bitmask(self.bitmask, position)
        bitmask = self.bitmask[: len(rows)].to(logits.device)
        xgr.apply_token_bitmask_inplace(logits, bitmask, vocab_size=logits.shape[-1])

    def accept(self, row: int, token: int, budget: int) -> tuple[int, bool]:
        """Advance `row` by `token`, or by its way out when `token` leaves too little budget.

        `budget` counts the tokens the row may still add, this one included. Returns the token
        taken and whether the row is finished: its JSON complete, with nothing but a stop token
        allowed next (the row ends right there, not one forward pass later on that stop token).
        """
        matcher, before = self.matchers[row], self.lexemes[row]
        if not matcher.accept_token(token):
            raise RuntimeError(f"grammar rejected token {token} that its own mask allowed")
        after = before.after(self.way_out.texts[token])
        if not matcher.is_terminated() and len(self.way_out.tokens(matcher, after)) > budget - 1:
            matcher.rollback(1)
            token = self.way_out.tokens(matcher, before)[0]
            matcher.accept_token(token)
            after = before.after(self.way_out.texts[token])
        self.lexemes[row] = after
        return token, bool(matcher.is_terminated()) or self._only_stop_next(matcher)

    def _only_stop_next(self, matcher: xgr.GrammarMatcher) -> bool:
        if not matcher.is_completed():  # cheap, and false on every token but the last ones
            return False
        mask = self.way_out.bitmask
        matcher.fill_next_token_bitmask(mask, 0)
        bits = np.unpackbits(mask[0].numpy().view(np.uint8), bitorder="little")
        return set(np.flatnonzero(bits).tolist()) <= self.way_out.stop_ids


class SchemaCompiler:
    """Compiles (and memoises) bounded JSON schemas into grammars for one tokenizer."""

    def __init__(
        self, info: xgr.TokenizerInfo, max_string_length: int = 128, max_items: int = 8
    ) -> None:
        self.vocab_size = info.vocab_size
        self.max_string_length = max_string_length
        self.max_items = max_items
        self._compiler = xgr.GrammarCompiler(info)
        self._compiled: dict[str, tuple[xgr.CompiledGrammar, int]] = {}
        self._way_out = WayOut(info)

    def rows(self, schema: JsonSchema, rows: int, max_tokens: int) -> GrammarRows:
        """Fresh matchers for `rows` rows constrained to `schema` within `max_tokens` each.

        InputError, before any generation, when no valid document fits `max_tokens`.
        """
        grammar, needed = self._compile(schema)
        if needed > max_tokens:
            raise InputError(
                f"JSON schema {schema_name(schema)}: a valid reply can need {needed} tokens, "
                f"more than max_tokens={max_tokens}"
            )
        return GrammarRows(grammar, rows, self.vocab_size, self._way_out)

    def tokens_to_close(self, schema: JsonSchema) -> int:
        """The length of the way out from an empty reply: the budget every reply is sure to fit."""
        return self._compile(schema)[1]

    def _compile(self, schema: JsonSchema) -> tuple[xgr.CompiledGrammar, int]:
        """The grammar of `schema`, and the length of its way out from an empty reply."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._compiled:
            bounded = bound_schema(schema, self.max_string_length, self.max_items)
            try:
                # Compact separators, no free whitespace: a small model can loop on newlines.
                grammar = self._compiler.compile_json_schema(bounded, any_whitespace=False)
            except (RuntimeError, ValueError) as error:
                raise InputError(
                    f"JSON schema not supported: {str(error).splitlines()[0]}"
                ) from None
            shortest = self._way_out.tokens(xgr.GrammarMatcher(grammar), Lexeme())
            self._compiled[key] = grammar, len(shortest)
        return self._compiled[key]
