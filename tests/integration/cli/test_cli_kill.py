"""Kill -9 on write, then resume, for every stage that writes rows: nothing lost, nothing twice,
and the final file equal to that of an uninterrupted run.

Each stage runs as a real `rubricrl` subprocess (model stages against the fault server, healthy
but slowed so rows arrive one at a time). The output is watched, and the run is SIGKILLed the
moment it grows; the same command then runs to the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rubricrl.jsonl import write_records
from tests import REPO, builders
from tests.fault_server import Fault, FaultServer
from tests.integration.cli.faults import RUBRICRL

Build = Callable[[Path, str], list[str]]  # (folder, model spec) -> the command line
SLOW = 0.15  # seconds the server takes per reply, so a run writes its rows one by one
LIMIT_S = 120


def goals(folder: Path, count: int = 6) -> Path:
    samples = [
        builders.sample(
            f"s{k}",
            f"Find out why widget {k} fails under heavy load in the field.",
            {f"r{i}": f"The plan measures the load of widget {k} in way {i}" for i in range(3)},
            "The paper profiled it.",
        )
        for k in range(count)
    ]
    path = folder / "samples.jsonl"
    write_records(path, samples)
    return path


def plans(folder: Path, name: str, count: int = 6) -> Path:
    path = folder / name
    rows = [
        builders.plan(f"s{k}#0", f"s{k}", f"{name}: measure widget {k} under load, then fix it.")
        for k in range(count)
    ]
    write_records(path, [row.model_copy(update={"model": name}) for row in rows])
    return path


def ingest(folder: Path, spec: str) -> list[str]:
    papers = folder / "papers"
    papers.mkdir()
    for k in range(2000):  # enough rows that a busy machine still kills it mid-run
        text = f"# Paper {k}\n\n## Abstract\nWe study widget {k}.\n\n## Methods\nWe load it.\n"
        (papers / f"paper{k:04d}.md").write_text(text)
    return ["ingest", str(papers), "-o", "out.jsonl"]


def import_(folder: Path, spec: str) -> list[str]:
    row = json.loads((REPO / "examples" / "research_plan_gen.jsonl").read_text().splitlines()[0])
    source = folder / "released.jsonl"
    rows = [{**row, "article_id": f"a{k}", "q_id": "0"} for k in range(3000)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return ["import", str(source), "-o", "out.jsonl"]


def extract(folder: Path, spec: str) -> list[str]:
    papers = folder / "papers.jsonl"
    text = " ".join(f"Widget {k} fails under load because its queue grows." for k in range(40))
    write_records(papers, [builders.paper(f"p{k}", sections={"Methods": text}) for k in range(3)])
    return ["extract", str(papers), "-o", "out.jsonl", "--creator", spec, "--papers-per-batch", "1"]


def grade(folder: Path, spec: str) -> list[str]:
    command = [str(goals(folder)), str(plans(folder, "a")), "-o", "out.jsonl", "--grader", spec]
    return ["grade", *command, "--batch-size", "1", "--cache", "false"]


def score(folder: Path, spec: str) -> list[str]:
    # score grades 64 plans a pass (no flag to shrink it), so give it three passes
    samples, written = goals(folder, 150), plans(folder, "a", 150)
    command = [str(samples), str(written), "-o", "out.jsonl", "--grader", spec]
    return ["score", *command, "--cache", "false"]


def plan(folder: Path, spec: str) -> list[str]:
    command = [str(goals(folder)), "-o", "out.jsonl", "--model", spec, "--batch-size", "1"]
    return ["plan", *command, "--cache", "false"]


def compare(folder: Path, spec: str) -> list[str]:
    a, b, samples = plans(folder, "a"), plans(folder, "b"), goals(folder)
    command = [str(a), str(b), "--goals", str(samples), "--judge", spec, "-o", "out.jsonl"]
    return ["compare", *command, "--chunk", "1"]


STAGES: dict[str, Build] = {
    "ingest": ingest,
    "import": import_,
    "extract": extract,
    "grade": grade,
    "score": score,
    "plan": plan,
    "compare": compare,
}


def environment(folder: Path) -> dict[str, str]:
    env = {**os.environ, "RUBRICRL_HOME": str(folder / "home"), "PYTHONPATH": str(REPO / "src")}
    env.pop("RUBRICRL_DEBUG", None)
    return env


def run_to_end(command: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [RUBRICRL, *command],
        capture_output=True,
        text=True,
        cwd=folder,
        env=environment(folder),
        timeout=LIMIT_S,
    )
    assert done.returncode == 0, done.stderr
    return done


def kill_on_first_write(command: list[str], folder: Path, output: Path) -> None:
    """Start the run and SIGKILL it the moment `output` grows past its first line."""
    process = subprocess.Popen(
        [RUBRICRL, *command],
        cwd=folder,
        env=environment(folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + LIMIT_S
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if output.exists() and output.stat().st_size > 0:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        process.kill()
        process.wait()


def ids(path: Path) -> list[str]:
    """The ids of the file's whole lines (a kill may leave the last one cut)."""
    whole = path.read_text().split("\n")[:-1]
    return [json.loads(line)["id"] for line in whole if line.strip()]


def rows(path: Path) -> list[dict[str, object]]:
    """The file's rows, less what legitimately differs between two runs (where files lie)."""
    kept = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        row.pop("source", None)  # ingest records the paper's path, which is per folder
        kept.append(row)
    return kept


@pytest.mark.parametrize("stage", STAGES)
def test_a_killed_run_resumes_to_the_uninterrupted_file(stage: str, tmp_path: Path) -> None:
    build = STAGES[stage]
    with FaultServer(Fault("slow", hang=SLOW)) as server:
        whole, killed = tmp_path / "whole", tmp_path / "killed"
        whole.mkdir()
        killed.mkdir()
        run_to_end(build(whole, server.spec), whole)
        command = build(killed, server.spec)
        kill_on_first_write(command, killed, killed / "out.jsonl")
        at_kill = ids(killed / "out.jsonl")
        run_to_end(command, killed)
    expected, resumed = ids(whole / "out.jsonl"), ids(killed / "out.jsonl")
    assert 0 < len(at_kill) < len(expected), "the kill should land mid-run"
    assert resumed[: len(at_kill)] == at_kill, "rows written before the kill were rewritten"
    assert len(resumed) == len(set(resumed)), "a row was written twice"
    assert sorted(resumed) == sorted(expected), "a row was lost"
    assert sorted(rows(killed / "out.jsonl"), key=str) == sorted(rows(whole / "out.jsonl"), key=str)


def test_ctrl_c_says_what_was_kept_and_how_to_resume(tmp_path: Path) -> None:
    with FaultServer(Fault("slow", hang=SLOW)) as server:
        command = grade(tmp_path, server.spec)
        process = subprocess.Popen(
            [RUBRICRL, *command],
            cwd=tmp_path,
            env=environment(tmp_path),
            stderr=subprocess.PIPE,
            text=True,
        )
        output = tmp_path / "out.jsonl"
        deadline = time.monotonic() + LIMIT_S
        while time.monotonic() < deadline and not (output.exists() and output.stat().st_size):
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=LIMIT_S)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    kept = len(ids(output))
    assert f"interrupted: out.jsonl keeps {kept} rows" in stderr
    assert "run the same command again to resume" in stderr
