"""How the openai backend fails, over a scripted transport: which failures sink one row and
which the batch, what is retried, and that no message carries the API key."""

from __future__ import annotations

import httpx
import pytest

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.failures import REDACTED
from rubricrl.errors import BackendError
from tests.unit.backends.test_openai_compat import Stub, chat_reply, echo, scripted

KEY = "sk-live-abcdef0123456789"


def test_a_401_stops_the_batch_at_once_and_its_echo_of_the_key_is_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUBRICRL_API_KEY", KEY)
    body = {"error": {"message": f"Incorrect API key provided: {KEY}"}}
    stub = Stub(lambda _body: httpx.Response(401, json=body))
    with pytest.raises(BackendError) as caught:
        stub.backend(concurrency=1).batch([user(w) for w in "abcd"], Sampling())
    message = str(caught.value)
    assert "HTTP 401" in message and "set RUBRICRL_API_KEY" in message
    assert KEY not in message and REDACTED in message
    assert not caught.value.row_level
    assert len(stub.requests) == 1  # the queued requests never went out


def test_an_http_200_reply_that_is_not_json_is_retried() -> None:
    page = httpx.Response(200, text="<html>502 Bad Gateway</html>")
    stub = Stub(scripted(page, chat_reply("ok")))
    (completion,) = stub.backend().batch([user("x")], Sampling())
    assert completion.text == "ok" and len(stub.requests) == 2


def test_garbage_on_every_try_names_it_and_the_tries() -> None:
    stub = Stub(lambda _body: httpx.Response(200, text="<html>oops</html>"))
    with pytest.raises(
        BackendError, match=r"HTTP 200 with something not JSON: <html>oops</html> \(5 tries"
    ):
        stub.backend().batch([user("x")], Sampling())


def test_a_systemic_failure_beside_a_refused_row_is_systemic() -> None:
    def reply(body: dict) -> httpx.Response:
        content = body["messages"][-1]["content"]
        if content == "poison":
            return httpx.Response(400, json={"error": {"message": "too long"}})
        if content == "down":
            return httpx.Response(404, text="no such model")
        return echo(body)

    stub = Stub(reply)
    with pytest.raises(BackendError) as caught:
        stub.backend().batch([user("a"), user("poison"), user("down")], Sampling())
    assert not caught.value.row_level and "HTTP 404" in str(caught.value)
    assert 0 in caught.value.partial
