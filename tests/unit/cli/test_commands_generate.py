"""`rubricrl generate`: a missing schema file is one line naming it."""

from __future__ import annotations

from pathlib import Path

from tests.unit.cli.helpers import assert_one_line_error, run_cli


def test_missing_schema_file(tmp_path: Path) -> None:
    result = run_cli("generate", "--prompt", "hi", "--json-schema", str(tmp_path / "none.json"))
    assert_one_line_error(result, "none.json: no such file")
