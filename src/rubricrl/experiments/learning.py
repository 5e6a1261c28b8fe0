"""`rubricrl experiment`: does GRPO on a rubric reward make plans better? Arms trained alike, one
grader none of them trained on.

Every arm starts from the same base with the same seed, steps, batch and plan length, and differs
only in what it is paid: `rubric` (the coverage grader's probability reward, contrasted with other
goals' rubrics), `shuffled` (the same rewards permuted over each batch: their mean and spread, no
signal) and `self` (the paper's frozen self-grader). Base and arms then write sampled plans for the
held-out goals, and an independent encoder grades them. Each step is resumable: a trained arm, a
plans file or a grades file already complete is not done again, so extra held-out files can be
scored on every arm without retraining.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Literal

from rubricrl.backends.registry import load_backend
from rubricrl.config import option
from rubricrl.corpus.research_plan_gen import load_goals
from rubricrl.errors import InputError
from rubricrl.evaluation.plan import PlanConfig, write_plans
from rubricrl.experiments.outcome import LearningResult, ModelOutcome, compare_models, model_outcome
from rubricrl.experiments.plots import save_curves
from rubricrl.grading import FormatPenalty, GradingConfig
from rubricrl.grading.contrastive import ContrastiveGrader
from rubricrl.grading.grader import PlanGrader
from rubricrl.grading.load import load_grader
from rubricrl.grading.stage import grade_file
from rubricrl.jsonl import load_records, replace_file
from rubricrl.model_spec import EMBED, EMBEDDED, ModelSpec
from rubricrl.records import Grade, Plan, Sample
from rubricrl.task import plan_id

logger = logging.getLogger(__name__)

Arm = Literal["rubric", "shuffled", "self"]
ARMS: tuple[Arm, ...] = ("rubric", "shuffled", "self")
BASE = "base"
SELF_GRADING = GradingConfig(mode="per-item", verdicts="prob")
EXAMPLES = Path("examples/learning_goals")  # relative to the repository, where the docs run it


@dataclass(frozen=True, kw_only=True)
class LearningConfig:
    """Does GRPO on a rubric reward make plans better? Train the arms alike and score them on
    held-out goals with an independent grader (resumable; docs/learning.md)."""

    train_goals: Path = option(
        EXAMPLES / "train.jsonl", "Training goals (released schema or samples JSONL).", input="file"
    )
    heldout: tuple[Path, ...] = option(
        (EXAMPLES / "heldout.jsonl",),
        "Held-out goal file (repeatable): every arm is scored on each; the first "
        "also gives the learning curves.",
        input="file",
    )
    output_dir: Path = option(
        Path("runs/learning"), "Experiment folder (resumed if present).", output="dir"
    )
    arms: tuple[Arm, ...] = option(ARMS, "Arms to train (repeatable): rubric, shuffled, self.")
    max_steps: int = option(40, "GRPO steps per arm.", min=1)
    learning_rate: float = option(2e-4, "Learning rate.", min=0.0)
    lora: bool = option(True, "LoRA adapters (false: all weights).")
    lora_rank: int = option(16, "LoRA rank.", min=1)
    num_generations: int = option(8, "Plans per goal per step (one goal per step).", min=2)
    max_completion_length: int = option(128, "Tokens per plan, in training and evaluation.", min=8)
    word_limit: int = option(80, "Plan length the prompt asks for, in words.", min=1)
    grader: ModelSpec = option(EMBED, "The rubric arm's grader (coverage encoder).")
    contrast: int = option(3, "Other goals' rubrics the rubric reward is contrasted with.", min=0)
    eval_grader: ModelSpec = option(
        ModelSpec("embed", "mpnet"),
        "The independent grader of held-out plans (no arm trains on it).",
    )
    eval_every: int = option(10, "Greedy held-out evaluation every N steps.", min=1)
    plans_per_goal: int = option(4, "Sampled plans per held-out goal and model.", min=1)
    temperature: float = option(0.7, "Sampling temperature of held-out plans.", min=0.0)
    specificity_rubrics: int = option(
        3, "Other goals' rubrics a held-out plan's specificity uses.", min=1
    )
    save_every: int = option(10, "Checkpoint every N steps (resume point).", min=1)
    seed: int = option(0, "Seed of every arm and of sampling.")

    def training_settings(self) -> dict[str, object]:
        """What makes two runs' arms the same: everything that reaches training."""
        keep = (
            "train_goals max_steps learning_rate lora lora_rank num_generations "
            "max_completion_length word_limit grader contrast eval_grader seed"
        ).split()
        return {
            item.name: str(getattr(self, item.name)) for item in fields(self) if item.name in keep
        }


