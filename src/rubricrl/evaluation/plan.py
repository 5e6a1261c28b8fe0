"""`rubricrl plan`: a model writes plans for the goals of a samples file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rubricrl.backends import ChatBackend, Sampling, load_backend
from rubricrl.backends.registry import SPEC_HELP
from rubricrl.backends.structured import Unreadable, refused_rows
from rubricrl.errors import BackendError, InputError
from rubricrl.jsonl import JsonlWriter, load_records
from rubricrl.progress import progress_bar
from rubricrl.records import Plan, Sample
from rubricrl.task import MAX_PLAN_WORDS, plan_conversation, plan_id


@dataclass(frozen=True, kw_only=True)
class PlanConfig:
    """Write research plans for every goal of a samples file with one model (resumable)."""

    samples: Path = field(
        metadata={
            "help": "Samples JSONL whose goals to plan for.",
            "positional": True,
            "input": "file",
        }
    )
    output: Path = field(
        metadata={"help": "Plans JSONL (resumed if present).", "flags": ("-o",), "output": "file"}
    )
    model: str = field(
        default="embedded", metadata={"help": f"Model spec ({SPEC_HELP}); a checkpoint is hf:DIR."}
    )
    n: int = field(default=1, metadata={"help": "Plans per goal.", "min": 1})
    max_tokens: int = field(default=1024, metadata={"help": "Most tokens per plan.", "min": 1})
    temperature: float = field(
        default=0.7, metadata={"help": "Sampling temperature (0 = greedy).", "min": 0.0}
    )
    seed: int | None = field(default=0, metadata={"help": "Sampling seed."})
    batch_size: int = field(default=8, metadata={"help": "Goals per backend call.", "min": 1})
    word_limit: int = field(
        default=MAX_PLAN_WORDS,
        metadata={"help": "Plan length the prompt asks for, in words.", "min": 1},
    )
    cache: bool = field(default=True, metadata={"help": "Keep replies in the response cache."})

    def sampling(self) -> Sampling:
        return Sampling(
            temperature=self.temperature, max_tokens=self.max_tokens, n=self.n, seed=self.seed
        )


def write_plans(
    samples: Sequence[Sample], backend: ChatBackend, config: PlanConfig, progress: bool = True
) -> int:
    """Write `config.n` plans per sample to `output`, skipping plans already there; returns new rows.

    Goals go to the backend `batch_size` at a time, so a killed run loses at most one batch
    (and the response cache gives that batch back for free on the re-run). A goal the server
    refuses (HTTP 400, say) gets no plan, so a re-run asks again; the others are all written,
    then a BackendError says how many goals failed and why.
    """
    if config.n < 1 or config.batch_size < 1:
        raise InputError("plan: --n and --batch-size must be at least 1")
    written = 0
    refused: list[tuple[Sample, str]] = []
    with JsonlWriter(config.output) as writer:
        pending = [
            sample
            for sample in samples
            if any(plan_id(sample.id, i) not in writer for i in range(config.n))
        ]
        with progress_bar("plan", len(pending), enabled=progress) as bar:
            for start in range(0, len(pending), config.batch_size):
                chunk = pending[start : start + config.batch_size]
                conversations = [plan_conversation(s.goal, config.word_limit) for s in chunk]
                try:
                    completions = refused_rows(
                        partial(backend.batch, conversations, config.sampling()), len(chunk)
                    )
                except BackendError as error:
                    raise BackendError(
                        f"{error}; {len(writer.ids)} plans kept in {config.output}, "
                        "re-run to resume"
                    ) from error
                for sample, completion in zip(chunk, completions, strict=True):
                    if isinstance(completion, Unreadable):
                        refused.append((sample, completion.reason))
                        continue
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
    if refused:
        sample, reason = refused[0]
        raise BackendError(
            f"plan: {len(refused)} of {len(pending)} goals failed ({sample.id}: {reason}); "
            f"{written} new plans written to {config.output}, re-run to retry the failed goals"
        )
    return written


def plan_file(config: PlanConfig) -> int:
    """`rubricrl plan`: plans for every sample in `config.samples` by the model `config.model`."""
    samples = load_records(config.samples, Sample)
    return write_plans(samples, load_backend(config.model, cache=config.cache), config)
