"""Choice probabilities from an OpenAI-compatible server's top logprobs (scripted server)."""

import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest

from rubricrl.backends.base import user
from rubricrl.backends.cache import CachedBackend, ResponseCache
from rubricrl.backends.openai_compat import OpenAIBackend, probs_of_choices
from rubricrl.backends.retry import Retry
from rubricrl.errors import BackendError, InputError

BASE = "http://stub:8000/v1"
YES_NO = ("Yes", "No")


def top_reply(top: dict[str, float], legacy: bool = False) -> httpx.Response:
    """A one-token reply whose first position has these token probabilities."""
    pairs = [(token, math.log(p)) for token, p in top.items()]
    first = pairs[0][0]
    if legacy:  # llama-cpp-python's old chat replies carried the completion shape
        logprobs: Any = {"tokens": [first], "top_logprobs": [dict(pairs)]}
    else:
        alternatives = [{"token": t, "logprob": lp, "bytes": None} for t, lp in pairs]
        logprobs = {
            "content": [{"token": first, "logprob": pairs[0][1], "top_logprobs": alternatives}]
        }
    choice = {"index": 0, "message": {"role": "assistant", "content": first}, "logprobs": logprobs}
    usage = {"prompt_tokens": 11, "completion_tokens": 1}
    return httpx.Response(200, json={"choices": [choice], "usage": usage})


class Server:
    """Answers every request with `reply(body)` and records the bodies."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return self.reply(self.bodies[-1])

    def backend(self) -> OpenAIBackend:
        return OpenAIBackend(
            BASE, "m1", retry=Retry(sleep=no_sleep), transport=httpx.MockTransport(self)
        )


async def no_sleep(_delay: float) -> None:
    """Retries in unit tests wait for nothing."""


def test_request_asks_for_one_greedy_token_and_its_top_logprobs() -> None:
    server = Server(lambda _body: top_reply({"Yes": 0.5, "No": 0.25}))
    server.backend().choice_probs([user("ok?", system="judge")], YES_NO)
    assert server.bodies == [
        {
            "model": "m1",
            "messages": [
                {"role": "system", "content": "judge"},
                {"role": "user", "content": "ok?"},
            ],
            "temperature": 0.0,
            "max_tokens": 1,
            "logprobs": True,
            "top_logprobs": 20,
        }
    ]


def test_spellings_of_a_choice_are_summed_and_absent_choices_get_zero() -> None:
    top = {"Yes": 0.5, " Yes": 0.125, "\nYes": 0.0625, "Y": 0.03125, "Maybe": 0.25}
    server = Server(lambda _body: top_reply(top))
    backend = server.backend()
    (result,) = backend.choice_probs([user("ok?")], YES_NO)
    assert result.probs == pytest.approx({"Yes": 0.71875, "No": 0.0})
    assert result.mass == pytest.approx(0.71875)
    assert (backend.prompt_tokens, backend.completion_tokens) == (11, 1)


def test_each_conversation_gets_its_own_answer_in_order() -> None:
    def reply(body: dict) -> httpx.Response:
        yes = float(body["messages"][-1]["content"])
        return top_reply({"Yes": yes, "No": 1 - yes})

    results = Server(reply).backend().choice_probs([user("0.25"), user("0.75")], YES_NO)
    assert [r.probs["Yes"] for r in results] == pytest.approx([0.25, 0.75])


def test_the_legacy_completion_shape_is_read_too() -> None:
    server = Server(lambda _body: top_reply({"2": 0.75, "1": 0.125}, legacy=True))
    (result,) = server.backend().choice_probs([user("pick")], ("1", "2"))
    assert result.probs == pytest.approx({"1": 0.125, "2": 0.75})


def test_a_token_starting_two_choices_is_refused() -> None:
    server = Server(lambda _body: top_reply({"1": 0.5, "10": 0.25}))
    with pytest.raises(InputError, match="do not differ at their first token"):
        server.backend().choice_probs([user("pick")], ("10", "12"))


def test_whitespace_tokens_start_no_choice() -> None:
    assert probs_of_choices([(" ", 0.0), ("\n", -1.0)], YES_NO).mass == 0.0


@pytest.mark.parametrize(
    "logprobs", [None, {"content": None}, {"content": [{"token": "Yes", "logprob": 0.0}]}, "odd"]
)
def test_a_server_without_top_logprobs_is_named_in_one_line(logprobs: Any) -> None:
    choice = {"index": 0, "message": {"role": "assistant", "content": "Yes"}}
    if logprobs is not None:
        choice["logprobs"] = logprobs
    server = Server(lambda _body: httpx.Response(200, json={"choices": [choice]}))
    with pytest.raises(BackendError) as caught:
        server.backend().choice_probs([user("ok?")], YES_NO)
    message = str(caught.value)
    assert "`logprobs` and `top_logprobs`" in message and f"openai:{BASE}#m1" in message
    assert "\n" not in message


def test_failures_are_retried_and_finished_probabilities_are_cached(tmp_path: Path) -> None:
    def reply(body: dict) -> httpx.Response:
        if body["messages"][-1]["content"] == "poison":
            return httpx.Response(400, json={"error": {"message": "bad prompt"}})
        return top_reply({"Yes": 0.5, "No": 0.5})

    flaky = iter([httpx.Response(503), top_reply({"No": 1.0})])
    server = Server(lambda _body: next(flaky))
    (result,) = server.backend().choice_probs([user("x")], YES_NO)
    assert result.probs == {"Yes": 0.0, "No": 1.0} and len(server.bodies) == 2

    cache = ResponseCache(tmp_path / "responses.sqlite")
    conversations = [user("a"), user("poison"), user("c")]
    with pytest.raises(BackendError, match="1 of 3 requests failed, 2 finished") as caught:
        CachedBackend(Server(reply).backend(), cache).choice_probs(conversations, YES_NO)
    assert sorted(caught.value.partial) == [0, 2]
    rerun = Server(lambda _body: top_reply({"Yes": 1.0}))
    results = CachedBackend(rerun.backend(), cache).choice_probs(conversations, YES_NO)
    assert [body["messages"][-1]["content"] for body in rerun.bodies] == ["poison"]
    assert [r.probs["Yes"] for r in results] == pytest.approx([0.5, 1.0, 0.5])
