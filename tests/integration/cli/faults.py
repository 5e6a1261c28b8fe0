"""What the CLI fault tests share: each mode of the fault server, tiny inputs, and `rubricrl`
run as a real subprocess against its own server, many runs at once (most of a run is waiting).

A stage is a function of the run folder and the server's spec returning the command line (its
inputs written into the folder); `run_all` runs every (stage, mode) and keeps each Run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rubricrl.jsonl import write_records
from tests import REPO, builders
from tests.fault_server import Fault, FaultServer, Request

RUBRICRL = str(Path(sys.executable).with_name("rubricrl"))


def interruptible() -> None:
    """Give a child Ctrl-C as at a terminal (a `preexec_fn`): started under `nohup` or `&` in a
    script, the suite ignores SIGINT, its children inherit that, and Python then never raises
    KeyboardInterrupt in them."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


KEY = "sk-fault-test-5f1c0ffee0ddba11"
MARKER = "POISON"  # the row a marked fault hits
# shrunk limits, so a hung server fails in seconds: 1 s a try, 4 s a request (room for two
# transient failures of one request: waits of up to 1 s, then 2 s)
ENV = {
    "RUBRICRL_API_KEY": KEY,
    "RUBRICRL_REQUEST_TIMEOUT": "1",
    "RUBRICRL_REQUEST_DEADLINE": "4",
    "RUBRICRL_REQUEST_RETRIES": "3",
}
LIMIT_S = 40.0  # a run's bound, startup included, on a loaded 2-core machine

# mode -> (the faults, what the stage should do: recover, fail the marked row, or stop)
MODES: dict[str, tuple[Callable[[], list[Fault]], str]] = {
    "500": (lambda: [Fault("500", times=2)], "recover"),
    "429": (lambda: [Fault("429", times=2, retry_after="1")], "recover"),
    "garbage": (lambda: [Fault("garbage", times=2)], "recover"),
    "invalid": (lambda: [Fault("invalid", marker=MARKER)], "row"),
    "drop": (lambda: [Fault("drop", times=2)], "recover"),
    "midbody": (lambda: [Fault("midbody", times=2)], "recover"),
    "hang": (lambda: [Fault("hang", hang=10)], "stop"),
    "401": (lambda: [Fault("401")], "stop"),
    "400": (lambda: [Fault("400", marker=MARKER)], "row"),
}

Stage = Callable[[Path, str], list[str]]


@dataclass(frozen=True)
class Run:
    """One finished `rubricrl` run against a faulty server."""

    stage: str
    mode: str
    folder: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    requests: list[Request]

    @property
    def expected(self) -> str:
        return MODES[self.mode][1]

    @property
    def error_lines(self) -> list[str]:
        """The stderr lines that report an error (progress bars aside)."""
        return [line for line in self.stderr.splitlines() if "error" in line.lower()]

    def files_text(self) -> str:
        """Every file the run left in its folder, as text."""
        return "".join(
            path.read_bytes().decode("utf-8", "replace")
            for path in sorted(self.folder.rglob("*"))
            if path.is_file()
        )

    def check_clean(self) -> None:
        """No traceback, the key nowhere, within the bound; a failure in exactly one line."""
        where = f"{self.stage} under {self.mode}"
        assert "Traceback" not in self.stderr + self.stdout, f"{where}: {self.stderr}"
        assert KEY not in self.stdout + self.stderr + self.files_text(), f"{where}: key leaked"
        assert KEY[:12] not in self.stdout + self.stderr, f"{where}: part of the key leaked"
        if self.mode == "401":  # the server echoed the key: the line shows where it was blanked
            assert "<redacted>" in self.stderr, f"{where}: {self.stderr}"
        assert self.seconds < LIMIT_S, f"{where}: took {self.seconds:.1f} s"
        if self.returncode != 0:
            assert self.returncode == 2, f"{where}: exit {self.returncode}: {self.stderr}"
            assert len(self.error_lines) == 1, f"{where}: {self.stderr}"
            assert self.error_lines[0].startswith("error: "), f"{where}: {self.stderr}"


def goals(count: int = 3) -> list:
    """`count` small goals; the second mentions the marker."""
    return [
        builders.sample(
            f"s{k}",
            f"Find out why widget {k} fails under load{' ' + MARKER if k == 1 else ''}.",
            {f"r{i}": f"The plan measures the load of widget {k} in way {i}" for i in range(2)},
            "The paper profiled it.",
        )
        for k in range(count)
    ]


def write_goals(folder: Path) -> Path:
    path = folder / "samples.jsonl"
    write_records(path, goals())
    return path


def write_plans(folder: Path, model: str = "m", name: str = "plans.jsonl") -> Path:
    path = folder / name
    plans = [
        builders.plan(f"{s.id}-{model}", s.id, f"Plan of {model}: measure widget {k} under load.")
        for k, s in enumerate(goals())
    ]
    write_records(path, [p.model_copy(update={"model": model}) for p in plans])
    return path


def run_one(stage: str, build: Stage, mode: str, root: Path) -> Run:
    folder = root / f"{stage}-{mode}"
    folder.mkdir(parents=True)
    with FaultServer(*MODES[mode][0]()) as server:
        command = build(folder, server.spec)
        env = {**os.environ, **ENV, "RUBRICRL_HOME": str(folder / "home")}
        env["PYTHONPATH"] = str(REPO / "src")  # this tree's package, whatever the folder
        env.pop("RUBRICRL_DEBUG", None)
        started = time.monotonic()
        done = subprocess.run(
            [RUBRICRL, *command],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            timeout=LIMIT_S * 2,
        )
        seconds = time.monotonic() - started
        requests = list(server.chat_requests)
    return Run(stage, mode, folder, done.returncode, done.stdout, done.stderr, seconds, requests)


def run_all(stages: dict[str, Stage], root: Path, modes: Iterable[str] = MODES) -> dict:
    """Every stage under every mode, a few at a time; (stage, mode) -> Run."""
    cases = [(stage, mode) for stage in stages for mode in modes]
    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = pool.map(lambda case: run_one(case[0], stages[case[0]], case[1], root), cases)
        return {(run.stage, run.mode): run for run in runs}
