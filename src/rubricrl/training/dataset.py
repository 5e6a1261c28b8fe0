"""Samples to the TRL prompt dataset: the plan prompt, plus the columns the rubric reward reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datasets import Dataset

from rubricrl.errors import InputError
from rubricrl.jsonl import load_records
from rubricrl.records import Sample
from rubricrl.task import MAX_PLAN_WORDS, plan_conversation

REWARD_COLUMNS = ("sample_id", "goal", "rubric", "reference_solution")


def load_samples(path: Path | str) -> list[Sample]:
    """The samples of a JSONL file; an empty file or one without rubrics is an InputError."""
    samples = load_records(path, Sample)
    for sample in samples:
        if not sample.rubric:
            raise InputError(f"{path}: sample {sample.id!r} has an empty rubric")
    return samples


def sample_row(sample: Sample, word_limit: int = MAX_PLAN_WORDS) -> dict[str, Any]:
    """One dataset row: a conversational `prompt` (the policy sees only the goal) and reward columns."""
    return {
        "prompt": plan_conversation(sample.goal, word_limit),
        "sample_id": sample.id,
        "goal": sample.goal,
        "rubric": [item.model_dump() for item in sample.rubric],
        "reference_solution": sample.reference_solution,
    }


def build_dataset(samples: Sequence[Sample], word_limit: int = MAX_PLAN_WORDS) -> Dataset:
    """The GRPO training dataset for `samples`, in their order, asking for `word_limit` words."""
    return Dataset.from_list([sample_row(sample, word_limit) for sample in samples])