@dataclass(frozen=True)
class ExperimentLayout:
    """Paths inside the experiment folder."""

    root: Path

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def train_samples(self) -> Path:
        return self.root / "data" / "train.samples.jsonl"

    def heldout_samples(self, name: str) -> Path:
        return self.root / "data" / f"{name}.samples.jsonl"

    def arm(self, arm: str) -> Path:
        return self.root / "arms" / arm

    def plans(self, heldout: str, model: str) -> Path:
        return self.root / "eval" / heldout / f"{model}.plans.jsonl"

    def grades(self, heldout: str, model: str, kind: str) -> Path:
        return self.root / "eval" / heldout / f"{model}.{kind}.jsonl"

    @property
    def result(self) -> Path:
        return self.root / "result.json"

    @property
    def table(self) -> Path:
        return self.root / "result.md"

    @property
    def curves(self) -> Path:
        return self.root / "curves.png"


def is_trained(arm_dir: Path) -> bool:
    """Whether an arm finished: the final save (adapter or weights) sits in the arm's folder."""
    return any((arm_dir / name).exists() for name in ("adapter_config.json", "config.json"))


def _check_settings(config: LearningConfig, layout: ExperimentLayout) -> None:
    """Refuse to mix arms trained under other settings into this folder."""
    wanted = config.training_settings()
    if layout.settings.exists():
        found = json.loads(layout.settings.read_text(encoding="utf-8"))
        changed = sorted(key for key in wanted if found.get(key) != wanted[key])
        if changed:
            raise InputError(
                f"{config.output_dir}: holds arms trained with other settings "
                f"({', '.join(changed)}); use another --output-dir"
            )
        return
    layout.root.mkdir(parents=True, exist_ok=True)
    replace_file(layout.settings, [json.dumps(wanted, indent=2) + "\n"])


def _read_goals(goals: Path) -> list[Sample]:
    samples = load_goals(goals)
    if not samples:
        raise InputError(f"{goals}: no goals")
    return samples


def _write_samples(samples: Sequence[Sample], target: Path) -> None:
    """Goals as samples JSONL inside the experiment (the grading stage reads that form)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, (sample.model_dump_json() + "\n" for sample in samples))


def heldout_name(path: Path) -> str:
    return path.stem


def train_arm(config: LearningConfig, arm: Arm, layout: ExperimentLayout, heldout: Path) -> None:
    """Train one arm to `max_steps`, resuming from its last checkpoint."""
    from rubricrl.training.config import TrainConfig, grpo_config
    from rubricrl.training.run import train

    penalty = FormatPenalty(word_limit=config.word_limit, missing_solution=0.0, over_length=0.0)
    common = TrainConfig(
        samples=str(layout.train_samples),
        test_samples=str(heldout),
        eval_grader=str(config.eval_grader),
        lora=config.lora,
        lora_rank=config.lora_rank,
        lora_alpha=2 * config.lora_rank,
        eval_every=config.eval_every,
        eval_goals=10_000,
        eval_max_tokens=config.max_completion_length,
        specificity_rubrics=0,  # specificity is measured at the end, by the independent grader
        penalty=penalty,
        resume=True,
    )
    rubric = replace(
        common, grader=str(config.grader), reward="probability", contrast=config.contrast
    )
    train_config = {
        "rubric": rubric,
        "shuffled": replace(rubric, shuffle_rewards=True),
        # grader unset: a frozen copy of the initial policy, as in the paper, read as P(yes)
        # per item (one prefill each; written verdicts cost a generation per plan)
        "self": replace(common, grading=SELF_GRADING, reward="probability"),
    }[arm]
    grpo = grpo_config(
        output_dir=str(layout.arm(arm)),
        learning_rate=config.learning_rate,
        num_generations=config.num_generations,
        per_device_train_batch_size=config.num_generations,
        max_completion_length=config.max_completion_length,
        max_steps=config.max_steps,
        save_steps=config.save_every,
        seed=config.seed,
        report_to="none",
    )
    train(train_config, grpo)
    gc.collect()


def model_spec(config: LearningConfig, model: str) -> ModelSpec:
    """The base model, or an arm's saved adapter (or weights) as `hf:DIR`."""
    if model == BASE:
        return EMBEDDED
    return ModelSpec("hf", str(ExperimentLayout(config.output_dir).arm(model)))


