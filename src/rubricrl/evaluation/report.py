"""`rubricrl report`: one self-contained HTML page (inline PNG plots, no external files) for a run."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from matplotlib.figure import Figure

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.grading.probe_plans import ADVERSARIAL_KINDS
from rubricrl.jsonl import load_records
from rubricrl.layout import POLICIES, RunLayout
from rubricrl.records import (
    HACKABLE_MARGIN,
    ComparisonSummary,
    Grade,
    HeldOutEval,
    HumanStudySummary,
    Plan,
    ProbeResult,
    Record,
    Sample,
    ScoreSummary,
    StepRow,
    TrainingStep,
)
from rubricrl.stage import Written, read_summary

TRAINING_SERIES = (
    "reward_mean",
    "zero_std_frac",
    "unscored_frac",
    "plan_words",
    "kl",
    "learning_rate",
)
MAX_ITEM_ROWS = 200
M = TypeVar("M", bound=Record)


@dataclass(frozen=True, kw_only=True)
class ReportConfig:
    """Write one self-contained HTML page with everything found in a run folder."""

    run_dir: Path = option(
        help="Run folder (metrics, evals, grades, plans, comparisons).",
        positional=True,
        input="dir",
    )
    output: Path = option(Path("report.html"), "HTML file to write.", flags=("-o",), output="file")


EXAMPLES = 5

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("rubricrl.evaluation", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def read_steps(path: Path, row_type: type[StepRow]) -> list[StepRow]:
    """The rows of a per-step log (metrics, held-out evaluations), in step order."""
    return sorted(load_records(path, row_type, allow_empty=True), key=lambda row: row.step)


@dataclass(frozen=True)
class RunFiles:
    """Whatever a run folder holds; a missing piece is None."""

    metrics: list[TrainingStep] | None
    evals: list[HeldOutEval] | None
    summary: ComparisonSummary | None
    scores: dict[str, ScoreSummary | None]
    grades: dict[str, list[Grade] | None]
    plans: dict[str, list[Plan] | None]
    samples: list[Sample] | None
    probe: list[ProbeResult] | None
    human: HumanStudySummary | None = None
    training_domains: set[str] | None = None

    @classmethod
    def load(cls, run_dir: Path) -> RunFiles:
        if not run_dir.is_dir():
            raise InputError(f"{run_dir}: no such run folder")
        layout = RunLayout(run_dir)
        if not any(path.is_file() for path in layout.report_inputs()):
            names = ", ".join(path.name for path in layout.report_inputs())
            raise InputError(f"{run_dir}: none of {names} found")

        def optional(path: Path) -> Path | None:
            return path if path.is_file() else None

        samples_path = optional(layout.test_samples) or optional(layout.samples)
        return cls(
            metrics=read_steps(p, TrainingStep) if (p := optional(layout.metrics)) else None,
            evals=read_steps(p, HeldOutEval) if (p := optional(layout.evals)) else None,
            summary=_summary(optional(layout.summary), ComparisonSummary),
            scores={m: _summary(optional(layout.scores(m)), ScoreSummary) for m in POLICIES},
            grades={m: _load(optional(layout.grades(m)), Grade) for m in POLICIES},
            plans={m: _load(optional(layout.plans(m)), Plan) for m in POLICIES},
            samples=_load(samples_path, Sample),
            probe=_load(optional(layout.probe), ProbeResult),
            human=_summary(optional(layout.human_summary), HumanStudySummary),
            training_domains=_domains(optional(layout.split / "train.jsonl")),
        )


def _load(path: Path | None, record_type: type[Any]) -> list[Any] | None:
    return load_records(path, record_type) if path else None


def _domains(path: Path | None) -> set[str] | None:
    """The domains of a samples file (the training split's), "unknown" for a sample with none."""
    samples = _load(path, Sample)
    return None if samples is None else {s.provenance.domain or "unknown" for s in samples}


def _summary(path: Path | None, model: type[M]) -> M | None:
    return read_summary(path, model) if path else None


def _png(figure: Figure) -> str:
    """A figure as a data URI, so the page needs no other file."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _series(rows: Sequence[TrainingStep | HeldOutEval], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of the rows where `key` holds a number."""
    kept = [(r.step, value) for r in rows if (value := getattr(r, key, None)) is not None]
    return [s for s, _ in kept], [v for _, v in kept]


def training_plot(metrics: Sequence[TrainingStep]) -> str | None:
    """One small panel per training metric present; the reward with a ±1 std band."""
    present = [key for key in TRAINING_SERIES if _series(metrics, key)[0]]
    if not present:
        return None
    figure = Figure(figsize=(4.2 * min(len(present), 3), 3.0 * ((len(present) + 2) // 3)))
    for slot, key in enumerate(present, start=1):
        axes = figure.add_subplot((len(present) + 2) // 3, min(len(present), 3), slot)
        steps, values = _series(metrics, key)
        axes.plot(steps, values, marker=".", color="tab:blue")
        if key == "reward_mean":
            band = [
                (r.step, r.reward_mean, r.reward_std)
                for r in metrics
                if r.reward_mean is not None and r.reward_std is not None
            ]
            axes.fill_between(
                [b[0] for b in band],
                [b[1] - b[2] for b in band],
                [b[1] + b[2] for b in band],
                alpha=0.2,
                color="tab:blue",
            )
        axes.set_title(key)
        axes.set_xlabel("step")
    figure.tight_layout()
    return _png(figure)


def heldout_plot(evals: Sequence[HeldOutEval], metrics: Sequence[TrainingStep] | None) -> str:
    """Training reward beside held-out and independent scores and specificity: diverging lines
    mean reward hacking."""
    figure = Figure(figsize=(7.0, 3.6))
    axes = figure.add_subplot()
    lines = [
        ("training reward (grader)", _series(metrics or [], "reward_mean")),
        ("held-out rubric score", _series(evals, "heldout_score")),
        ("independent judge score", _series(evals, "independent_score")),
        ("specificity (own rubric - others')", _series(evals, "specificity")),
    ]
    for label, (steps, values) in lines:
        if steps:
            axes.plot(steps, values, marker=".", label=label)
    axes.set_xlabel("step")
    axes.set_ylabel("score")
    axes.legend(loc="best", fontsize="small")
    return _png(figure)


def heldout_items(
    evals: Sequence[HeldOutEval], samples: list[Sample] | None
) -> list[dict[str, Any]]:
    """Per rubric item, named by its text where the goals are known, its held-out satisfaction
    rate at the first and last evaluation."""
    with_items = [row for row in evals if row.item_satisfaction]
    if not with_items:
        return []
    first, last = with_items[0].item_satisfaction, with_items[-1].item_satisfaction
    texts = item_texts(samples)
    return [
        {
            "item": item,
            "text": texts.get(item, ""),
            "first": first.get(item),
            "last": last.get(item),
        }
        for item in sorted(first.keys() | last.keys())
    ]


def item_texts(samples: list[Sample] | None) -> dict[str, str]:
    """`sample_id/item_id` -> the item's text: how items are keyed in summaries."""
    return {f"{s.id}/{i.id}": i.text for s in samples or [] for i in s.rubric}


def win_rate_rows(summary: ComparisonSummary) -> list[dict[str, Any]]:
    """Overall, per-domain and per-judge win rates, as table rows."""
    rows = [{"group": "overall (jury)", **summary.overall.model_dump()}]
    rows += [{"group": f"domain: {d}", **r.model_dump()} for d, r in summary.by_domain.items()]
    rows += [{"group": f"judge: {j}", **r.model_dump()} for j, r in summary.by_judge.items()]
    return rows


def domain_rows(files: RunFiles) -> list[dict[str, Any]]:
    """Per held-out domain: whether training saw it, its goals, the jury's win rate there and each
    policy's mean rubric score there: what training on one domain did to the others."""
    if not files.samples:
        return []
    domain_of = {s.id: s.provenance.domain or "unknown" for s in files.samples}
    by_domain = files.summary.by_domain if files.summary else {}
    rows = []
    for domain in sorted(set(domain_of.values())):
        scores = {}
        for policy, grades in files.grades.items():
            here = [g.score for g in grades or [] if domain_of.get(g.sample_id) == domain]
            scored = [score for score in here if score is not None]
            scores[policy] = sum(scored) / len(scored) if scored else None
        rows.append(
            {
                "domain": domain,
                "trained": domain in (files.training_domains or set()),
                "goals": sum(d == domain for d in domain_of.values()),
                "win": by_domain.get(domain),
                "scores": scores,
            }
        )
    return rows


def scored_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with a win rate: groups whose every decision was unscored have none to plot."""
    return [row for row in rows if row["win_rate"] is not None]


def win_rate_plot(rows: Sequence[dict[str, Any]]) -> str:
    """Win rates as points with their intervals, against the 0.5 line of no difference."""
    figure = Figure(figsize=(7.0, 0.5 * len(rows) + 1.2))
    axes = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    rates = [r["win_rate"] for r in rows]
    errors = [
        [r["win_rate"] - r["ci_low"] for r in rows],
        [r["ci_high"] - r["win_rate"] for r in rows],
    ]
    axes.errorbar(rates, positions, xerr=errors, fmt="o", capsize=4)
    axes.axvline(0.5, color="grey", linestyle="--", linewidth=1)
    axes.set_yticks(positions, [r["group"] for r in rows])
    axes.set_xlim(0, 1)
    axes.set_xlabel("win rate of A over B (ties count half)")
    return _png(figure)


def score_plot(grades: dict[str, list[Grade] | None]) -> str | None:
    """Histograms of rubric scores before and after training, on shared bins."""
    figure = Figure(figsize=(7.0, 3.4))
    axes = figure.add_subplot()
    drawn = False
    for model, found in grades.items():
        scores = [g.score for g in found or [] if g.score is not None]
        if scores:
            axes.hist(scores, bins=[i / 10 for i in range(11)], alpha=0.5, label=model)
            drawn = True
    if not drawn:
        return None
    axes.set_xlabel("rubric score (share of items satisfied)")
    axes.set_ylabel("plans")
    axes.legend(loc="best")
    return _png(figure)


def item_rows(
    scores: dict[str, ScoreSummary | None], samples: list[Sample] | None
) -> list[dict[str, Any]]:
    """Per rubric item, the share of graded plans that satisfy it, for each policy, as the score
    stage computed it."""
    texts = item_texts(samples)
    shares = {p: summary.item_satisfaction for p, summary in scores.items() if summary}
    items = sorted({item for by_item in shares.values() for item in by_item})
    return [
        {
            "sample": item.rpartition("/")[0],
            "item": item.rpartition("/")[2],
            "text": texts.get(item, ""),
            **{p: shares[p].get(item) if p in shares else None for p in POLICIES},
        }
        for item in items
    ]


def examples(files: RunFiles) -> list[dict[str, Any]]:
    """The first few goals with each model's plan and its grade."""
    if not files.samples:
        return []
    grade_of = {g.plan_id: g for found in files.grades.values() for g in found or []}
    # Later entries win in a dict display, so sorting by descending index keeps each goal's first plan.
    plan_of = {
        m: {p.sample_id: p for p in sorted(found or [], key=lambda p: -p.index)}
        for m, found in files.plans.items()
    }
    chosen = []
    for sample in files.samples:
        plans = {m: plan_of[m].get(sample.id) for m in POLICIES}
        if any(plans.values()):
            entries = {
                m: {"plan": p, "grade": grade_of.get(p.id)} if p else None for m, p in plans.items()
            }
            chosen.append({"sample": sample, **entries})
        if len(chosen) == EXAMPLES:
            break
    return chosen


def render_report(run_dir: Path) -> str:
    """The HTML page for everything found in `run_dir`."""
    files = RunFiles.load(run_dir)
    win_rows = win_rate_rows(files.summary) if files.summary else []
    items = item_rows(files.scores, files.samples)
    return _TEMPLATES.get_template("report.html.j2").render(
        run_dir=str(run_dir),
        layout=RunLayout(Path(".")),
        training_plot=training_plot(files.metrics) if files.metrics else None,
        heldout_plot=heldout_plot(files.evals, files.metrics) if files.evals else None,
        heldout_items=heldout_items(files.evals or [], files.samples),
        summary=files.summary,
        win_rows=win_rows,
        win_plot=win_rate_plot(plotted) if (plotted := scored_rows(win_rows)) else None,
        score_rows={p: summary for p, summary in files.scores.items() if summary},
        score_plot=score_plot(files.grades),
        item_rows=items[:MAX_ITEM_ROWS],
        items_total=len(items),
        examples=examples(files),
        probe=files.probe or [],
        hack_kinds=ADVERSARIAL_KINDS,
        hackable_margin=HACKABLE_MARGIN,
        human=files.human,
        domain_rows=domain_rows(files),
        domain_policies=[p for p, grades in files.grades.items() if grades],
        training_domains=sorted(files.training_domains or ()),
    )


def write_report(run_dir: Path, output: Path) -> Path:
    """Render the report of `run_dir` into `output`."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_report(run_dir), encoding="utf-8")
    return output


def report(config: ReportConfig) -> Written:
    """`rubricrl report`: the page of `config.run_dir`, written to `config.output`."""
    return Written("report", write_report(config.run_dir, config.output))
