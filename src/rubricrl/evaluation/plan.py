"""`rubricrl plan`: a model writes plans for the goals of a samples file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rubricrl.backends import ChatBackend, Sampling, load_backend
from rubricrl.errors import InputError
from rubricrl.jsonl import JsonlWriter, load_records
from rubricrl.progress import progress_bar
from rubricrl.records import Plan, Sample
from rubricrl.task import plan_conversation, plan_id


@dataclass(frozen=True)
class PlanConfig:
    """How `rubricrl plan` samples: plans per goal, length, temperature, seed, batch size."""

    n: int = 1
    max_tokens: int = 1024
    temperature: float = 0.7
    seed: int | None = 0
    batch_size: int = 8

    def sampling(self) -> Sampling:
        return Sampling(
            temperature=self.temperature, max_tokens=self.max_tokens, n=self.n, seed=self.seed
        )


def write_plans(
    samples: Sequence[Sample],
    backend: ChatBackend,
    output: Path | str,
    config: PlanConfig = PlanConfig(),
    progress: bool = True,
) -> int:
    """Write `config.n` plans per sample to `output`, skipping plans already there; returns new rows.

    Goals go to the backend `batch_size` at a time, so a killed run loses at most one batch
    (and the response cache gives that batch back for free on the re-run).
    """
    if config.n < 1 or config.batch_size < 1:
        raise InputError("plan: --n and --batch-size must be at least 1")
    written = 0
    with JsonlWriter(output) as writer:
        pending = [
            sample
            for sample in samples
            if any(plan_id(sample.id, i) not in writer for i in range(config.n))
        ]
        with progress_bar("plan", len(pending), enabled=progress) as bar:
            for start in range(0, len(pending), config.batch_size):
                chunk = pending[start : start + config.batch_size]
                completions = backend.batch(
                    [plan_conversation(s.goal) for s in chunk], config.sampling()
                )
                for sample, completion in zip(chunk, completions, strict=True):
                    written += writer.write_all(
                        Plan(
                            id=plan_id(sample.id, index),
                            sample_id=sample.id,
                            model=backend.spec,
                            text=text,
                            index=index,
                        )
                        for index, text in enumerate(completion.texts)
                    )
                bar.advance(len(chunk))
    return written


def plan_file(
    samples_path: Path | str,
    model: str,
    output: Path | str,
    config: PlanConfig = PlanConfig(),
    cache: bool = True,
) -> int:
    """`rubricrl plan`: plans for every sample in a JSONL file by the model `model` (a spec)."""
    samples = load_records(samples_path, Sample)
    if not samples:
        raise InputError(f"{samples_path}: no samples")
    return write_plans(samples, load_backend(model, cache=cache), output, config)
