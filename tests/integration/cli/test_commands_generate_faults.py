"""`rubricrl generate` against the fault server in every mode: transient faults are retried to a
reply, a refused prompt, a hung or refusing server end it in one line, never with the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli import faults
from tests.integration.cli.faults import MARKER, MODES, Run


def generate(_folder: Path, spec: str) -> list[str]:
    prompt = f"Outline a study of widgets {MARKER}."
    return ["generate", "--model", spec, "--prompt", prompt, "--cache", "false", "--seed", "1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    return faults.run_all({"generate": generate}, tmp_path_factory.mktemp("generate-faults"))


@pytest.mark.parametrize("mode", MODES)
def test_generate_replies_or_says_why_in_one_line(
    runs: dict[tuple[str, str], Run], mode: str
) -> None:
    run = runs["generate", mode]
    run.check_clean()
    if run.expected == "recover" or mode == "invalid":  # no schema asked: any text is a reply
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip()
        return
    assert run.returncode == 2
    expected = {"400": "HTTP 400", "401": "HTTP 401", "hang": "sent no reply within 1 s"}[mode]
    assert expected in run.error_lines[0]
