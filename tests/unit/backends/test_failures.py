"""Failure messages: one line saying what was tried, and no API key in them."""

from __future__ import annotations

import httpx
import pytest

from rubricrl.backends.failures import REDACTED, explain, redact, row_level
from rubricrl.backends.retry import DeadlinePassed, Exhausted, Garbled, Limits

KEY = "sk-live-abcdef0123456789"
URL = "http://server/v1"
LIMITS = Limits(timeout=60, deadline=190)


def status_error(status: int, body: str = "") -> httpx.HTTPStatusError:
    request = httpx.Request("POST", f"{URL}/chat/completions")
    response = httpx.Response(status, request=request, text=body)
    return httpx.HTTPStatusError(f"HTTP {status}", request=request, response=response)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Incorrect API key provided: {KEY}.", f"Incorrect API key provided: {REDACTED}"),
        ("Incorrect API key provided: sk-live-abcd****6789", f"key provided: {REDACTED}"),
        ("header was Authorization: Bearer xyz-123", f"Bearer {REDACTED}"),
        ("model not found", "model not found"),
    ],
)
def test_redact_blanks_the_key_its_echoes_and_bearer_tokens(text: str, expected: str) -> None:
    assert expected in redact(text, KEY)
    assert KEY not in redact(text, KEY) and "abcdef01" not in redact(text, KEY)


def test_redact_reads_the_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUBRICRL_API_KEY", KEY)
    assert redact(f"echo {KEY}") == f"echo {REDACTED}"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            Exhausted(httpx.ReadTimeout("slow"), 3, 190.2, "deadline 190 s"),
            f"openai backend: {URL} sent no reply within 60 s on 3 tries over 190.2 s (deadline"
            " 190 s); set RUBRICRL_REQUEST_TIMEOUT or RUBRICRL_REQUEST_DEADLINE (seconds)",
        ),
        (
            Exhausted(status_error(503, "overloaded"), 5, 12.0, "tries"),
            f"openai backend: {URL} answered HTTP 503: overloaded (5 tries over 12.0 s)",
        ),
        (
            Exhausted(Garbled("<html>"), 2, 3.0, "deadline 190 s"),
            f"openai backend: {URL} answered HTTP 200 with something not JSON: <html> (2 tries"
            " over 3.0 s, deadline 190 s)",
        ),
        (
            status_error(401, '{"error": {"message": "bad key"}}'),
            f"openai backend: {URL} answered HTTP 401: bad key; set RUBRICRL_API_KEY or"
            " OPENAI_API_KEY",
        ),
        (
            status_error(404, "nope"),
            f"openai backend: {URL} answered HTTP 404: nope; check the base URL (usually ends"
            " in /v1) and the model name 'm'",
        ),
        (
            DeadlinePassed("late"),
            f"openai backend: {URL} sent no reply before the 190 s deadline",
        ),
    ],
)
def test_explain_says_what_failed_and_what_was_tried(error: Exception, message: str) -> None:
    assert explain(error, URL, "m", LIMITS) == message


@pytest.mark.parametrize(
    ("status", "row"), [(400, True), (413, True), (422, True), (401, False), (500, False)]
)
def test_only_a_refusal_of_the_request_itself_is_row_level(status: int, row: bool) -> None:
    assert row_level(status_error(status)) is row
