"""Constrained decoding: every reply closes within its budget, whatever the sampler picks."""

from __future__ import annotations

import json
import random
import string

import jsonschema
import numpy as np
import pytest
import xgrammar as xgr

from rubricrl.backends.constrained import GrammarRows, Lexeme, SchemaCompiler, bound_schema
from rubricrl.errors import InputError

# A raw vocabulary: every printable character, some longer pieces a model would favour, a stop.
PIECES = ['{"', '": "', '", "', '"}', "true", "false", "12345", "hello world ", "\\n", '\\"', "]}"]
VOCAB = [c.encode() for c in string.printable if c not in "\t\n\r\x0b\x0c"]
VOCAB += [piece.encode() for piece in PIECES] + [b"<stop>"]
STOP = len(VOCAB) - 1

SCHEMAS = {
    "paper": {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "year": {"type": "integer"},
            "keywords": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
        "required": ["title", "year", "keywords"],
    },
    "verdicts": {
        "title": "verdicts",
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "minItems": 2,
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"enum": ["r1", "r2", "r3"]},
                        "why": {"type": "string", "minLength": 3},
                        "ok": {"type": "boolean"},
                        "score": {"type": "number"},
                    },
                    "required": ["id", "why", "ok"],
                },
            }
        },
        "required": ["items"],
    },
}


@pytest.fixture(scope="module")
def compiler() -> SchemaCompiler:
    info = xgr.TokenizerInfo(VOCAB, vocab_size=len(VOCAB), stop_token_ids=[STOP])
    return SchemaCompiler(info, max_string_length=40, max_items=4)


def sample_reply(rows: GrammarRows, row: int, budget: int, rng: random.Random) -> list[int]:
    """Tokens picked uniformly among those the grammar allows: a sampler with no wish to close."""
    tokens: list[int] = []
    while len(tokens) < budget:
        rows.matchers[row].fill_next_token_bitmask(rows.bitmask, row)
        bits = np.unpackbits(rows.bitmask[row].numpy().view(np.uint8), bitorder="little")
        allowed = np.flatnonzero(bits[: len(VOCAB)]).tolist()
        token, finished = rows.accept(row, rng.choice(allowed), budget - len(tokens))
        tokens.append(token)
        if finished:
            break
    return tokens


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("slack", [0, 2, 10, 60])
def test_random_sampler_always_closes_within_budget(
    compiler: SchemaCompiler, name: str, slack: int
) -> None:
    schema = SCHEMAS[name]
    budget = compiler.tokens_to_close(schema) + slack
    rows = compiler.rows(schema, 32, budget)
    rng = random.Random(slack)
    for row in range(32):
        tokens = sample_reply(rows, row, budget, rng)
        assert len(tokens) <= budget
        text = b"".join(VOCAB[t] for t in tokens if t != STOP).decode()
        jsonschema.validate(json.loads(text), bound_schema(schema, 40, 4))


def test_budget_below_the_shortest_reply_is_refused_before_generating(
    compiler: SchemaCompiler,
) -> None:
    needed = compiler.tokens_to_close(SCHEMAS["verdicts"])
    with pytest.raises(InputError, match=f"'verdicts'.*{needed} tokens.*max_tokens={needed - 1}"):
        compiler.rows(SCHEMAS["verdicts"], 1, needed - 1)
    assert compiler.rows(SCHEMAS["verdicts"], 1, needed).matchers


def test_way_out_of_an_empty_reply_spells_forced_text_in_long_tokens(
    compiler: SchemaCompiler,
) -> None:
    """`{"title": "", "year": 0, "keywords": []}`, where the forced `{"` and `": "` are one
    token each, and every other character is one token."""
    shortest = '{"title": "", "year": 0, "keywords": []}'
    assert compiler.tokens_to_close(SCHEMAS["paper"]) == len(shortest) - 1 - 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"a": "b', Lexeme(in_string=True)),
        (b'{"a": "b\\', Lexeme(in_string=True, escaped=True)),
        (b'{"a": "b\\"', Lexeme(in_string=True)),
        (b'{"a": "b\\\\"', Lexeme()),
        (b'{"a": "\xc3\xa9"', Lexeme()),
    ],
)
def test_lexeme_tracks_strings_and_escapes(text: bytes, expected: Lexeme) -> None:
    assert Lexeme().after(text) == expected
    assert Lexeme().after(text[:3]).after(text[3:]) == expected


def test_a_row_ends_at_its_closing_brace_without_waiting_for_the_stop(
    compiler: SchemaCompiler,
) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    rows = compiler.rows(schema, 1, 64)
    reply = [VOCAB.index(piece) for piece in (b'{"', b"a", b'"', b":", b" ", b"1", b"2")]
    for token in reply:  # a number may go on, so no token of it ends the row
        assert rows.accept(0, token, 64) == (token, False)
    assert rows.accept(0, VOCAB.index(b"}"), 64) == (VOCAB.index(b"}"), True)
