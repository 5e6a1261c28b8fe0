"""Time GRPO steps on the embedded model per grader protocol and update path: generation,
grading and update, and each step's CPU time in user and kernel (sys) mode.

Run: RUBRICRL_HOME=/tmp/rrhome .venv/bin/python benchmarks/train_step.py [--completion-tokens 64]
     [--protocols generated prob embed] [--updates old bf16 memory new] [--generations 4]
     [--steps 2] [--items 10] [--threads 1] [--lora] [--smoke]
Protocols, side by side in one run: `generated` (the frozen embedded copy writes verdicts, the
paper's score), `prob` (P(yes) per item from the same copy, continuous probability reward) and
`embed` (the coverage grader, continuous probability reward). Chat graders are uncached and
warmed up on a tiny plan first, so the step pays for grading, not for loading or compiling.
Update paths, side by side, each adding one change to the one before: `old` (fp32 on every CPU,
TRL's generate, glibc's allocator as it comes), `bf16` (bf16 autocast where the hardware computes
bf16 natively), `memory` (freed memory kept in the process: training/memory.py) and `new` (the
defaults: rollouts on a bf16 snapshot of the policy through rubricrl's decode loop,
training/rollouts.py). Steps after the first are averaged: the first also pays one-time set-up.
Prints each step's split and the reward's share of it (targets: prob <= 10%, embed <= 5%).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from rubricrl.jsonl import write_records
from rubricrl.records import Plan, Provenance, RubricItem, Sample
from rubricrl.training.config import parse_train_args
from rubricrl.training.memory import keep_freed_memory
from rubricrl.training.run import build_run

RUBRIC = [
    "Compares against an untreated control plot.",
    "Names the yield measurement and when it is taken.",
    "Accounts for rainfall differences between sites.",
    "Randomises which plots receive the fertiliser.",
    "Runs the trial over more than one growing season.",
    "States the fertiliser doses and when they are applied.",
    "Measures soil moisture and nutrients at the start.",
    "Sizes the trial with a power calculation.",
    "Names the statistical test used to compare yields.",
    "Reports the cost of the fertiliser per tonne of extra yield.",
]
PROTOCOLS: dict[str, tuple[str, ...]] = {
    # retries are a chat grader's setting: the coverage grader refuses them
    "generated": ("--grading.verdicts", "generated", "--grading.retries", "0", "--reward", "score"),
    "prob": ("--grading.verdicts", "prob", "--grading.retries", "0", "--reward", "probability"),
    "embed": ("--grader", "embed", "--reward", "probability"),
}
TARGETS = {"prob": 0.10, "embed": 0.05}  # most share of the step the reward may take
# update -> (flags, whether freed memory stays in the process). Each adds one change to the last.
UPDATES: dict[str, tuple[tuple[str, ...], bool]] = {
    "old": (("--bf16", "false", "--fp16", "false", "--rollouts", "trl"), False),
    "bf16": (("--rollouts", "trl"), False),
    "memory": (("--rollouts", "trl"), True),
    "new": ((), True),
}


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
    """Per step: the seconds each wrapped callable took, the step's wall time and its CPU time."""

    def __init__(self, watch: Stopwatch) -> None:
        self.watch = watch
        self.steps: list[dict[str, float]] = []
        self.start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        clock = {"step": time.perf_counter(), "user": usage.ru_utime, "sys": usage.ru_stime}
        return {**self.watch.seconds, **clock}

    def on_step_begin(self, *args: Any, **kwargs: Any) -> None:
        self.start = self._now()

    def on_step_end(self, *args: Any, **kwargs: Any) -> None:
        end = self._now()
        self.steps.append({name: end[name] - self.start.get(name, 0.0) for name in end})


def wheat_sample(items: int) -> Sample:
    return Sample(
        id="wheat",
        goal="Test whether a new fertiliser raises wheat yield in dry climates.",
        rubric=[RubricItem(id=f"r{i}", text=text) for i, text in enumerate(RUBRIC[:items])],
        reference_solution="A randomised field trial over two seasons at three dry sites.",
        provenance=Provenance(paper_id="bench", creator="hand"),
    )


