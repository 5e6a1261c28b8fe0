"""`rubricrl demo`: the whole method on the embedded model, from the demo papers to the report.

Every stage resumes from its files in the run folder and every model call goes through the
response cache, so a second run only re-renders the report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from rubricrl.backends import load_backend
from rubricrl.corpus.extract import ExtractConfig, extract
from rubricrl.corpus.ingest import ingest
from rubricrl.corpus.research_plan_gen import import_samples
from rubricrl.corpus.select import SelectionRules
from rubricrl.corpus.split import split_by_paper, write_split
from rubricrl.errors import InputError
from rubricrl.evaluation.compare import CompareConfig, compare, render_summary
from rubricrl.evaluation.plan import PlanConfig, plan_file
from rubricrl.evaluation.report import write_report
from rubricrl.evaluation.score import score_plans
from rubricrl.grading.grader import Grader, GradingConfig
from rubricrl.jsonl import load_records, write_records
from rubricrl.layout import RunLayout
from rubricrl.records import Sample


@dataclass(frozen=True)
class DemoConfig:
    """Sizes chosen so the whole demo fits in about half an hour on two CPU cores."""

    papers: Path = Path("examples/papers")
    released: Path = Path("examples/research_plan_gen.jsonl")
    run_dir: Path = Path("runs/demo")
    model: str = "embedded"
    train_steps: int = 4
    num_generations: int = 4
    plan_tokens: int = 96
    test_fraction: float = 0.4
    seed: int = 0


def _extract_config(seed: int) -> ExtractConfig:
    return ExtractConfig(
        seed=seed,
        insights=2,
        draft_items=6,
        max_paper_chars=3000,
        max_goal_chars=600,
        max_item_chars=140,
        max_reference_chars=700,
        max_tokens=800,
        temperature=0.5,
        frequency_penalty=0.5,  # the 135M creator otherwise repeats itself into the filters
        rules=SelectionRules(keep_items=5, min_items=3, min_item_words=3),
    )


def _train(config: DemoConfig, train_path: Path, test_path: Path) -> None:
    from rubricrl.training.config import parse_train_args
    from rubricrl.training.run import train

    run_dir = config.run_dir
    if (run_dir / "config.json").exists():
        return  # the final policy is saved: training finished on an earlier run
    args = [
        f"--samples={train_path}",
        f"--test_samples={test_path}",
        f"--policy={config.model}",
        f"--eval_grader={config.model}",
        f"--output_dir={run_dir}",
        f"--max_steps={config.train_steps}",
        f"--num_generations={config.num_generations}",
        f"--per_device_train_batch_size={config.num_generations}",
        f"--max_completion_length={config.plan_tokens}",
        "--learning_rate=5e-6",
        # Dense 0-3 guideline scores: the 135M grader fails nearly every item pass/fail, which
        # gives every plan of a group the same reward and GRPO nothing to learn from.
        '--grading={"dense": true, "rationale_chars": 40, "retries": 0}',
        # Only one model is at hand offline: the independent grader differs in protocol.
        '--eval_grading={"mode": "per-item", "dense": true, "rationale_chars": 40, "retries": 0}',
        # The 135M policy never closes a <solution> block within 96 tokens: no format penalty.
        '--penalty={"missing_solution": 0.0, "over_length": 0.0}',
        "--eval_goals=4",
        f"--eval_every={config.train_steps // 2}",
        f"--save_steps={config.train_steps // 2}",
        f"--seed={config.seed}",
        "--resume=true",
    ]
    train(*parse_train_args(args))


class _Stages:
    """Prints a rule before each stage and the elapsed time after it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.console.rule(f"[bold]{name}")
        yield
        self.console.print(f"{name} done at {self.elapsed:.0f} s")

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def run_demo(config: DemoConfig, console: Console) -> Path:
    """Run every stage into `config.run_dir`; returns the report's path."""
    if not config.papers.is_dir():
        raise InputError(f"{config.papers}: demo papers not found (run from the repository root)")
    run = RunLayout(config.run_dir)
    run.root.mkdir(parents=True, exist_ok=True)
    stage = _Stages(console)
    samples, split_dir, test_samples = run.samples, run.split, run.test_samples
    with stage("ingest"):
        ingest([config.papers], run.papers, console=console)
    with stage("extract"):
        extract(run.papers, samples, load_backend(config.model), _extract_config(config.seed))
    with stage("import"):  # goals in the released dataset's schema join the mined ones
        imported = import_samples(str(config.released), samples, None, "train", None)
        console.print(f"{imported.imported} goals imported from {config.released}")
    with stage("split"):
        result = split_by_paper(load_records(samples, Sample), config.test_fraction, config.seed)
        write_split(result, split_dir)
        write_records(test_samples, result.test)
        console.print(f"{len(result.train)} training goals, {len(result.test)} held-out goals")
    with stage("train"):
        _train(config, split_dir / "train.jsonl", split_dir / "test.jsonl")
    policies = {"base": config.model, "trained": f"hf:{run.root.resolve()}"}
    plan_config = PlanConfig(max_tokens=config.plan_tokens, temperature=0.7, seed=config.seed)
    evaluation_grader = Grader(
        load_backend(config.model),
        GradingConfig(mode="per-item", dense=True, rationale_chars=40, retries=0, seed=config.seed),
    )
    for name, spec in policies.items():
        with stage(f"plan and score ({name})"):
            plans, grades = run.plans(name), run.grades(name)
            plan_file(test_samples, spec, plans, plan_config)
            console.print(score_plans(test_samples, plans, grades, evaluation_grader).line())
    with stage("compare"):
        comparison = CompareConfig(
            plans_a=run.plans("trained"),
            plans_b=run.plans("base"),
            goals=test_samples,
            output=run.comparisons,
            judges=(config.model,),
            show_rubric=True,
            seed=config.seed,
        )
        console.print(render_summary(compare(comparison)))
    report = write_report(run.root, run.report)
    console.print(f"report: {report.resolve()}  ({stage.elapsed:.0f} s in all)")
    return report
