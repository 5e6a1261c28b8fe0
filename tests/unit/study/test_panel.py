"""Panel studies in-process: enrolment by one link, the comprehension check, gold tasks, tasks
taken back from quiet participants, the completion code, and each kind of bad arrival."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rubricrl.errors import InputError
from rubricrl.study.app import create_app
from rubricrl.study.create import (
    RotateAdminConfig,
    StudyCreateConfig,
    create_study,
    study_rotate_admin,
)
from rubricrl.study.export import StudyExportConfig, export_study
from rubricrl.study.panel import CHECK, OpenConfig, open_panel
from rubricrl.study.store import Study
from tests.builders import study_inputs

URL = "http://127.0.0.1:8765"
DONE = "https://app.prolific.com/submissions/complete?cc=DONE42"
RIGHT = [correct for _, _, correct in CHECK]
WRONG = [(correct + 1) % len(options) for _, options, correct in CHECK]


def panel_study(
    root: Path, goals: int = 6, gold_rate: float = 0.0, **settings: object
) -> tuple[Path, str]:
    """A study of `goals` pairwise tasks opened to Prolific: (the file, the enrolment path)."""
    paths = study_inputs(root, goals)
    path = root / "study.sqlite"
    create = StudyCreateConfig(
        goals=paths["goals"], plans_a=paths["a"], plans_b=paths["b"], output=path,
        gold_rate=gold_rate,
    )  # fmt: skip
    create_study(create)
    options = {"completion_code": "DONE42", "screened_code": "OUT7", "tasks": 3} | settings
    link = open_panel(OpenConfig(study=path, url=URL, **options))  # type: ignore[arg-type]
    return path, link.removeprefix(URL).split("?")[0]


def arrive(client: TestClient, join: str, pid: str, session: str | None = None) -> str:
    """The seat path a participant is sent to."""
    query = f"PROLIFIC_PID={pid}&STUDY_ID=st1&SESSION_ID={session or 'se-' + pid}"
    response = client.get(f"{join}?{query}")
    assert response.status_code == 303, response.text
    return response.headers["location"]


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def take_check(client: TestClient, seat: str, answers: list[int]) -> str:
    """Answer the check once; where the seat is sent next."""
    csrf = form_token(client.get(f"{seat}check").text)
    data = {"csrf": csrf} | {f"q-{k}": str(a) for k, a in enumerate(answers)}
    response = client.post(f"{seat}check", data=data)
    assert response.status_code == 303
    return client.get(f"{seat}check").headers.get("location", "check page")


def vote_until_done(client: TestClient, seat: str, choice: str = "2") -> tuple[int, str]:
    """Answer every task the seat is given; (votes cast, where the seat is sent at the end)."""
    votes = 0
    while "/task/" in (where := client.get(seat).headers["location"]):
        csrf = form_token(client.get(where).text)
        assert client.post(where, data={"csrf": csrf, "choice": choice}).status_code == 303
        votes += 1
    return votes, where


def message(page: str) -> str:
    found = re.search(r'id="message">([^<]+)', page)
    assert found
    return found.group(1)


@pytest.fixture
def client_for():  # type: ignore[no-untyped-def]
    return lambda path: TestClient(create_app(path), base_url=URL, follow_redirects=False)


def test_one_link_gives_each_participant_one_seat_and_the_code_at_the_end(
    tmp_path: Path, client_for
) -> None:  # type: ignore[no-untyped-def]
    path, join = panel_study(tmp_path)
    client = client_for(path)
    seat = arrive(client, join, "p1")
    assert arrive(client, join, "p1") == seat  # a second tab: the same seat
    assert client.get(seat).headers["location"] == f"{seat}check"
    assert take_check(client, seat, RIGHT) == seat  # passed: on to the queue
    votes, end = vote_until_done(client, seat)
    assert votes == 3 and end == DONE
    other = arrive(client, join, "p2")
    assert other != seat
    take_check(client, other, RIGHT)
    assert vote_until_done(client, other) == (3, DONE)
    study = Study(path)
    seats = study.rows("SELECT pid, study_id, session_id, finished FROM seats ORDER BY pid")
    assert [(r["pid"], r["study_id"], r["session_id"]) for r in seats] == [
        ("p1", "st1", "se-p1"),
        ("p2", "st1", "se-p2"),
    ]
    assert all(r["finished"] is not None for r in seats)
    # the fewest-voted tasks go first: six tasks, one vote each, none complete yet
    per_task = study.rows(
        "SELECT COUNT(v.assignment_id) AS n FROM tasks t LEFT JOIN assignments a "
        "ON a.task_id = t.id LEFT JOIN votes v ON v.assignment_id = a.id GROUP BY t.id"
    )
    assert [r["n"] for r in per_task] == [1] * 6 and study.overview()["complete"] == 0


def test_two_misses_screen_out_politely_and_release_nothing(tmp_path: Path, client_for) -> None:  # type: ignore[no-untyped-def]
    path, join = panel_study(tmp_path)
    client = client_for(path)
    seat = arrive(client, join, "p1")
    assert take_check(client, seat, WRONG) == "check page"
    page = client.get(f"{seat}check").text
    assert "one try left" in page
    take_check_response = take_check(client, seat, WRONG)
    assert take_check_response == "check page"  # the check page now shows the stop
    stop = client.get(seat)
    assert stop.status_code == 200 and "the study ends here for you" in message(stop.text)
    assert 'href="https://app.prolific.com/submissions/complete?cc=OUT7"' in stop.text
    # a third try changes nothing, and the seat never held a task
    csrf = re.search(r'name="csrf"', stop.text)
    assert csrf is None
    study = Study(path)
    tries = study.rows("SELECT attempt, answers, passed FROM checks ORDER BY attempt")
    assert [(r["attempt"], r["passed"]) for r in tries] == [(1, 0), (2, 0)]
    assert study.rows("SELECT COUNT(*) FROM assignments")[0][0] == 0


def test_bad_arrivals_get_one_clear_page_and_write_nothing(tmp_path: Path, client_for) -> None:  # type: ignore[no-untyped-def]
    path, join = panel_study(tmp_path)
    client = client_for(path)
    arrive(client, join, "p1", session="s1")
    cases = {
        "STUDY_ID=st1&SESSION_ID=s9": (400, "lacks your participant id (PROLIFIC_PID)"),
        "PROLIFIC_PID={{%PROLIFIC_PID%}}": (400, "PROLIFIC_PID in this link is not a valid id"),
        "PROLIFIC_PID=" + "x" * 65: (400, "not a valid id"),
        "PROLIFIC_PID=p2&SESSION_ID=a/b": (400, "SESSION_ID in this link is not a valid id"),
        "PROLIFIC_PID=p2&SESSION_ID=s1": (409, "already used by another participant"),
    }
    for query, (status, text) in cases.items():
        response = client.get(f"{join}?{query}")
        assert response.status_code == status, query
        assert text in message(response.text), query
    assert client.get("/join/not-the-link?PROLIFIC_PID=p3").status_code == 404
    assert Study(path).rows("SELECT COUNT(*) FROM seats")[0][0] == 1


def test_a_quiet_participants_tasks_go_back_and_a_late_vote_gets_a_page(
    tmp_path: Path, client_for
) -> None:  # type: ignore[no-untyped-def]
    path, join = panel_study(tmp_path, goals=4, check=False, tasks=2)
    study = Study(path)
    client = client_for(path)
    late = arrive(client, join, "late")
    task = client.get(late).headers["location"]
    csrf = form_token(client.get(task).text)  # the page is open in their tab
    open_panel(  # the admin shortens the wait so that anyone quiet is past it
        OpenConfig(
            study=path, url=URL, completion_code="DONE42", check=False, tasks=2, reclaim_after=0
        )
    )
    newcomer = arrive(client, join, "new")  # arrivals sweep: late's two tasks go back
    assert study.overview()["reclaimed"] == 2
    response = client.post(task, data={"csrf": csrf, "choice": "1"})
    assert response.status_code == 409 and "went to another annotator" in message(response.text)
    assert client.get(task).status_code == 409  # the old tab reloaded: the same page
    assert study.rows("SELECT COUNT(*) FROM votes")[0][0] == 0
    # back in the queue, late is dealt again (never an error) and can finish
    votes, end = vote_until_done(client, late)
    assert votes == 2 and end == DONE
    assert study.overview()["reclaimed"] == 2  # still counted, though dealt to late again
    votes_new, _ = vote_until_done(client, newcomer)
    per_task = study.rows(
        "SELECT a.task_id, COUNT(*) AS n FROM votes v JOIN assignments a ON a.id = v.assignment_id "
        "GROUP BY a.task_id"
    )
    assert all(r["n"] <= 2 for r in per_task)  # never more votes than asked for
    assert votes + votes_new == sum(r["n"] for r in per_task)


def test_gold_tasks_are_mixed_in_and_a_wrong_gold_answer_leaves_one_out(
    tmp_path: Path, client_for
) -> None:  # type: ignore[no-untyped-def]
    path, join = panel_study(tmp_path, goals=6, gold_rate=0.5, check=False, tasks=3)
    study = Study(path)
    client = client_for(path)
    careful, careless = arrive(client, join, "careful"), arrive(client, join, "careless")
    for seat, right in ((careful, True), (careless, False)):
        while "/task/" in (where := client.get(seat).headers["location"]):
            number = int(where.rsplit("/", 1)[1])
            task = study.rows(
                "SELECT t.gold, a.a_first FROM assignments a JOIN tasks t ON t.id = a.task_id "
                "WHERE a.id = ?",
                number,
            )[0]
            # choice 1 is "plan 1 much better": plan 1 is A when A is shown first
            a_choice, b_choice = ("1", "5") if task["a_first"] else ("5", "1")
            choice = "3" if task["gold"] is None else a_choice if right else b_choice
            csrf = form_token(client.get(where).text)
            client.post(where, data={"csrf": csrf, "choice": choice})
    gold = study.rows(
        "SELECT n.name, COUNT(*) AS n FROM assignments a JOIN tasks t ON t.id = a.task_id "
        "JOIN annotators n ON n.id = a.annotator_id WHERE t.gold IS NOT NULL GROUP BY n.name"
    )
    assert {r["name"]: r["n"] for r in gold} == {"prolific:careful": 2, "prolific:careless": 2}
    summary = export_study(StudyExportConfig(study=path, output=tmp_path / "h.jsonl", bootstrap=50))
    rows = {row.name: row for row in summary.annotator_rows}
    assert (rows["prolific:careful"].gold_correct, rows["prolific:careful"].excluded) == (2, False)
    assert (rows["prolific:careless"].gold_accuracy, rows["prolific:careless"].excluded) == (
        0,
        True,
    )
    assert summary.excluded == ["prolific:careless"]
    assert summary.by_vote.n == 3  # only careful's real votes count
    votes = (tmp_path / "h.votes.jsonl").read_text().splitlines()
    assert len(votes) == 10  # every vote kept: 2 x (3 real + 2 gold)
    assert sum('"excluded":true' in v for v in votes) == 5


def test_open_refuses_what_it_cannot_run(tmp_path: Path) -> None:
    path, _ = panel_study(tmp_path)
    with pytest.raises(InputError, match="--screened-code is needed"):
        open_panel(OpenConfig(study=path, completion_code="C1"))
    with pytest.raises(InputError, match="--completion-code 'a b'"):
        open_panel(OpenConfig(study=path, completion_code="a b", check=False))


def test_the_dashboard_shows_each_participant_live(tmp_path: Path, client_for) -> None:  # type: ignore[no-untyped-def]
    path, join = panel_study(tmp_path, goals=4, gold_rate=0.5, tasks=2)
    dashboard = study_rotate_admin(RotateAdminConfig(study=path, url="")).dashboard
    client = client_for(path)
    done = arrive(client, join, "done")
    take_check(client, done, RIGHT)
    vote_until_done(client, done, choice="3")  # a tie on the gold task: wrong
    arrive(client, join, "new")
    page = client.get(dashboard).text
    assert '<meta http-equiv="refresh" content="15">' in page
    row = re.search(r"<tr class=\"excluded\"><td>prolific:done</td>(.*?)</tr>", page)
    assert row, page
    cells = re.findall(r"<td>([^<]*)</td>", row.group(1))
    assert cells[:4] == ["3", "3", "0", "0 of 1 (left out)"]  # two real tasks, one gold
    assert cells[-2] == "finished"
    assert re.search(r"<td>prolific:new</td>.*?<td>checking</td>", page)
    assert "Panel participants: checking 1, finished 1" in page
