"""`rubricrl ingest`: exit code 1 while any file failed, 0 once every paper reads."""

from __future__ import annotations

from pathlib import Path

from tests.builders import paper_folder
from tests.unit.cli.helpers import invoke


def test_cli_exit_codes(tmp_path: Path) -> None:
    folder = paper_folder(tmp_path)
    failed = invoke("ingest", str(folder), "-o", str(tmp_path / "o.jsonl"))
    assert failed.exit_code == 1
    assert "empty file (0 bytes)" in failed.output
    (folder / "bad.md").unlink()
    (folder / "empty.pdf").unlink()
    clean = invoke("ingest", str(folder), "-o", str(tmp_path / "o.jsonl"))
    assert clean.exit_code == 0, clean.output
