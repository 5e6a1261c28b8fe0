"""`rubricrl extract` against the fault server in every mode: transient faults are retried to
every paper's samples, a paper whose requests are refused or unreadable is dropped (the others
kept), a hung or refusing server stops it in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.jsonl import read_records, write_records
from rubricrl.records import Sample
from tests import builders
from tests.integration.cli import faults
from tests.integration.cli.faults import MARKER, MODES, Run

METHODS = "We measured the load of each widget with a profiler over many weeks. " * 20


def extract(folder: Path, spec: str) -> list[str]:
    papers = [
        builders.paper(
            f"p{k}",
            f"Widget {k} under load",
            f"We study widget {k} under load.{' ' + MARKER if k == 1 else ''}",
            (("Methods", METHODS),),
        )
        for k in range(3)
    ]
    write_records(folder / "papers.jsonl", papers)
    command = [str(folder / "papers.jsonl"), "-o", "samples.jsonl", "--creator", spec]
    return ["extract", *command, "--insights", "1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    return faults.run_all({"extract": extract}, tmp_path_factory.mktemp("extract-faults"))


@pytest.mark.parametrize("mode", MODES)
def test_extract_keeps_the_good_papers(runs: dict[tuple[str, str], Run], mode: str) -> None:
    run = runs["extract", mode]
    run.check_clean()
    path = run.folder / "samples.jsonl"
    papers = {s.provenance.paper_id for s in read_records(path, Sample)} if path.exists() else set()
    if run.expected == "stop":
        assert run.returncode == 2 and not papers
        return
    assert run.returncode == 0, run.stderr
    assert papers == ({"p0", "p1", "p2"} if run.expected == "recover" else {"p0", "p2"})
