"""Kill -9 on write, then resume, for every stage that writes rows: nothing lost, nothing twice,
and the final file equal to that of an uninterrupted run.

Each stage runs as a real `rubricrl` subprocess (model stages against a healthy fault server).
The run pauses right after a row reaches the disk (pause/sitecustomize.py) and says so on a pipe;
the test SIGKILLs it there, so the kill lands mid-run on a machine of any speed and load. The
same command then runs to the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from rubricrl.jsonl import write_records
from tests import REPO, builders
from tests.fault_server import FaultServer
from tests.integration.cli.faults import RUBRICRL, interruptible

Build = Callable[[Path, str], list[str]]  # (folder, model spec) -> the command line
LIMIT_S = 120
PAUSE_HOOK = Path(__file__).with_name("pause")


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
    for k in range(6):
        text = f"# Paper {k}\n\n## Abstract\nWe study widget {k}.\n\n## Methods\nWe load it.\n"
        (papers / f"paper{k:04d}.md").write_text(text)
    return ["ingest", str(papers), "-o", "out.jsonl"]


def import_(folder: Path, spec: str) -> list[str]:
    row = json.loads((REPO / "examples" / "research_plan_gen.jsonl").read_text().splitlines()[0])
    source = folder / "released.jsonl"
    rows = [{**row, "article_id": f"a{k}", "q_id": "0"} for k in range(6)]
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
    # score grades 64 plans a pass (no flag to shrink it): three passes, paused in the second
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


# the row after which the killed run pauses: the first, but for score's second pass
PAUSE_AFTER = {"score": 65}

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


def start_and_pause(
    command: list[str], folder: Path, after: int = 1, **pipes: int
) -> subprocess.Popen[str]:
    """Start the run and return once it has paused, right after writing its `after`th new row."""
    told, tell = os.pipe()
    env = {
        **environment(folder),
        "PYTHONPATH": f"{PAUSE_HOOK}{os.pathsep}{REPO / 'src'}",
        "RUBRICRL_TEST_PAUSE_FD": str(tell),
        "RUBRICRL_TEST_PAUSE_AFTER": str(after),
    }
    process = subprocess.Popen(
        [RUBRICRL, *command],
        cwd=folder,
        env=env,
        pass_fds=(tell,),
        preexec_fn=interruptible,
        text=True,
        **pipes,
    )
    os.close(tell)
    with os.fdopen(told) as said:  # blocks until the run pauses, or exits and closes the pipe
        paused = said.readline() == "paused\n"
    if not paused:
        process.kill()
        _, stderr = process.communicate(timeout=LIMIT_S)
        raise AssertionError(f"the run ended before its {after}th row: {stderr}")
    return process


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
    with FaultServer() as server:
        whole, killed = tmp_path / "whole", tmp_path / "killed"
        whole.mkdir()
        killed.mkdir()
        run_to_end(build(whole, server.spec), whole)
        command = build(killed, server.spec)
        paused = start_and_pause(command, killed, PAUSE_AFTER.get(stage, 1))
        paused.kill()
        paused.wait()
        at_kill = ids(killed / "out.jsonl")
        run_to_end(command, killed)
    expected, resumed = ids(whole / "out.jsonl"), ids(killed / "out.jsonl")
    assert 0 < len(at_kill) < len(expected), "the kill should land mid-run"
    assert resumed[: len(at_kill)] == at_kill, "rows written before the kill were rewritten"
    assert len(resumed) == len(set(resumed)), "a row was written twice"
    assert sorted(resumed) == sorted(expected), "a row was lost"
    assert sorted(rows(killed / "out.jsonl"), key=str) == sorted(rows(whole / "out.jsonl"), key=str)


def test_ctrl_c_says_what_was_kept_and_how_to_resume(tmp_path: Path) -> None:
    with FaultServer() as server:
        command = grade(tmp_path, server.spec)
        process = start_and_pause(command, tmp_path, stderr=subprocess.PIPE)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=LIMIT_S)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted: out.jsonl keeps 1 rows" in stderr
    assert "run the same command again to resume" in stderr
    assert len(ids(tmp_path / "out.jsonl")) == 1
