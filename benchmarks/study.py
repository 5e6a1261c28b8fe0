"""Votes per second and latency of the study's vote endpoint under the load test's load.

Run: .venv/bin/python benchmarks/study.py [--annotators 20] [--votes 100] [--port 8799] [--smoke]
A study of `--votes` goals, each assigned to every annotator, is served by a real
`rubricrl study serve` on loopback; each annotator, in a thread of its own with its own
connection, posts one pairwise vote per task as fast as the server acknowledges them (303).
Every vote is one durable SQLite transaction (WAL, synchronous=FULL). Prints votes/s over the
burst's wall time and the p50/p95/p99 latency of single posts, then checks none was lost.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from rubricrl.jsonl import write_records
from rubricrl.records import Plan, Provenance, RubricItem, Sample
from rubricrl.study.create import InviteConfig, StudyCreateConfig, create_study, invite
from rubricrl.study.store import Study

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.integration.study.running import start

PLAN = "## Approach\n\n1. Train on the tasks in sequence; measure held-out accuracy.\n" * 20


def make_study(root: Path, annotators: int, goals: int) -> tuple[Path, list[str]]:
    samples = [
        Sample(
            id=f"g{i}",
            goal=f"Goal {i}: find why models forget.",
            rubric=[RubricItem(id="r0", text="Measures forgetting.")],
            reference_solution="ref",
            provenance=Provenance(paper_id="p", creator="bench"),
        )
        for i in range(goals)
    ]
    write_records(root / "goals.jsonl", samples)
    for side in ("a", "b"):
        plans = [
            Plan(id=f"{side}{i}", sample_id=f"g{i}", model=side, text=PLAN) for i in range(goals)
        ]
        write_records(root / f"{side}.jsonl", plans)
    study = root / "bench.sqlite"
    create_study(
        StudyCreateConfig(
            goals=root / "goals.jsonl",
            plans_a=root / "a.jsonl",
            plans_b=root / "b.jsonl",
            output=study,
            per_task=annotators,
        )
    )
    links = [invite(InviteConfig(study=study, name=f"n{i}", url=""))[0] for i in range(annotators)]
    return study, links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--votes", type=int, default=100, help="votes per annotator")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.annotators, args.votes = 2, 2
    with tempfile.TemporaryDirectory() as folder:
        study_path, links = make_study(Path(folder), args.annotators, args.votes)
        study = Study(study_path)
        server = start(study_path, args.port)
        base = f"http://127.0.0.1:{args.port}"
        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()

        def annotate(number: int, link: str) -> None:
            ids = sorted(a.id for a in study.assignments(number + 1))
            with httpx.Client(base_url=base, timeout=30.0) as client:
                page = client.get(link, follow_redirects=True).text
                csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
                ready.wait()
                for assignment_id in ids:
                    start = time.perf_counter()
                    response = client.post(
                        f"{link}task/{assignment_id}", data={"csrf": csrf, "choice": "2"}
                    )
                    elapsed = time.perf_counter() - start
                    with lock:
                        (
                            latencies.append(elapsed)
                            if response.status_code == 303
                            else failures.append(response.status_code)
                        )

        ready = threading.Event()
        threads = [
            threading.Thread(target=annotate, args=(i, link)) for i, link in enumerate(links)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # every client has its page and cookie
        started = time.perf_counter()
        ready.set()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        server.kill()
        server.wait()
        stored = study.rows("SELECT COUNT(*) AS n FROM votes")[0]["n"]
    p50, p95, p99 = np.percentile(np.asarray(latencies) * 1000, [50, 95, 99])
    print(
        f"{'annotators':>10} {'votes':>6} {'seconds':>8} {'votes/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    print(
        f"{args.annotators:>10} {len(latencies):>6} {wall:>8.2f} {len(latencies) / wall:>8.1f} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f}"
    )
    print(f"stored {stored} of {len(latencies)} acknowledged votes; {len(failures)} refused")


if __name__ == "__main__":
    main()
