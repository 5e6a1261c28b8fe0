"""`rubricrl serve` without a server: a GGUF file that is not there is an InputError."""

from __future__ import annotations

from pathlib import Path

from rubricrl.errors import InputError
from tests.unit.cli.helpers import invoke


def test_a_missing_model_file_is_refused(tmp_path: Path) -> None:
    result = invoke("serve", "--model", str(tmp_path / "absent.gguf"))
    assert isinstance(result.exception, InputError)
    assert "absent.gguf: no such file or folder (--model)" in str(result.exception)
