"""The web app's guards, in-process: foreign, wrong and missing tokens, unassigned tasks,
cross-site posts, hostile text, a second vote, and models hidden until export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rubricrl.study.app import CSRF_COOKIE, create_app
from rubricrl.study.export import StudyExportConfig, export_study
from rubricrl.study.store import Study
from tests.builders import HOSTILE, study_file


@pytest.fixture
def served(tmp_path: Path) -> tuple[TestClient, Study, dict[str, str], str]:
    path, links, admin = study_file(tmp_path, ("ann", "bob"))
    return (
        TestClient(create_app(path), base_url="http://127.0.0.1:8765", follow_redirects=False),
        Study(path),
        links,
        admin,
    )


def open_task(client: TestClient, link: str) -> tuple[str, str, str]:
    """(the page, its form action, its CSRF value) of the link's next task."""
    page = client.get(link, follow_redirects=True)
    assert page.status_code == 200
    action = re.search(r'class="vote" method="post" action="([^"]+)"', page.text)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert action and csrf
    return page.text, action.group(1), csrf.group(1)


def vote_form(page: str, csrf: str) -> dict[str, str]:
    if 'data-kind="pairwise"' in page:
        return {"csrf": csrf, "choice": "2"}
    return {"csrf": csrf, **{f"item-{i}": "approve" for i in range(3)}}


def test_every_page_and_form_refuses_foreign_wrong_and_missing_tokens(served) -> None:  # type: ignore[no-untyped-def]
    client, study, links, admin = served
    bob_task = study.assignments(2)[0].id
    ann = links["ann"].split("/")[2]
    for token in (ann, "wrong-token", ""):
        pages = [f"/a/{token}/task/{bob_task}"] + ([f"/a/{token}/"] if token != ann else [])
        forms = [f"/a/{token}/task/{bob_task}", f"/a/{token}/task/{bob_task}/skip"]
        for path in pages:
            assert client.get(path).status_code in (403, 404), path
        for path in forms:
            assert client.post(path, data={"csrf": "x", "choice": "1"}).status_code in (403, 404)
        assert client.get(f"/admin/{token}").status_code in (403, 404)
    assert study.rows("SELECT COUNT(*) AS n FROM votes")[0]["n"] == 0
    assert client.get(admin).status_code == 200


def test_a_vote_on_another_annotators_task_is_refused(served) -> None:  # type: ignore[no-untyped-def]
    client, study, links, _ = served
    page, _, csrf = open_task(client, links["ann"])  # a real page, a real CSRF cookie
    for theirs in study.assignments(2):
        url = f"{links['ann']}task/{theirs.id}"
        assert client.post(url, data=vote_form(page, csrf)).status_code == 404
    assert study.rows("SELECT COUNT(*) AS n FROM votes")[0]["n"] == 0


def test_cross_site_posts_are_refused(served) -> None:  # type: ignore[no-untyped-def]
    client, study, links, _ = served
    page, action, csrf = open_task(client, links["ann"])
    form = vote_form(page, csrf)
    foreign = client.post(action, data=form, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert client.post(action, data={**form, "csrf": "guess"}).status_code == 403
    bare = TestClient(
        client.app, base_url="http://127.0.0.1:8765", follow_redirects=False
    )  # no cookie: a forged form
    assert bare.post(action, data=form).status_code == 403
    assert study.rows("SELECT COUNT(*) AS n FROM votes")[0]["n"] == 0
    cookie = client.cookies.jar
    assert any(c.name == CSRF_COOKIE for c in cookie)
    ok = client.post(action, data=form, headers={"Origin": "http://127.0.0.1:8765"})
    assert ok.status_code == 303


def test_hostile_text_is_shown_as_text_under_a_strict_policy(served) -> None:  # type: ignore[no-untyped-def]
    client, study, links, _ = served
    for assignment in study.assignments(1)[:6]:
        response = client.get(f"{links['ann']}task/{assignment.id}")
        assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;" in response.text
        assert HOSTILE not in response.text and "<img" not in response.text
        assert re.findall(r"<script[^>]*>", response.text) == [
            '<script src="/static/study.js" defer>'
        ]
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert response.headers["referrer-policy"] == "same-origin"


def test_a_second_vote_on_a_finished_task_is_refused_and_the_first_stands(served) -> None:  # type: ignore[no-untyped-def]
    client, study, links, _ = served
    page, action, csrf = open_task(client, links["ann"])
    assert client.post(action, data=vote_form(page, csrf)).status_code == 303
    again = client.post(action, data={**vote_form(page, csrf), "choice": "5"})
    assert again.status_code == 409 and "already answered" in again.text
    assert len(study.rows("SELECT * FROM votes")) == 1
    assert "already answered" in client.get(action).text


def test_incomplete_forms_are_refused_with_one_line(served) -> None:  # type: ignore[no-untyped-def]
    client, study, links, _ = served
    for assignment in study.assignments(1):
        url = f"{links['ann']}task/{assignment.id}"
        _, _, csrf = open_task(client, url)
        response = client.post(url, data={"csrf": csrf, "choice": "9", "item-0": "reject"})
        assert response.status_code == 400 and "\n" not in response.text.strip()
    assert study.rows("SELECT COUNT(*) AS n FROM votes")[0]["n"] == 0


def test_the_dashboard_hides_the_models_until_export(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, study, links, admin = served
    page = client.get(admin).text
    assert "model-a" not in page and "hidden until the study is exported" in page
    assert "ann" in page and "bob" in page
    for link in links.values():
        assert "model-a" not in client.get(link, follow_redirects=True).text
    export_study(StudyExportConfig(study=study.path, output=tmp_path / "h.jsonl"))
    assert "A = model-a, B = model-b" in client.get(admin).text
