"""`generate`'s schema file: read as a JSON object, or one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.backends.generate import read_schema
from rubricrl.errors import InputError


def test_no_path_is_no_schema_and_a_file_is_read(tmp_path: Path) -> None:
    assert read_schema(None) is None
    path = tmp_path / "s.json"
    path.write_text('{"type": "object"}', encoding="utf-8")
    assert read_schema(path) == {"type": "object"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no such file"),
        ("{oops", "not valid JSON"),
        ("[1]", "a JSON Schema is an object"),
        ('{"type": "strin"}', r"not a valid JSON Schema \('strin' is not valid .* at type\)"),
        ('{"properties": {"a": {"minimum": "x"}}}', "at properties/a/minimum"),
    ],
)
def test_bad_schema_files_are_named(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "s.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as error:
        read_schema(path)
    assert str(path) in str(error.value)


def test_a_binary_schema_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match=r"s\.json: not valid JSON \(not UTF-8 text\)"):
        read_schema(path)
