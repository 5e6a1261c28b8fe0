"""Time one GRPO step on the embedded model, split into generation, grading and update.

Run: RUBRICRL_HOME=/tmp/rrhome .venv/bin/python benchmarks/train_step.py [--completion-tokens 64]
The grader is the frozen embedded copy, uncached, grading the whole group in one backend call.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rubricrl.jsonl import write_records
from rubricrl.records import Provenance, RubricItem, Sample
from rubricrl.training.config import parse_train_args
from rubricrl.training.run import build_run

RUBRIC = [
    "Compares against an untreated control plot.",
    "Names the yield measurement and when it is taken.",
    "Accounts for rainfall differences between sites.",
]


class Stopwatch:
    """Accumulates the seconds spent inside wrapped callables, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

        timed.__name__ = getattr(function, "__name__", name)
        return timed


class StepClock(TrainerCallback):
    def __init__(self, watch: Stopwatch) -> None:
        self.watch = watch
        self.start = 0.0

    def on_step_begin(self, *args: Any, **kwargs: Any) -> None:
        self.start = time.perf_counter()

    def on_step_end(self, *args: Any, **kwargs: Any) -> None:
        self.watch.seconds["step"] = time.perf_counter() - self.start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--generations", type=int, default=4)
    options.add_argument("--completion-tokens", type=int, default=64)
    options.add_argument("--rationale-chars", type=int, default=60)
    settings = options.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rubricrl-bench-"))
    sample = Sample(
        id="wheat",
        goal="Test whether a new fertiliser raises wheat yield in dry climates.",
        rubric=[RubricItem(id=f"r{i}", text=text) for i, text in enumerate(RUBRIC)],
        reference_solution="A randomised field trial over two seasons at three dry sites.",
        provenance=Provenance(paper_id="bench", creator="hand"),
    )
    write_records(folder / "train.jsonl", [sample])
    n = str(settings.generations)
    config, grpo = parse_train_args(
        ["--samples", str(folder / "train.jsonl"), "--output_dir", str(folder / "run"),
         "--use_cpu", "true", "--max_steps", "1", "--save_strategy", "no",
         "--num_generations", n, "--per_device_train_batch_size", n,
         "--max_completion_length", str(settings.completion_tokens), "--grader_cache", "false",
         "--grading", f'{{"retries": 0, "rationale_chars": {settings.rationale_chars}}}']
    )  # fmt: skip
    run = build_run(config, grpo)
    trainer: Any = run.trainer
    watch = Stopwatch()
    trainer._generate = watch.wrap("generation", trainer._generate)
    trainer.reward_funcs[0] = watch.wrap("grading", trainer.reward_funcs[0])
    trainer.add_callback(StepClock(watch))
    trainer.train()
    step = watch.seconds["step"]
    generation, grading = watch.seconds["generation"], watch.seconds["grading"]
    update = step - generation - grading
    print(f"one GRPO step: {step:.1f} s ({n} plans x {settings.completion_tokens} tokens)")
    for name, seconds in (("generation", generation), ("grading", grading), ("update", update)):
        print(f"  {name:<10} {seconds:6.1f} s  {100 * seconds / step:5.1f}%")


if __name__ == "__main__":
    main()
