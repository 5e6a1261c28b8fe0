"""`rubricrl demo`: the whole method on the embedded model, from the demo papers to the report.

Every stage resumes from its files in the run folder and every model call goes through the
response cache, so a second run only re-renders the report.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from rubricrl.config import option
from rubricrl.corpus.extract import ExtractConfig, extract
from rubricrl.corpus.ingest import ingest
from rubricrl.corpus.research_plan_gen import ImportConfig, import_samples
from rubricrl.corpus.split import split_by_paper, write_split
from rubricrl.errors import InputError
from rubricrl.evaluation.compare import CompareConfig, compare
from rubricrl.evaluation.plan import PlanConfig, plan
from rubricrl.evaluation.report import write_report
from rubricrl.evaluation.score import ScoreConfig, score_plans
from rubricrl.grading.grader import GradingConfig
from rubricrl.grading.load import load_grader
from rubricrl.grading.probe import (
    ProbeConfig,
    grade_probe,
    most_telling,
    probe_plans,
    probe_table,
)
from rubricrl.grading.score import FormatPenalty
from rubricrl.jsonl import load_records, write_records
from rubricrl.layout import RunLayout
from rubricrl.model_spec import EMBED, EMBEDDED, ModelSpec
from rubricrl.records import ProbeResult, Sample, shown
from rubricrl.stage import Written
from rubricrl.study.create import StudyCreateConfig, admin_link, create_study


@dataclass(frozen=True)
class DemoConfig:
    """The whole method on the embedded model: ingest, extract, import, split, probe the graders,
    train, plan, score, compare, report and a study file, resuming where it stopped. Sizes fit
    about five minutes on two cores and 600 MB of disk."""

    papers: Path = option(Path("examples/papers"), "Folder of papers to mine.")
    released: Path = option(
        Path("examples/research_plan_gen.jsonl"),
        "Goals in the released dataset's schema, imported beside the mined.",
    )
    run_dir: Path = option(Path("runs/demo"), "Folder for every stage's files.", output="dir")
    model: ModelSpec = option(EMBEDDED, "Model spec for every role.")
    train_steps: int = option(4, "GRPO steps.", min=2)
    num_generations: int = option(4, "Plans per goal in a GRPO group.", min=2)
    plan_tokens: int = option(96, "Most tokens per plan.", min=1)
    test_fraction: float = option(0.4, "Share of papers held out.", min=0.0, max=1.0)
    seed: int = option(0, "Seed of every sampling stage and the split.")


def _extract_config(config: DemoConfig, run: RunLayout) -> ExtractConfig:
    # Budgets, sampling and rules are the creator's defaults (corpus/creator_defaults.py).
    return ExtractConfig(
        papers=run.papers, output=run.samples, creator=config.model, seed=config.seed
    )


# The paper's frozen self-grader, reading P(yes) per item instead of writing verdicts: ten times
# cheaper, and its mean probability is a continuous reward, so a GRPO group's plans rarely tie.
# The 135M model puts as little as 5-30% of its next-token probability on Yes/No for policy
# plans, and 2-15% on 1/2 as a judge: the demo accepts less mass than the defaults (0.2).
_TRAINING_GRADING = GradingConfig(verdicts="prob", min_mass=0.05)
_JUDGE_MIN_MASS = 0.01
# The paper's written verdicts, all items in one reply, probed beside it (short rationales keep
# the 135M grader's replies, hence the probe, to a few minutes on a CPU).
_WRITTEN_GRADING = GradingConfig(rationale_chars=20, retries=0)
PROBE_GOALS = 4


def _probe(config: DemoConfig, run: RunLayout, console: Console) -> tuple[ModelSpec, GradingConfig]:
    """Probe every grader the demo has on held-out goals; returns the independent grader's spec
    and settings (the one the probe ranks first, the training self-grader aside)."""
    graders = {
        "written": (config.model, replace(_WRITTEN_GRADING, seed=config.seed)),
        "training": (config.model, replace(_TRAINING_GRADING, seed=config.seed)),
        "coverage": (EMBED, GradingConfig()),
    }
    if run.probe.exists():
        results = load_records(run.probe, ProbeResult)
    else:
        goals = load_records(run.test_samples, Sample)[:PROBE_GOALS]
        probe = ProbeConfig(seed=config.seed)
        plans, _ = probe_plans(goals, probe)
        results = [
            grade_probe(plans, load_grader(spec, grading), probe)
            for spec, grading in graders.values()
        ]
        write_records(run.probe, results)
    console.print(probe_table(results))
    found = dict(zip(graders, results, strict=True))
    independent = most_telling([found["written"], found["coverage"]])
    training = found["training"]
    signal = "signal" if training.ci_low > 0.5 else "no signal told apart from chance"
    console.print(
        f"probe: the training self-grader orders known answers at "
        f"{training.ordering_accuracy:.2f} [{training.ci_low:.2f}, {training.ci_high:.2f}], "
        f"item AUC {shown(training.item_auc, 2)} (chance 0.50 for both): {signal}. Training keeps it, as the "
        f"paper does; held-out plans are scored by {independent.grader}, the independent "
        "grader the probe ranks first."
    )
    return graders["coverage" if independent is found["coverage"] else "written"]


def _train(
    config: DemoConfig,
    train_path: Path,
    test_path: Path,
    independent: tuple[ModelSpec, GradingConfig],
) -> None:
    """Train the policy unless an earlier run finished. The middle and last checkpoints stay on
    disk until the middle one has planned (`_middle_plans`)."""
    from rubricrl.training.config import TrainConfig, grpo_config
    from rubricrl.training.run import train

    if not (config.run_dir / "config.json").exists():
        settings = TrainConfig(
            samples=str(train_path),
            test_samples=str(test_path),
            policy=str(config.model),
            eval_grader=str(independent[0]),
            grading=_TRAINING_GRADING,
            eval_grading=independent[1],
            reward="probability",
            # The 135M policy never closes a <solution> block within 96 tokens: no penalty.
            penalty=FormatPenalty(missing_solution=0.0, over_length=0.0),
            eval_goals=4,
            eval_every=config.train_steps // 2,
            resume=True,
        )
        grpo = grpo_config(
            output_dir=str(config.run_dir),
            max_steps=config.train_steps,
            num_generations=config.num_generations,
            per_device_train_batch_size=config.num_generations,
            max_completion_length=config.plan_tokens,
            learning_rate=5e-6,
            save_steps=config.train_steps // 2,
            save_total_limit=2,  # the middle checkpoint plans too, for the ratings
            seed=config.seed,
        )
        train(settings, grpo)


def _middle_plans(config: DemoConfig, run: RunLayout) -> Path | None:
    """Plans of the middle checkpoint on the held-out goals, so the report rates base, middle and
    last; then drop the checkpoints (the final policy is saved, and resuming needs none)."""
    middle = run.root / f"checkpoint-{config.train_steps // 2}"
    if middle.is_dir():
        plan(_plan_config(config, run, "middle", ModelSpec("hf", str(middle.resolve()))))
    for checkpoint in run.root.glob("checkpoint-*"):
        shutil.rmtree(checkpoint)
    return run.plans("middle") if run.plans("middle").exists() else None


def _plan_config(config: DemoConfig, run: RunLayout, name: str, spec: ModelSpec) -> PlanConfig:
    return PlanConfig(
        samples=run.test_samples,
        output=run.plans(name),
        model=spec,
        max_tokens=config.plan_tokens,
        seed=config.seed,
    )


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


def demo(config: DemoConfig) -> Written:
    """`rubricrl demo`: every stage, its progress and numbers on stderr; the report's path."""
    return Written("the demo's report", run_demo(config, Console(stderr=True)))


