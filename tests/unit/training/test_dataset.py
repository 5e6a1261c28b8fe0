"""Samples become GRPO prompt rows that show the goal and carry the rubric as reward columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.jsonl import write_records
from rubricrl.training.dataset import REWARD_COLUMNS, build_dataset, load_samples
from tests.builders import widget_goal


def test_rows_hold_the_prompt_and_every_reward_column() -> None:
    dataset = build_dataset([widget_goal(1), widget_goal(2)])
    assert dataset.num_rows == 2
    assert set(REWARD_COLUMNS) | {"prompt"} == set(dataset.column_names)
    row = dataset[1]
    assert row["sample_id"] == "s2"
    assert row["rubric"] == [
        {"id": "r0", "text": "SECRET criterion 0"},
        {"id": "r1", "text": "SECRET criterion 1"},
    ]
    (message,) = row["prompt"]
    assert message["role"] == "user"
    assert "widget 2 fails" in message["content"] and "<solution>" in message["content"]
    assert "750" in message["content"]
    assert "SECRET" not in message["content"]  # the rubric is privileged: the policy never sees it


def test_load_samples_rejects_empty_files_and_empty_rubrics(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    write_records(good, [widget_goal(1)])
    assert [s.id for s in load_samples(good)] == ["s1"]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.jsonl: no records"):
        load_samples(empty)
    bare = tmp_path / "bare.jsonl"
    write_records(bare, [widget_goal(1, items=0)])
    with pytest.raises(InputError, match="empty rubric"):
        load_samples(bare)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.jsonl:1"):
        load_samples(broken)
