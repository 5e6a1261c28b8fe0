"""`rubricrl plan`: a samples file with no goals is refused before any model loads."""

from __future__ import annotations

from pathlib import Path

from rubricrl.errors import InputError
from tests.unit.cli.helpers import invoke


def test_plan_refuses_an_empty_samples_file(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("", encoding="utf-8")
    result = invoke(
        "plan", str(samples), "--model", "hf:/no/such/model", "-o", str(tmp_path / "p.jsonl")
    )
    assert isinstance(result.exception, InputError)
    assert "no records" in str(result.exception)
    assert not (tmp_path / "p.jsonl").exists()
