"""The grade stage: grade a plans file against its samples into a resumable grades file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.grading.grader import GradingConfig, PlanGrader
from rubricrl.grading.score import GradeSummary, summarize
from rubricrl.jsonl import Row, load_records, read_records
from rubricrl.model_spec import EMBEDDED, GRADER_SPEC_HELP, ModelSpec
from rubricrl.records import Grade, Plan, Sample
from rubricrl.stage import Resumable


@dataclass(frozen=True, kw_only=True)
class GraderChoice:
    """Which grader, and how it grades: the options `grade`, `score` and `grade-probe` share."""

    grader: ModelSpec = option(EMBEDDED, f"Grader spec: {GRADER_SPEC_HELP}.")
    grading: GradingConfig = field(default_factory=GradingConfig)
    cache: bool = option(True, "Keep replies in the response cache.")

    def load(self) -> PlanGrader:
        from rubricrl.grading.load import load_grader

        return load_grader(self.grader, self.grading, cache=self.cache)


@dataclass(frozen=True, kw_only=True)
class PlansToGrade(GraderChoice):
    """A plans file, its goals and the grades file to resume: what `grade` and `score` read."""

    samples: Path = option(help="Samples JSONL (goals, rubrics).", positional=True, input="file")
    plans: Path = option(help="Plans JSONL to grade.", positional=True, input="file")
    output: Path = option(help="Grades JSONL (resumed if present).", flags=("-o",), output="file")


@dataclass(frozen=True, kw_only=True)
class GradeConfig(PlansToGrade):
    """Grade plans against their goals' rubric items (resumable)."""

    batch_size: int = option(64, "Plans per grader pass (grades saved per pass).", min=1)


def unscored(row: Row) -> bool:
    """Whether a grades row is unscored, so a re-run grades its plan again."""
    return row.get("score") is None


def grade_file(
    samples_path: Path | str,
    plans_path: Path | str,
    output: Path | str,
    load_grader: Callable[[], PlanGrader],
    batch_size: int = 64,
    progress: bool = True,
) -> GradeSummary:
    """Grade every plan not yet scored in `output`, `batch_size` plans per grader pass; summarise
    the file. The grader loads only once the inputs are known good and there is work to do.

    Grades are written after each pass, so a killed run loses at most one pass (and the
    response cache returns that pass's replies for free on the re-run). Unscored grades of an
    earlier run (a server that failed, say) are graded again.
    """
    samples = {sample.id: sample for sample in read_records(samples_path, Sample)}
    plans = load_records(plans_path, Plan)
    unknown = sorted({plan.sample_id for plan in plans} - samples.keys())
    if unknown:
        raise InputError(
            f"{plans_path}: {len(unknown)} sample id(s) missing from {samples_path} (e.g. {unknown[0]!r})"
        )
    with Resumable(
        "grade", Path(output), plans, noun="plans", redo=unscored, progress=progress
    ) as work:
        grader = cache(load_grader)  # loaded by the first pass, so not at all without work
        for chunk in work.chunks(batch_size):
            # a BackendError is systemic; a refused row is graded unscored
            work.write(grader().grade_many([(samples[p.sample_id], p) for p in chunk]))
    return summarize(read_records(output, Grade))


def grade(config: GradeConfig) -> GradeSummary:
    """`rubricrl grade`: grade the plans file into the grades file (resumable)."""
    return grade_file(config.samples, config.plans, config.output, config.load, config.batch_size)
