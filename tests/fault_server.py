"""A fault-injecting OpenAI-compatible chat server on 127.0.0.1, standard library only.

Healthy replies are a function of the request body, so two runs write the same files: a
schema-valid JSON instance when the request asks for a schema, top logprobs when it asks for
one token with logprobs, plan-like text otherwise. Faults are chosen per server and per request:

    server = FaultServer(Fault("500", times=2))               # the first 2 requests fail
    server = FaultServer(Fault("400", marker="POISON"))       # requests mentioning POISON fail
    server.faults = [Fault("hang", hang=1.0)]                 # change them while it runs

Every request is recorded (time, headers, body, fault) with the most seen in flight at once.
Bounded: every hang and slow reply is capped (`HANG_CAP`) and cut short by `stop()`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tests.fakes import random_text, schema_instance, words

Mode = Literal[
    "500", "429", "garbage", "invalid", "drop", "midbody", "hang", "slow", "gather", "401", "400"
]
HANG_CAP = 30.0  # no request is held longer than this, whatever a test asks
MAX_BODY = 8 * 1024 * 1024
CONTEXT_ERROR = "This model's maximum context length is 2048 tokens; the request has 9000 tokens"
# tokens a grader or judge may read at a reply's first position, and a few it did not mean
CHOICE_TOKENS = ("Yes", "No", "1", "2")
OTHER_TOKENS = ("The", "I", "**", "Based")


@dataclass
class Fault:
    """What to do to the requests it matches, instead of answering them.

    `marker`: only requests whose messages contain it; `times`: only the first that many
    matching requests (None: all). Modes: 500 and 429 (with `retry_after`, seconds or an HTTP
    date) as error replies; garbage, an HTTP-200 HTML page; invalid, an HTTP-200 chat reply whose
    content breaks the schema (and with no logprobs for a logprobs request); drop, the connection
    closed with no reply; midbody, closed half-way through the body; hang, no reply for `hang`
    seconds then closed; slow, the healthy reply after `hang` seconds; gather, the healthy reply
    once `until` requests have been in flight at once (proof that a client sends that many side by
    side, whatever the machine's speed); 401, an error body echoing the Authorization header back;
    400, a context-length error.
    """

    mode: Mode
    marker: str | None = None
    times: int | None = None
    retry_after: str = "1"
    hang: float = 5.0
    until: int = 1
    hits: int = 0

    def matches(self, text: str) -> bool:
        if self.marker is not None and self.marker not in text:
            return False
        return self.times is None or self.hits < self.times


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    time: float
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    fault: Mode | None

    @property
    def text(self) -> str:
        """Every message's content, joined (what markers are looked for in)."""
        messages = (self.body or {}).get("messages") or []
        return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))


def _seed(*parts: Any) -> int:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")


