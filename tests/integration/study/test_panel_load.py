"""A panel under load on the real server: 200 participants arrive by the one enrolment link,
pass the check and vote until the completion code, some leave halfway and some of those come
back; every real task ends with exactly its two votes and every acknowledged vote is stored once."""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from rubricrl.study.create import StudyCreateConfig, create_study
from rubricrl.study.panel import CHECK, OpenConfig, open_panel
from rubricrl.study.store import Study
from tests.builders import study_inputs
from tests.integration.study.running import csrf_of, running

GOALS, PER_TASK, QUOTA = 900, 2, 10
ARRIVALS, WINDOW, NEWCOMERS, RETURNERS = 180, 30.0, 20, 10
ABANDON_EVERY, ABANDON_AFTER = 9, 5  # every 9th arrival leaves after their 5th vote
RECLAIM_MINUTES = 0.05  # 3 s
DONE = "https://app.prolific.com/submissions/complete?cc=DONE42"
RIGHT = [correct for _, _, correct in CHECK]
RECLAIMED = "went to another annotator"
MOST_STEPS = 200
"""More seat visits than any participant needs (about 12): a client going round is a failure."""


class Unexpected(Exception):
    """A response no participant should get; ends that participant."""


@dataclass
class Log:
    """What the clients saw, written by all their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    page_seconds: list[float] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    ends: dict[str, str] = field(default_factory=dict)
    seats: dict[str, list[str]] = field(default_factory=dict)
    """Per participant: the seat each arrival led to."""
    left: dict[str, tuple[float, list[int]]] = field(default_factory=dict)
    """Per abandoner: when they left and the assignments they left unanswered."""
    arrived: list[float] = field(default_factory=list)
    taken_back: int = 0
    """409 pages: a task taken back from a client too slow on a busy box (correct, not a failure)."""


def panel_study(root: Path) -> tuple[Path, str]:
    """The study opened to Prolific: (the file, the enrolment path /join/TOKEN)."""
    paths = study_inputs(root, GOALS, items=1)
    path = root / "panel.sqlite"
    create_study(
        StudyCreateConfig(
            goals=paths["goals"], plans_a=paths["a"], plans_b=paths["b"], output=path,
            per_task=PER_TASK, gold_rate=0.1,
        )
    )  # fmt: skip
    link = open_panel(
        OpenConfig(
            study=path, completion_code="DONE42", screened_code="OUT7", tasks=QUOTA,
            reclaim_after=RECLAIM_MINUTES, url="http://panel.invalid",
        )
    )  # fmt: skip
    return path, link.removeprefix("http://panel.invalid").split("?")[0]


def take_part(
    base: str, join: str, pid: str, log: Log, study: Study, leave_after: int | None = None
) -> None:
    """One participant in a client of their own: arrive, pass the check, vote until sent to the
    panel (or leave after `leave_after` votes); a task taken back meanwhile sends them to their
    seat again."""

    def get(path: str, ok: tuple[int, ...]) -> httpx.Response:
        started = time.perf_counter()
        response = client.get(path)
        with log.lock:
            log.page_seconds.append(time.perf_counter() - started)
        return expect(response, ok)

    def expect(response: httpx.Response, ok: tuple[int, ...]) -> httpx.Response:
        taken_back = response.status_code == 409 and RECLAIMED in response.text
        if response.status_code not in ok or (response.status_code == 409 and not taken_back):
            kind = re.sub(r"/(a|join)/[^/]+", r"/\1/X", response.request.url.path)
            raise Unexpected(f"{response.request.method} {kind}: {response.status_code}")
        if taken_back:
            with log.lock:
                log.taken_back += 1
        return response

    with httpx.Client(base_url=base, timeout=120.0) as client:
        try:
            with log.lock:
                log.arrived.append(time.monotonic())
            query = f"PROLIFIC_PID={pid}&STUDY_ID=st1&SESSION_ID=se-{pid}"
            seat = get(f"{join}?{query}", (303,)).headers["location"]
            with log.lock:
                log.seats.setdefault(pid, []).append(seat)
            if get(seat, (303,)).headers["location"] == f"{seat}check":
                answers = {f"q-{k}": str(a) for k, a in enumerate(RIGHT)}
                csrf = csrf_of(get(f"{seat}check", (200,)).text)
                expect(client.post(f"{seat}check", data={"csrf": csrf} | answers), (303,))
            votes = 0
            for _ in range(MOST_STEPS):
                where = get(seat, (303,)).headers["location"]
                if "/task/" not in where:
                    with log.lock:
                        log.ends[pid] = where
                    return
                page = get(where, (200, 409))
                if page.status_code == 409:
                    continue  # taken back while they were quiet: the seat deals again
                vote = {"csrf": csrf_of(page.text), "choice": "2"}
                if expect(client.post(where, data=vote), (303, 409)).status_code == 409:
                    continue
                votes += 1
                with log.lock:
                    log.acked.append(int(where.rsplit("/", 1)[1]))
                if votes == leave_after:
                    left = (time.time(), unanswered(study, pid))
                    with log.lock:
                        log.left[pid] = left
                    return
            raise Unexpected(f"still no end after {MOST_STEPS} visits to the seat")
        except (Unexpected, httpx.HTTPError, AssertionError) as error:
            with log.lock:
                log.unexpected.append(f"{pid}: {error!r}")


def unanswered(study: Study, pid: str) -> list[int]:
    """The assignments the participant holds and has not answered."""
    rows = study.rows(
        "SELECT a.id FROM assignments a JOIN seats s ON s.annotator_id = a.annotator_id "
        "WHERE s.pid = ? AND a.reclaimed IS NULL AND a.id NOT IN (SELECT assignment_id FROM votes)",
        pid,
    )
    return [row["id"] for row in rows]


def run_all(
    targets: list[tuple[float, str, int | None]], base: str, join: str, log: Log, study: Study
) -> None:
    """Start each (delay, pid, leave_after) participant at its delay; wait for all of them."""
    threads = [
        threading.Timer(delay, take_part, (base, join, pid, log, study, leave_after))
        for delay, pid, leave_after in targets
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=500)
        assert not thread.is_alive(), "a participant never finished"


@pytest.mark.timeout(600)
def test_a_panel_of_200_ends_with_every_task_voted_twice_and_no_vote_lost(tmp_path: Path) -> None:
    path, join = panel_study(tmp_path)
    study = Study(path)
    log = Log()
    first = [f"p{k:03d}" for k in range(ARRIVALS)]
    leavers = first[::ABANDON_EVERY]
    returners, newcomers = leavers[:RETURNERS], [f"n{k:02d}" for k in range(NEWCOMERS)]
    started = time.monotonic()
    with running(path) as (_, base):
        run_all(
            [
                (k * WINDOW / ARRIVALS, pid, ABANDON_AFTER if pid in leavers else None)
                for k, pid in enumerate(first)
            ],
            base, join, log, study,
        )  # fmt: skip
        window = max(log.arrived) - min(log.arrived)
        time.sleep(RECLAIM_MINUTES * 60 + 0.5)  # the leavers are now quiet for long enough
        run_all([(0.0, pid, None) for pid in newcomers + returners], base, join, log, study)
    wall = time.monotonic() - started

    assert log.unexpected == []
    per_task = study.rows(
        "SELECT COUNT(v.assignment_id) AS n FROM tasks t LEFT JOIN assignments a "
        "ON a.task_id = t.id LEFT JOIN votes v ON v.assignment_id = a.id "
        "WHERE t.gold IS NULL GROUP BY t.id"
    )
    assert Counter(row["n"] for row in per_task) == {PER_TASK: GOALS}
    stored = [row[0] for row in study.rows("SELECT assignment_id FROM votes")]
    assert sorted(log.acked) == sorted(stored)  # none lost, none doubled
    finishers = [pid for pid in first if pid not in leavers] + newcomers + returners
    assert {pid: log.ends.get(pid) for pid in finishers} == dict.fromkeys(finishers, DONE)
    assert all(len(set(log.seats[pid])) == 1 for pid in returners)  # the same seat again
    assert sorted(log.left) == sorted(leavers)
    reclaimed = study.overview()["reclaimed"]
    left_behind = sum(len(ids) for _, ids in log.left.values())
    # each task a leaver left unanswered was taken back (and maybe dealt again since)
    taken = {r["id"]: r["reclaims"] for r in study.rows("SELECT id, reclaims FROM assignments")}
    assert [i for _, ids in log.left.values() for i in ids if taken[i] == 0] == []
    assert reclaimed >= left_behind
    assert study.rows("SELECT COUNT(*) FROM seats")[0][0] == ARRIVALS + NEWCOMERS
    gold = study.rows(
        "SELECT COUNT(*) FROM votes v JOIN assignments a ON a.id = v.assignment_id "
        "JOIN tasks t ON t.id = a.task_id WHERE t.gold IS NOT NULL"
    )[0][0]
    assert gold > 0
    ms = sorted(1000 * s for s in log.page_seconds)
    print(
        f"\npanel load: {ARRIVALS + NEWCOMERS} participants ({RETURNERS} back), arrivals over "
        f"{window:.1f} s, {len(stored)} votes ({gold} gold), {reclaimed} reclaimed "
        f"(left behind {left_behind}), {log.taken_back} taken-back pages, pages p50 {statistics.median(ms):.0f} ms, "
        f"p95 {ms[int(0.95 * len(ms))]:.0f} ms, max {ms[-1]:.0f} ms, wall {wall:.0f} s"
    )
