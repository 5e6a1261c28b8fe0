"""`rubricrl plan`: a model writes plans for the goals of a samples file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rubricrl.backends import ChatBackend, Sampling, load_backend
from rubricrl.backends.structured import Unreadable, refused_rows
from rubricrl.config import option
from rubricrl.errors import BackendError, InputError
from rubricrl.jsonl import JsonlWriter, load_records
from rubricrl.model_spec import EMBEDDED, SPEC_HELP, ModelSpec
from rubricrl.records import Plan, Sample
from rubricrl.stage import Resumable, Written
from rubricrl.task import MAX_PLAN_WORDS, plan_conversation, plan_id


@dataclass(frozen=True, kw_only=True)
class PlanConfig:
    """Write research plans for every goal of a samples file with one model (resumable)."""

    samples: Path = option(
        help="Samples JSONL whose goals to plan for.", positional=True, input="file"
    )
    output: Path = option(help="Plans JSONL (resumed if present).", flags=("-o",), output="file")
    model: ModelSpec = option(EMBEDDED, f"Model spec ({SPEC_HELP}); a checkpoint is hf:DIR.")
    n: int = option(1, "Plans per goal.", min=1)
    max_tokens: int = option(1024, "Most tokens per plan.", min=1)
    temperature: float = option(0.7, "Sampling temperature (0 = greedy).", min=0.0)
    seed: int | None = option(0, "Sampling seed.")
    batch_size: int = option(8, "Goals per backend call.", min=1)
    word_limit: int = option(MAX_PLAN_WORDS, "Plan length the prompt asks for, in words.", min=1)
    cache: bool = option(True, "Keep replies in the response cache.")

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

    def planned(sample: Sample, writer: JsonlWriter) -> bool:
        return all(plan_id(sample.id, i) in writer for i in range(config.n))

    with Resumable(
        "plan", config.output, samples, noun="goals", done=planned, progress=progress
    ) as work:
        for chunk in work.chunks(config.batch_size):
            conversations = [plan_conversation(s.goal, config.word_limit) for s in chunk]
            completions = refused_rows(
                partial(backend.batch, conversations, config.sampling()), len(chunk)
            )
            rows: list[Plan] = []
            for sample, completion in zip(chunk, completions, strict=True):
                if isinstance(completion, Unreadable):
                    refused.append((sample, completion.reason))
                    continue
                rows += [
                    Plan(
                        id=plan_id(sample.id, index),
                        sample_id=sample.id,
                        model=backend.spec,
                        text=text,
                        index=index,
                    )
                    for index, text in enumerate(completion.texts)
                ]
            written += work.write(rows, status=f"{len(refused)} refused" if refused else "")
    if refused:
        sample, reason = refused[0]
        raise BackendError(
            f"plan: {len(refused)} of {len(work.todo)} goals failed ({sample.id}: {reason}); "
            f"{written} new plans written to {config.output}, re-run to retry the failed goals"
        )
    return written


def plan(config: PlanConfig) -> Written:
    """`rubricrl plan`: plans for every sample in `config.samples` by the model `config.model`."""
    samples = load_records(config.samples, Sample)
    backend = load_backend(config.model, cache=config.cache)
    return Written(f"{write_plans(samples, backend, config)} new plans", config.output)