def run_demo(config: DemoConfig, console: Console) -> Path:
    """Run every stage into `config.run_dir`; returns the report's path."""
    if not config.papers.is_dir():
        raise InputError(f"{config.papers}: demo papers not found (run from the repository root)")
    run = RunLayout(config.run_dir)
    run.root.mkdir(parents=True, exist_ok=True)
    stage = _Stages(console)
    samples, split_dir, test_samples = run.samples, run.split, run.test_samples
    with stage("ingest"):
        ingest([config.papers], run.papers)
    with stage("extract"):
        extract(_extract_config(config, run))
    with stage("import"):  # goals in the released dataset's schema join the mined ones
        imported = import_samples(ImportConfig(source=str(config.released), output=samples))
        console.print(f"{imported.imported} goals imported from {config.released}")
    with stage("split"):
        result = split_by_paper(load_records(samples, Sample), config.test_fraction, config.seed)
        write_split(result, split_dir)
        write_records(test_samples, result.test)
        console.print(f"{len(result.train)} training goals, {len(result.test)} held-out goals")
    with stage("probe the graders"):
        independent, grading = _probe(config, run, console)
    with stage("train"):
        _train(config, split_dir / "train.jsonl", split_dir / "test.jsonl", (independent, grading))
    with stage("plan (the middle checkpoint)"):
        middle = _middle_plans(config, run)
    policies = {"base": config.model, "trained": ModelSpec("hf", str(run.root.resolve()))}
    for name, spec in policies.items():
        with stage(f"plan and score ({name})"):
            plan(_plan_config(config, run, name, spec))
            scoring = ScoreConfig(
                samples=test_samples,
                plans=run.plans(name),
                output=run.grades(name),
                grader=independent,
                grading=grading,
                seed=config.seed,
            )
            console.print(score_plans(scoring).render())
    with stage("compare"):
        comparison = CompareConfig(
            plans_a=run.plans("trained"),
            plans_b=run.plans("base"),
            more_plans=(middle,) if middle else (),
            label=("A=trained", "B=base", *(("C=middle",) if middle else ())),
            goals=test_samples,
            output=run.comparisons,
            judge=(config.model,),
            verdicts="prob",  # both orders averaged: no pair is decided by position
            min_mass=_JUDGE_MIN_MASS,
            show_rubric=True,
            seed=config.seed,
        )
        console.print(compare(comparison).render())
    report = write_report(run.root, run.report)
    console.print(f"report: {report.resolve()}  ({stage.elapsed:.0f} s in all)")
    _study(run, console)
    return report


def _study(run: RunLayout, console: Console) -> None:
    """A human study of the trained (A) and base (B) plans, and the command that serves it."""
    if not run.study.exists():
        study = StudyCreateConfig(
            goals=run.test_samples,
            plans_a=run.plans("trained"),
            plans_b=run.plans("base"),
            rubrics=run.test_samples,
            output=run.study,
        )
        pairwise, approval, _, admin = create_study(study)
        console.print(
            f"human study: {pairwise} pairwise and {approval} approval tasks; admin "
            f"{admin_link(study.url, admin)}"
        )
    console.print(
        f"serve it: rubricrl study invite {run.study} NAME, then rubricrl study serve {run.study}"
    )
