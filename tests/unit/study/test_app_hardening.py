"""The app on a public host: links checked before bodies are read, bodies capped at 64 KB,
ids past SQLite's range 404, security headers on errors, Host and Origin checked against the
public URL, form tokens bound to their link, and X-Forwarded-* from a trusted proxy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message

from rubricrl.study.app import CSRF_COOKIE, HEADERS, create_app
from rubricrl.study.serve import StudyServeConfig, server_config
from rubricrl.study.store import Study
from tests.builders import study_file
from tests.integration.study.running import csrf_of
from tests.unit.study.test_app import open_task, vote_form

PUBLIC = "https://study.example.org"


def post_raw(app: ASGIApp, path: str, chunks: list[bytes], length: int | None = None) -> Any:
    """POST `chunks` as a streamed body straight to the app: (status, headers, receive calls)."""
    reads, sent = 0, []
    headers = [
        (b"host", b"127.0.0.1:8765"),
        (b"content-type", b"application/x-www-form-urlencoded"),
    ]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        if reads > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[reads - 1], "more_body": reads < len(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
        "query_string": b"", "headers": headers, "scheme": "http", "http_version": "1.1",
        "server": ("127.0.0.1", 8765), "client": ("127.0.0.1", 1), "root_path": "",
        "asgi": {"version": "3.0"},
    }  # fmt: skip
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, reads


def assert_secured(headers: Any) -> None:
    for name, value in HEADERS.items():
        assert headers[name.lower()] == value, name


@pytest.fixture
def path_links(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path, links, _ = study_file(tmp_path, ("ann", "bob"))
    return path, links


def test_a_forged_link_is_404_before_a_byte_of_its_body_is_read(path_links) -> None:  # type: ignore[no-untyped-def]
    path, _ = path_links
    app = create_app(path)
    for url in ("/a/forged/task/1", "/a/forged/task/1/skip"):
        status, headers, reads = post_raw(app, url, [b"x=" + b"y" * 1000] * 3)
        assert (status, reads) == (404, 0)
        assert_secured(headers)


def test_a_body_over_64_kb_is_413_chunked_or_declared(path_links) -> None:  # type: ignore[no-untyped-def]
    path, links = path_links
    app, study = create_app(path), Study(path)
    url = f"{links['ann']}task/{study.assignments(1)[0].id}"
    status, headers, reads = post_raw(app, url, [b"y" * 16384] * 64)  # chunked: no length
    assert status == 413 and reads <= 6  # refused as it passes 64 KB, not after 1 MB
    assert_secured(headers)
    status, headers, reads = post_raw(app, url, [b"y" * 100], length=200_000)
    assert (status, reads) == (413, 0)  # the declared length is enough
    assert_secured(headers)
    assert study.rows("SELECT COUNT(*) AS n FROM votes")[0]["n"] == 0


def test_ids_past_sqlite_range_are_404_and_every_error_has_the_headers(  # type: ignore[no-untyped-def]
    path_links, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, links = path_links
    client = TestClient(
        create_app(path), base_url="http://127.0.0.1:8765", raise_server_exceptions=False
    )
    for big in (2**63, 2**64 + 5, -(2**63) - 1):
        got = client.get(f"{links['ann']}task/{big}")
        assert got.status_code == 404
        assert_secured(got.headers)
        assert client.post(f"{links['ann']}task/{big}/skip").status_code == 404
    assert_secured(client.get("/a/forged/").headers)
    unparsable = client.get(f"{links['ann']}task/abc")
    assert unparsable.status_code == 422
    assert_secured(unparsable.headers)

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Study, "assignments", broken)
    crashed = client.get(links["ann"])
    assert crashed.status_code == 500
    assert_secured(crashed.headers)


def test_host_and_origin_are_checked_against_the_public_url(path_links) -> None:  # type: ignore[no-untyped-def]
    path, links = path_links
    client = TestClient(create_app(path), base_url="http://127.0.0.1:8765", follow_redirects=False)
    page, action, csrf = open_task(client, links["ann"])
    spoofed = {"Host": "evil.example", "Origin": "http://evil.example"}
    refused = client.post(action, data=vote_form(page, csrf), headers=spoofed)
    assert refused.status_code == 400  # an unknown Host, not an Origin that matches it
    assert_secured(refused.headers)
    public = TestClient(create_app(path, PUBLIC), base_url=PUBLIC, follow_redirects=False)
    page, action, csrf = open_task(public, links["ann"])
    loopback = {"Origin": "http://127.0.0.1:8765"}  # a trusted Host's, but not the public origin
    assert public.post(action, data=vote_form(page, csrf), headers=loopback).status_code == 403
    ok = public.post(action, data=vote_form(page, csrf), headers={"Origin": PUBLIC})
    assert ok.status_code == 303


def test_a_form_token_works_only_on_its_own_link(path_links) -> None:  # type: ignore[no-untyped-def]
    path, links = path_links
    client = TestClient(create_app(path), base_url="http://127.0.0.1:8765", follow_redirects=False)
    page, _, ann_csrf = open_task(client, links["ann"])
    _, bob_action, bob_csrf = open_task(client, links["bob"])  # same browser, same cookie
    assert ann_csrf != bob_csrf
    assert client.post(bob_action, data=vote_form(page, ann_csrf)).status_code == 403
    assert client.post(f"{bob_action}/skip", data={"csrf": ann_csrf}).status_code == 403
    assert Study(path).rows("SELECT COUNT(*) AS n FROM votes")[0]["n"] == 0


def test_a_trusted_proxy_with_the_public_host_and_https_is_accepted(path_links) -> None:  # type: ignore[no-untyped-def]
    path, links = path_links
    config = StudyServeConfig(study=path, url=PUBLIC)  # proxies trusted: 127.0.0.1
    settings = server_config(create_app(path, PUBLIC), config)
    settings.load()  # wraps the app in uvicorn's proxy-headers middleware, as `serve` does
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    client = TestClient(
        settings.loaded_app,
        base_url="http://study.example.org",
        client=("127.0.0.1", 40000),
        headers=proxy,
        follow_redirects=False,
    )
    page = client.get(links["ann"], follow_redirects=True)
    assert page.status_code == 200 and "; secure" in page.headers["set-cookie"].lower()
    action = re.search(r'class="vote" method="post" action="([^"]+)"', page.text)
    assert action
    # httpx keeps a Secure cookie off plain http; the proxy would have carried it over https.
    cookie = f"{CSRF_COOKIE}={page.cookies[CSRF_COOKIE]}"
    form = vote_form(page.text, csrf_of(page.text))
    voted = client.post(action.group(1), data=form, headers={"Origin": PUBLIC, "Cookie": cookie})
    assert voted.status_code == 303
    wrong_host = client.get(links["ann"], headers={"Host": "evil.example"})
    assert wrong_host.status_code == 400