def _schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a request asks its reply to follow, in either dialect, or None."""
    form = body.get("response_format") or {}
    if form.get("type") == "json_schema":
        return (form.get("json_schema") or {}).get("schema")
    if form.get("type") == "json_object":
        return form.get("schema") or {"type": "object"}
    return None


def plan_text(rng: random.Random) -> str:
    """A short made-up research plan."""
    steps = [f"{k}. {random_text(rng, 30, 90).capitalize()}." for k in range(1, rng.randint(3, 5))]
    return "Plan: " + random_text(rng, 20, 60) + ".\n" + "\n".join(steps)


def top_logprobs(rng: random.Random) -> list[dict[str, Any]]:
    """Alternatives at the first token: most mass on the answer tokens, some elsewhere."""
    weights = [rng.uniform(0.05, 1.0) for _ in CHOICE_TOKENS] + [0.02 for _ in OTHER_TOKENS]
    total = sum(weights)
    pairs = sorted(zip(CHOICE_TOKENS + OTHER_TOKENS, weights, strict=True), key=lambda p: -p[1])
    return [{"token": token, "logprob": math.log(w / total), "bytes": None} for token, w in pairs]


def healthy_reply(body: dict[str, Any]) -> dict[str, Any]:
    """The deterministic chat completion for `body`."""
    messages = body.get("messages") or []
    schema = _schema_of(body)
    logprobs = bool(body.get("logprobs")) and body.get("max_tokens") == 1
    choices = []
    for index in range(max(1, int(body.get("n") or 1))):
        rng = random.Random(_seed(messages, schema, body.get("seed"), index))
        choice: dict[str, Any] = {"index": index, "finish_reason": "stop"}
        if logprobs:
            top = top_logprobs(rng)
            content = top[0]["token"]
            choice["logprobs"] = {"content": [{**top[0], "top_logprobs": top}]}
            choice["finish_reason"] = "length"
        elif schema is not None:
            content = json.dumps(schema_instance(schema, rng))
        else:
            content = plan_text(rng)
        choice["message"] = {"role": "assistant", "content": content}
        choices.append(choice)
    prompt = sum(len(words(str(m.get("content", "")))) for m in messages if isinstance(m, dict))
    completion = sum(len(words(c["message"]["content"])) for c in choices)
    return {
        "id": f"chatcmpl-{_seed(messages) % 10**8}",
        "object": "chat.completion",
        "model": body.get("model", "fake"),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def invalid_reply(body: dict[str, Any]) -> dict[str, Any]:
    """A well-formed HTTP-200 chat reply whose content is of no use to the caller."""
    reply = healthy_reply({**body, "logprobs": False, "response_format": None})
    for choice in reply["choices"]:
        choice["message"]["content"] = json.dumps({"unexpected": "field", "answer": None})
    return reply


class _Listener(ThreadingHTTPServer):
    request_queue_size = 1024  # a client opening hundreds of connections at once gets them all


class FaultServer:
    """The server, started on a free loopback port in a thread; use as a context manager."""

    def __init__(self, *faults: Fault, model: str = "fake") -> None:
        self.faults: list[Fault] = list(faults)
        self.model = model
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.more_in_flight = threading.Condition(self.lock)
        self.stopping = threading.Event()
        self._httpd = _Listener(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fault_server = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def spec(self) -> str:
        return f"openai:{self.base_url}#{self.model}"

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes every hanging handler
        with self.more_in_flight:
            self.more_in_flight.notify_all()  # and every gathering one
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def pick(self, text: str) -> Fault | None:
        """The first fault matching a request's text, counted as used."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(text):
                    fault.hits += 1
                    return fault
        return None

    def wait(self, seconds: float) -> None:
        self.stopping.wait(min(seconds, HANG_CAP))

    def gather(self, count: int) -> None:
        """Wait until `count` requests have been in flight at once (at most HANG_CAP)."""
        with self.more_in_flight:
            reached = lambda: self.max_in_flight >= count or self.stopping.is_set()  # noqa: E731
            self.more_in_flight.wait_for(reached, timeout=HANG_CAP)


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def _error(status: int, message: str, kind: str) -> _Reply:
    payload = {"error": {"message": message, "type": kind, "code": status}}
    return _Reply(status, json.dumps(payload).encode())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do; faults close the socket
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read `requests` instead."""

    @property
    def owner(self) -> FaultServer:
        return self.server.fault_server  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            models = {"object": "list", "data": [{"id": self.owner.model, "object": "model"}]}
            self._send(_Reply(200, json.dumps(models).encode()))
        else:
            self._send(_error(404, f"no route {self.path}", "not_found"))

    def do_POST(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_BODY))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        request = Request(time.time(), self.path, dict(self.headers.items()), body, None)
        fault = owner.pick(request.text) if body is not None else None
        with owner.lock:
            owner.requests.append(replace(request, fault=fault and fault.mode))
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
            owner.more_in_flight.notify_all()
        try:
            self._answer(body, fault)
        finally:
            with owner.lock:
                owner.in_flight -= 1

    def _answer(self, body: dict[str, Any] | None, fault: Fault | None) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._send(_error(404, f"no route {self.path}", "not_found"))
        if not isinstance(body, dict):
            return self._send(_error(400, "request body is not a JSON object", "invalid_request"))
        mode = fault.mode if fault else None
        if mode in ("hang", "slow"):
            assert fault is not None
            self.owner.wait(fault.hang)
            if mode == "hang":
                return self._close()
        if mode == "gather":
            assert fault is not None
            self.owner.gather(fault.until)
        if mode == "drop":
            return self._close()
        if mode == "500":
            return self._send(_error(500, "internal server error (injected)", "server_error"))
        if mode == "429":
            assert fault is not None
            reply = _error(429, "rate limit reached (injected)", "rate_limit")
            reply.headers["Retry-After"] = fault.retry_after
            return self._send(reply)
        if mode == "garbage":
            page = b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"
            return self._send(_Reply(200, page, content_type="text/html"))
        if mode == "401":
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return self._send(_error(401, f"Incorrect API key provided: {key}", "auth"))
        if mode == "400":
            return self._send(_error(400, CONTEXT_ERROR, "context_length_exceeded"))
        reply = invalid_reply(body) if mode == "invalid" else healthy_reply(body)
        encoded = json.dumps(reply).encode()
        if mode == "midbody":
            return self._send(_Reply(200, encoded), cut=len(encoded) // 2)
        return self._send(_Reply(200, encoded))

    def _send(self, reply: _Reply, cut: int | None = None) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body if cut is None else reply.body[:cut])
        self.wfile.flush()
        if cut is not None:
            self._close()

    def _close(self) -> None:
        """Close the connection without (the rest of) a reply."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone first
            self.connection.shutdown(socket.SHUT_RDWR)
