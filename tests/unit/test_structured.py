"""Structured replies: last JSON object, schema checks, bounded retries per conversation."""

import pytest

from rubricrl.backends.base import Conversation, Sampling, user
from rubricrl.backends.fake import FakeBackend
from rubricrl.backends.structured import last_json_object, parse_reply, structured_batch
from rubricrl.errors import ParseError

SCHEMA = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}


def test_last_object_wins_over_earlier_ones_and_prose() -> None:
    assert last_json_object('think {"x": 1} then {"x": 2} done.') == {"x": 2}


def test_no_object_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        last_json_object("no json here {")


def test_schema_violation_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="schema"):
        parse_reply('{"x": "one"}', SCHEMA)


def test_a_bad_reply_is_retried_then_given_up_alone() -> None:
    tries: dict[str, int] = {}

    def respond(conversation: Conversation) -> str:
        prompt = conversation[-1]["content"]
        tries[prompt] = tries.get(prompt, 0) + 1
        if prompt == "never":
            return "not json"
        if prompt == "second try" and tries[prompt] == 1:
            return '{"x": "wrong type"}'
        return '{"x": 7}'

    prompts = ["fine", "second try", "never"]
    replies = structured_batch(FakeBackend(respond), [user(p) for p in prompts], Sampling(), SCHEMA)
    assert replies == [{"x": 7}, {"x": 7}, None]
    assert tries == {"fine": 1, "second try": 2, "never": 3}
