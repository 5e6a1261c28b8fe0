"""Why a request to a model server failed, in one line a user can act on and with the API key
redacted; and whether the failure is the row's own (refused for its content) or the server's."""

from __future__ import annotations

import os
import re

import httpx

from rubricrl.backends.retry import (
    DEADLINE_VARIABLE,
    TIMEOUT_VARIABLE,
    DeadlinePassed,
    Exhausted,
    Garbled,
    Limits,
    classify,
)

API_KEY_VARIABLES = ("RUBRICRL_API_KEY", "OPENAI_API_KEY")
ROW_STATUSES = (400, 413, 422)  # the request itself is refused (too long, malformed): that row only
REDACTED = "<redacted>"  # no brackets: rich would read [redacted] as markup and drop it
KEY_HINT = "; set RUBRICRL_API_KEY or OPENAI_API_KEY"


def api_key() -> str | None:
    """The API key from the environment (never from a spec, which ends up in output rows)."""
    return next((os.environ[name] for name in API_KEY_VARIABLES if os.environ.get(name)), None)


def redact(text: str, key: str | None = None) -> str:
    """`text` with the API key (`key`, by default the configured one) and any bearer token
    blanked out, and any word sharing 8 characters in a row with the key (a server's echo of
    it, perhaps masked in the middle)."""
    text = re.sub(r"(?i)\bBearer\s+\S+", f"Bearer {REDACTED}", text)
    key = api_key() if key is None else key
    if not key:
        return text
    text = text.replace(key, REDACTED)
    pieces = {key[i : i + 8] for i in range(max(len(key) - 7, 0))} if len(key) >= 8 else set()
    return re.sub(r"\S+", lambda m: REDACTED if any(p in m[0] for p in pieces) else m[0], text)


def one_line(text: str, limit: int = 200) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def row_level(error: BaseException) -> bool:
    """Whether the server refused this request for its own content, not for being the server."""
    return isinstance(error, httpx.HTTPStatusError) and error.response.status_code in ROW_STATUSES


def _connect_reason(error: BaseException) -> str:
    """Why a connection failed; anyio hides the refusal under a generic OSError, so walk causes."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    return one_line(str(error) or type(error).__name__)


def _error_detail(response: httpx.Response) -> str:
    """The server's own error message when it sent one, else the start of the body."""
    try:
        error = response.json().get("error")
        detail = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        detail = None
    return one_line(str(detail or response.text or response.reason_phrase))


def explain(error: BaseException, base_url: str, model: str, limits: Limits) -> str:
    """A one-line message a user can act on, saying what was tried (not yet redacted)."""
    where = f"openai backend: {base_url}"
    if isinstance(error, Exhausted) and classify(error.last) == "timeout":
        tries = f"{error.tries} {'try' if error.tries == 1 else 'tries'}"
        return (
            f"{where} sent no reply within {limits.timeout:g} s on {tries} over "
            f"{error.elapsed:.1f} s (deadline {limits.deadline:g} s); set {TIMEOUT_VARIABLE} or "
            f"{DEADLINE_VARIABLE} (seconds)"
        )
    if isinstance(error, Exhausted):
        return f"{explain(error.last, base_url, model, limits)} ({error.summary})"
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return f"openai backend: cannot connect to {base_url} ({_connect_reason(error)})"
    if isinstance(error, httpx.TimeoutException):
        return f"{where} sent no reply within {limits.timeout:g} s"
    if isinstance(error, DeadlinePassed):
        return f"{where} sent no reply before the {limits.deadline:g} s deadline"
    if isinstance(error, Garbled):
        return f"{where} answered HTTP 200 with something not JSON: {error}"
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        hint = {
            401: KEY_HINT,
            403: KEY_HINT,
            404: f"; check the base URL (usually ends in /v1) and the model name {model!r}",
        }.get(status, "")
        return f"{where} answered HTTP {status}: {_error_detail(error.response)}{hint}"
    return f"{where}: connection failed ({type(error).__name__}: {one_line(str(error))})"
