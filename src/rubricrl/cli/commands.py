"""The table of commands, in pipeline order: a Stage becomes a command through its config
parser; the few commands that are not stages (own parser, long-running servers) are functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from rubricrl.backends.generate import GenerateConfig, generate
from rubricrl.cli import (
    serve,
    training,
)
from rubricrl.cli import study as study_commands
from rubricrl.corpus.extract import ExtractConfig, extract
from rubricrl.corpus.ingest import IngestConfig, ingest_papers
from rubricrl.corpus.research_plan_gen import ExportConfig, ImportConfig, export, import_samples
from rubricrl.corpus.split import SplitConfig, split
from rubricrl.demo import DemoConfig, demo
from rubricrl.evaluation.compare import CompareConfig, compare
from rubricrl.evaluation.plan import PlanConfig, plan
from rubricrl.evaluation.report import ReportConfig, report
from rubricrl.evaluation.score import ScoreConfig, score_plans
from rubricrl.experiments.learning import LearningConfig, run_experiment
from rubricrl.grading.agreement import GradeEvalConfig, grade_eval
from rubricrl.grading.probe import GradeProbeConfig, known_answer_probe
from rubricrl.grading.stage import GradeConfig, grade
from rubricrl.stage import Stage
from rubricrl.study.create import (
    InviteConfig,
    RevokeConfig,
    RotateAdminConfig,
    StudyCreateConfig,
    study_create,
    study_invite,
    study_revoke,
    study_rotate_admin,
)
from rubricrl.study.export import StudyExportConfig, study_export
from rubricrl.study.panel import OpenConfig, study_open

Command = Stage[Any, Any] | tuple[str, Callable[[typer.Context], None]]

COMMANDS: list[Command] = [
    Stage("ingest", IngestConfig, ingest_papers),
    Stage("extract", ExtractConfig, extract),
    Stage("import", ImportConfig, import_samples),
    Stage("split", SplitConfig, split),
    Stage("export", ExportConfig, export),
    Stage("grade-probe", GradeProbeConfig, known_answer_probe),
    Stage("grade", GradeConfig, grade),
    Stage("grade-eval", GradeEvalConfig, grade_eval),
    ("train", training.train),
    Stage("plan", PlanConfig, plan),
    Stage("score", ScoreConfig, score_plans),
    Stage("compare", CompareConfig, compare),
    Stage("report", ReportConfig, report),
    Stage("experiment", LearningConfig, run_experiment),
    Stage("demo", DemoConfig, demo),
    Stage("generate", GenerateConfig, generate),
    ("serve", serve.serve),
]

STUDY: list[Command] = [
    Stage("create", StudyCreateConfig, study_create),
    Stage("invite", InviteConfig, study_invite),
    Stage("open", OpenConfig, study_open),
    Stage("revoke", RevokeConfig, study_revoke),
    Stage("rotate-admin", RotateAdminConfig, study_rotate_admin),
    ("serve", study_commands.serve_command),
    Stage("export", StudyExportConfig, study_export),
]