def time_step(
    protocol: str, update: str, folder: Path, settings: argparse.Namespace
) -> dict[str, float]:
    """Seconds of one GRPO step under `protocol` and `update` (the step, its generation, its
    grading, its user and sys CPU time) and how many of its plans the grader left unscored."""
    n = str(settings.generations)
    config, grpo = parse_train_args(
        ["--samples", str(folder / "train.jsonl"), "--output_dir", str(folder / protocol),
         "--use_cpu", "true", "--max_steps", str(settings.steps), "--save_strategy", "no", "--report_to", "none",
         "--num_generations", n, "--per_device_train_batch_size", n,
         "--max_completion_length", str(settings.completion_tokens), "--grader_cache", "false",
         "--grading.rationale-chars", str(settings.rationale_chars),
         *PROTOCOLS[protocol], *UPDATES[update][0], "--lora", str(settings.lora).lower()]
    )  # fmt: skip
    trainer: Any = build_run(config, grpo).trainer
    keep_freed_memory(UPDATES[update][1])
    metered = trainer.reward_funcs[0].reward  # AsyncReward(MeteredReward(RubricReward))
    reward = metered.reward
    sample = wheat_sample(settings.items)
    warmup = Plan(
        id="warmup", sample_id=sample.id, model="bench", text="<solution>A trial.</solution>"
    )
    reward.grader.grade_many([(sample, warmup)])
    watch = Stopwatch()
    trainer._generate = watch.wrap("generation", trainer._generate)
    trainer.reward_funcs[0].reward = watch.wrap("grading", metered)
    clock = StepClock(watch)
    trainer.add_callback(clock)
    trainer.train()
    warm = clock.steps[1:] or clock.steps  # the first step also pays one-time kernel set-up
    seconds = {name: sum(s[name] for s in warm) / len(warm) for name in clock.steps[0]}
    return {**seconds, "unscored": sum(g.score is None for g in reward.last_grades)}


def share_verdict(protocol: str, share: float) -> str:
    target = TARGETS.get(protocol)
    if target is None:
        return "-"
    return f"<= {target:.0%} " + ("met" if share <= target else "MISSED")


def report(runs: dict[tuple[str, str], dict[str, float]], settings: argparse.Namespace) -> None:
    print(
        f"one GRPO step per protocol and update: {settings.generations} plans x "
        f"{settings.completion_tokens} tokens, {settings.items} rubric items, "
        f"{'LoRA' if settings.lora else 'all weights'}, "
        f"{torch.get_num_threads()} torch threads, mean of steps 2-{settings.steps}"
        if settings.steps > 1
        else f"{torch.get_num_threads()} torch threads, one step"
    )
    names = ("step s", "generation s", "grading s", "update s", "user s", "sys s", "unscored")
    print(f"{'protocol':<11}{'update':<7}" + "".join(f"{n:>13}" for n in names) + "  grading share")
    for (protocol, update), seconds in runs.items():
        step, generation, grading = (seconds[k] for k in ("step", "generation", "grading"))
        split = (step, generation, grading, step - generation - grading)
        cells = "".join(f"{c:>13.2f}" for c in (*split, seconds["user"], seconds["sys"]))
        share = grading / step
        verdict = share_verdict(protocol, share)
        unscored = f"{seconds['unscored']:>13.0f}"
        print(f"{protocol:<11}{update:<7}{cells}{unscored}  {share:>13.1%} {verdict}")
    baseline = {protocol: s["step"] for (protocol, update), s in runs.items() if update == "old"}
    for (protocol, update), seconds in runs.items():
        if update != "old" and protocol in baseline:
            print(f"{protocol}: {update} step {baseline[protocol] / seconds['step']:.2f}x faster")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--protocols", nargs="+", choices=list(PROTOCOLS), default=list(PROTOCOLS))
    options.add_argument("--updates", nargs="+", choices=list(UPDATES), default=list(UPDATES))
    options.add_argument("--generations", type=int, default=4)
    options.add_argument(
        "--steps", type=int, default=2, help="steps per run; all but the first are averaged"
    )
    options.add_argument("--completion-tokens", type=int, default=64)
    options.add_argument("--items", type=int, default=10, help=f"Rubric items (1-{len(RUBRIC)}).")
    options.add_argument("--rationale-chars", type=int, default=60)
    options.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    options.add_argument("--lora", action="store_true", help="train LoRA adapters (rank 16)")
    options.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    settings = options.parse_args()
    if settings.smoke:
        settings.generations, settings.completion_tokens, settings.steps = 2, 8, 1
        settings.items, settings.rationale_chars = 1, 10
    if settings.threads:
        torch.set_num_threads(settings.threads)
    folder = Path(tempfile.mkdtemp(prefix="rubricrl-bench-"))
    write_records(folder / "train.jsonl", [wheat_sample(settings.items)])
    runs = {
        (protocol, update): time_step(protocol, update, folder, settings)
        for protocol in settings.protocols
        for update in settings.updates
    }

    report(runs, settings)


if __name__ == "__main__":
    main()