def evaluate_model(
    config: LearningConfig, model: str, heldout: str, samples: Sequence[Sample]
) -> tuple[list[Plan], list[Grade], list[Grade]]:
    """Sampled plans of one model for one held-out set, graded by the independent grader on
    their own rubric (score) and contrasted with other goals' rubrics (specificity)."""
    layout = ExperimentLayout(config.output_dir)
    plans_path = layout.plans(heldout, model)
    plan_config = PlanConfig(
        samples=layout.heldout_samples(heldout),
        output=plans_path,
        model=model_spec(config, model),
        n=config.plans_per_goal,
        max_tokens=config.max_completion_length,
        temperature=config.temperature,
        seed=config.seed,
        word_limit=config.word_limit,
        cache=False,  # an arm's folder may be retrained; its old replies must not come back
    )
    wanted = {plan_id(sample.id, i) for sample in samples for i in range(config.plans_per_goal)}
    written = {plan.id for plan in load_records(plans_path, Plan)} if plans_path.exists() else set()
    if wanted - written:  # the model loads only when plans are missing
        write_plans(samples, load_backend(plan_config.model, cache=False), plan_config)
    grader = load_grader(config.eval_grader, GradingConfig(), cache=True)
    specific = ContrastiveGrader(grader, samples, config.specificity_rubrics, seed=config.seed)
    samples_path = layout.heldout_samples(heldout)
    scores = _graded(samples_path, plans_path, layout.grades(heldout, model, "score"), grader)
    specificity = _graded(
        samples_path, plans_path, layout.grades(heldout, model, "specificity"), specific
    )
    return load_records(plans_path, Plan), scores, specificity


def _graded(samples: Path, plans: Path, output: Path, grader: PlanGrader) -> list[Grade]:
    """Grade `plans` into `output` (resuming it) and return every grade there."""
    grade_file(samples, plans, output, lambda: grader)
    return load_records(output, Grade)


@dataclass(frozen=True)
class Experiment:
    """The outcome of `rubricrl experiment`: one result per held-out file, and where it lies."""

    results: list[LearningResult]
    layout: ExperimentLayout
    failed = False

    def render(self) -> str:
        tables = [result.markdown() for result in self.results]
        where = self.layout
        return "\n".join(
            [*tables, f"result: {where.result}, {where.table}; curves: {where.curves}"]
        )


def run_experiment(
    config: LearningConfig, train_one: Callable[..., None] = train_arm
) -> Experiment:
    """Train the missing arms, evaluate base and every arm on every held-out file, and write the
    result (JSON, a markdown table) and the learning curves; returns one result per file."""
    layout = ExperimentLayout(config.output_dir)
    heldouts = {heldout_name(path): path for path in config.heldout}
    if len(heldouts) != len(config.heldout):
        raise InputError("--heldout: two files share a name; rename one")
    training = _read_goals(config.train_goals)
    sets = {name: _read_goals(path) for name, path in heldouts.items()}
    _check_settings(config, layout)
    _write_samples(training, layout.train_samples)
    for name, samples in sets.items():
        _write_samples(samples, layout.heldout_samples(name))
    first = next(iter(heldouts))
    for arm in config.arms:
        if is_trained(layout.arm(arm)):
            logger.info("arm %s: trained already (%s)", arm, layout.arm(arm))
            continue
        logger.info("arm %s: training %d steps", arm, config.max_steps)
        train_one(config, arm, layout, layout.heldout_samples(first))
    results = []
    for name, samples in sets.items():
        outcomes: dict[str, ModelOutcome] = {}
        for model in (BASE, *config.arms):
            plans, scores, specificity = evaluate_model(config, model, name, samples)
            outcomes[model] = model_outcome(
                model, plans, scores, specificity, config.word_limit, config.seed
            )
        results.append(compare_models(name, outcomes, BASE, config.seed))
    replace_file(layout.result, [json.dumps([r.model_dump() for r in results], indent=2) + "\n"])
    replace_file(layout.table, [result.markdown() + "\n" for result in results])
    save_curves({arm: layout.arm(arm) for arm in config.arms}, layout.curves)
    return Experiment(results, layout)
