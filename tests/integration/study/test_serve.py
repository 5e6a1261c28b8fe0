"""The real server under load on loopback: 20 annotators post 2,000 votes at once, none lost or
doubled; SIGKILL in a second burst keeps every acknowledged vote; one server per file."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from rubricrl.study.create import InviteConfig, StudyCreateConfig, create_study, invite
from rubricrl.study.store import Study
from tests.builders import study_inputs
from tests.integration.study.running import csrf_of, free_port, running, start
from tests.unit.cli.helpers import assert_one_line_error, run_cli

ANNOTATORS, FIRST, SECOND = 20, 100, 50  # votes per annotator in each burst


def load_study(root: Path) -> tuple[Path, list[str]]:
    """150 goals, each assigned to all 20 annotators: 3,000 pairwise assignments."""
    paths = study_inputs(root, goals=FIRST + SECOND, items=1)
    study = root / "load.sqlite"
    create_study(
        StudyCreateConfig(
            goals=paths["goals"],
            plans_a=paths["a"],
            plans_b=paths["b"],
            output=study,
            per_task=ANNOTATORS,
        )
    )
    links = [invite(InviteConfig(study=study, name=f"n{i}", url=""))[0] for i in range(ANNOTATORS)]
    return study, links


def burst(
    base: str,
    study: Study,
    links: list[str],
    part: slice,
    acked: list[int],
    stop: Callable[[], bool],
) -> dict[str, int]:
    """Each annotator in a thread of its own posts a vote on each task in `part` of their queue
    (sorted by id) and then the first of them again; acknowledged (303) ids go to `acked`."""
    counts = {"acked": 0, "refused_again": 0, "failed": 0}
    lock = threading.Lock()

    def annotate(number: int, link: str) -> None:
        ids = sorted(a.id for a in study.assignments(number + 1))[part]
        with httpx.Client(base_url=base, timeout=10.0) as client:
            try:
                csrf = csrf_of(client.get(link, follow_redirects=True).text)
                for assignment_id in [*ids, ids[0]]:
                    if stop():
                        return
                    response = client.post(
                        f"{link}task/{assignment_id}", data={"csrf": csrf, "choice": "2"}
                    )
                    with lock:
                        if response.status_code == 303:
                            counts["acked"] += 1
                            acked.append(assignment_id)
                        elif response.status_code == 409:
                            counts["refused_again"] += 1
                        else:
                            counts["failed"] += 1
            except httpx.TransportError:
                with lock:
                    counts["failed"] += 1

    threads = [threading.Thread(target=annotate, args=(i, link)) for i, link in enumerate(links)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return counts


@pytest.mark.timeout(120)
def test_concurrent_votes_are_neither_lost_nor_doubled_and_survive_sigkill(tmp_path: Path) -> None:
    path, links = load_study(tmp_path)
    study = Study(path)
    votes = "SELECT assignment_id FROM votes"
    with running(path) as (server, base):
        acked: list[int] = []
        counts = burst(base, study, links, slice(0, FIRST), acked, lambda: False)
        assert counts == {"acked": 2000, "refused_again": 20, "failed": 0}
        stored = [r["assignment_id"] for r in study.rows(votes)]
        assert len(stored) == 2000 and sorted(stored) == sorted(acked)

        before_kill: list[int] = []
        killed = threading.Event()

        def kill_midway() -> bool:
            if len(before_kill) >= 300 and not killed.is_set():
                killed.set()
                os.kill(server.pid, signal.SIGKILL)
            return False

        second = burst(base, study, links, slice(FIRST, None), before_kill, kill_midway)
        server.wait(timeout=10)
    assert killed.is_set() and 300 <= second["acked"] < 1000
    port = free_port()
    restarted = start(path, port)  # the lock died with the killed server
    try:
        stored = {r["assignment_id"] for r in study.rows(votes)}
        assert set(before_kill) <= stored  # every acknowledged vote is there
        assert len(stored) - 2000 <= len(before_kill) + ANNOTATORS  # at most one in flight each
        rest: list[int] = []
        finish = burst(
            f"http://127.0.0.1:{port}", study, links, slice(FIRST, None), rest, lambda: False
        )
        assert finish["failed"] == 0
        assert len(study.rows(votes)) == 3000  # resumed: every task answered exactly once
    finally:
        restarted.kill()
        restarted.wait(timeout=10)


def test_a_second_serve_on_the_same_file_is_one_line(tmp_path: Path) -> None:
    path, _ = load_study(tmp_path)
    with running(path) as (server, _):
        result = run_cli("study", "serve", str(path), "--port", str(free_port()))
        assert_one_line_error(result, "already served by pid", str(server.pid))


def test_the_server_listens_on_loopback_only(tmp_path: Path) -> None:
    path, _ = load_study(tmp_path)
    with running(path) as (_, base):
        assert base.startswith("http://127.0.0.1:")
        connections = Path("/proc/net/tcp").read_text().splitlines()[1:]
        port = f"{int(base.rsplit(':', 1)[1]):04X}"
        listening = [c.split()[1] for c in connections if c.split()[3] == "0A"]
        assert f"0100007F:{port}" in listening  # 127.0.0.1, not 0.0.0.0
        assert f"00000000:{port}" not in listening
