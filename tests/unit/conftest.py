"""Fixtures unit tests of several packages share."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.jsonl import write_records
from tests.builders import plan, sample


@pytest.fixture
def samples_and_plans(tmp_path: Path) -> tuple[Path, Path]:
    """samples.jsonl with goals s0 and s1 (items "1" and "2"), and plans.jsonl with three plans
    for each (s0-0, ..., s1-2)."""
    samples = [sample(f"s{n}", "g", {"1": "x", "2": "y"}, "r") for n in range(2)]
    plans = [plan(f"s{n}-{k}", f"s{n}") for n in range(2) for k in range(3)]
    write_records(tmp_path / "samples.jsonl", samples)
    write_records(tmp_path / "plans.jsonl", plans)
    return tmp_path / "samples.jsonl", tmp_path / "plans.jsonl"
