"""`rubricrl generate`: a missing or invalid schema file is one line naming it."""

from __future__ import annotations

from pathlib import Path

from tests.unit.cli.helpers import assert_one_line_error, run_cli


def test_missing_schema_file(tmp_path: Path) -> None:
    result = run_cli("generate", "--prompt", "hi", "--json-schema", str(tmp_path / "none.json"))
    assert_one_line_error(result, "none.json: no such file")


def test_an_invalid_schema_is_refused_before_any_model_loads(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "strin"}', encoding="utf-8")
    # a model that cannot load: reaching it would fail with another message
    args = ["--prompt", "hi", "--model", "hf:/nowhere/model", "--json-schema", str(schema)]
    result = run_cli("generate", *args)
    assert_one_line_error(result, "schema.json: not a valid JSON Schema", "'strin'")
