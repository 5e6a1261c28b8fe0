"""The structured-reply layer: last JSON object, schema checks, bounded re-asks with fresh seeds."""

import json

import pytest

from rubricrl.backends.base import Conversation, Sampling, user
from rubricrl.backends.structured import (
    REFUSED,
    Unreadable,
    ask_structured,
    last_json_object,
    parse_reply,
    refused_rows,
)
from rubricrl.errors import BackendError, ParseError
from tests.fakes import ScriptedBackend

SCHEMA = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}


def test_last_object_wins_over_earlier_ones_and_prose() -> None:
    assert last_json_object('think {"x": 1} then {"x": 2} done.') == {"x": 2}


def test_code_fences_and_braces_in_trailing_prose_are_ignored() -> None:
    text = 'Here you go:\n```json\n{"x": 1}\n```\nHope this {helps}.'
    assert last_json_object(text) == {"x": 1}


def test_a_torn_last_object_never_falls_back_to_an_earlier_one() -> None:
    quoted = json.dumps({"verdicts": [{"item_id": "1", "violated": []}]})  # echoed from a plan
    with pytest.raises(ParseError, match="unfinished"):
        last_json_object(quoted + ' mine: {"verdicts": [{"item_id": "1", "violated": [2]')


@pytest.mark.parametrize("text", ["", "no json here {", '{"x": [}'])
def test_no_object_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        last_json_object(text)


def test_schema_violation_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="schema"):
        parse_reply('{"x": "one"}', SCHEMA)


def _scripted(replies: dict[str, list[str]]) -> ScriptedBackend:
    """A backend answering each prompt with its next scripted reply (the last one from then on)."""

    def respond(conversation: Conversation) -> str:
        prompt = conversation[-1]["content"]
        return replies[prompt].pop(0) if len(replies[prompt]) > 1 else replies[prompt][0]

    return ScriptedBackend(respond)


def asked(backend: ScriptedBackend) -> list[tuple[str, int | None]]:
    """(prompt, seed) of every request the backend received, in order."""
    return [
        (conversation[-1]["content"], call.sampling.seed if call.sampling else None)
        for call in backend.batches
        for conversation in call.conversations
    ]


def test_partly_bad_batch_keeps_good_replies_and_re_asks_only_the_bad_with_fresh_seeds() -> None:
    backend = _scripted(
        {"fine": ['{"x": 1}'], "second try": ['{"x": "no"}', '{"x": 2}'], "never": ["prose"]}
    )
    prompts = ["fine", "second try", "never"]
    replies = ask_structured(
        backend, [user(p) for p in prompts], Sampling(seed=5), SCHEMA, lambda v: v["x"], attempts=3
    )
    assert replies[:2] == [1, 2]
    assert isinstance(replies[2], Unreadable) and "after 3 attempt(s)" in replies[2].reason
    assert asked(backend) == [
        ("fine", 5), ("second try", 5), ("never", 5),
        ("second try", 6), ("never", 6),
        ("never", 7),
    ]  # fmt: skip


def test_a_parse_function_can_refuse_a_schema_valid_reply() -> None:
    def positive(value: dict) -> int:
        if value["x"] <= 0:
            raise ParseError("x must be positive")
        return int(value["x"])

    backend = _scripted({"p": ['{"x": 0}']})
    [reply] = ask_structured(backend, [user("p")], Sampling(), SCHEMA, positive, attempts=2)
    assert reply == Unreadable("unreadable after 2 attempt(s): x must be positive")
    assert len(asked(backend)) == 2


def test_a_refused_request_is_unreadable_at_once_and_the_rest_are_read() -> None:
    backend = ScriptedBackend('{"x": 1}', refuse_when=lambda c: c[-1]["content"] == "poison")
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
    answers = ask_structured(backend, [user("a"), user("poison")], Sampling(), schema, dict)
    assert answers[0] == {"x": 1}
    assert isinstance(answers[1], Unreadable) and answers[1].reason.startswith(REFUSED)
    assert len(backend.batches) == 1  # asking a refused request again is futile


def test_refused_rows_keep_the_finished_and_name_the_refused() -> None:
    backend = ScriptedBackend("ok", refuse_when=lambda c: c[-1]["content"] == "poison")
    found = refused_rows(lambda: backend.batch([user("poison"), user("b")], Sampling()), 2)
    assert isinstance(found[0], Unreadable) and "HTTP 400" in found[0].reason
    assert not isinstance(found[1], Unreadable) and found[1].text == "ok"


def test_refused_rows_let_a_systemic_failure_through() -> None:
    backend = ScriptedBackend("ok", fail_when=lambda c: c[-1]["content"] == "down")
    with pytest.raises(BackendError):
        refused_rows(lambda: backend.batch([user("down"), user("b")], Sampling()), 2)
