"""Grading throughput at the paper's sizes: probability verdicts, the coverage grader and generated
verdicts (all items in one call, or one call per item), side by side in one run.

Run: .venv/bin/python benchmarks/grading.py [--goals 2] [--plans-per-goal 8] [--items 10]
     [--plan-words 400] [--graders all prob embed] [--threads 1] [--smoke]
Every grader sees the same plans: a GRPO group of `--plans-per-goal` plans per goal, each about
`--plan-words` words of demo-paper prose with every sentence distinct (so plans share nothing but
goal and reference), half of them also restating the rubric items. Chat graders run on the
uncached embedded model; each grader is warmed up on a tiny plan outside the timings. Prints
rubric items graded per second, the share of items met, how many times faster than the fastest
generated mode probability verdicts and the coverage grader are (target for probability
verdicts: >= 10x), and how often each agrees item by item with the first generated mode.
`per-item` is left out by default (2.6x slower than `all` at 8 plans here). With a neighbour on
the cores, `--threads 1` avoids torch's threads waiting on each other. Compare one run's rows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from rubricrl.backends.registry import load_backend
from rubricrl.grading.agreement import agreement
from rubricrl.grading.coverage import split_sentences
from rubricrl.grading.grader import Grader, JudgeGrading, Mode, PlanGrader
from rubricrl.grading.load import load_grader
from rubricrl.model_spec import EMBED, ModelSpec
from rubricrl.records import Grade, Plan, Provenance, RubricItem, Sample

GENERATED: tuple[Mode, ...] = (
    "all",
    "per-item",
)  # the generated-verdict modes, named as GradingConfig.mode
GRADERS = (*GENERATED, "prob", "embed")
PROB_TARGET = 10.0  # times the items/s of the fastest generated mode
REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "examples" / "research_plan_gen.jsonl"
DEMO = REPO / "examples" / "papers"


def load_goals(goals: int, items: int) -> list[Sample]:
    """Goals of the research-plan-gen fixture with `items` rubric items each.

    A goal's own items come first, topped up with the other goals' items (the paper's rubrics
    have 10 items; the fixture's have 4 or 5).
    """
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
    pool = [text for row in rows for text in row["Rubric"]]
    samples = []
    for n, row in enumerate(rows[:goals]):
        texts = list(dict.fromkeys(row["Rubric"] + pool))[:items]
        samples.append(
            Sample(
                id=f"g{n}",
                goal=row["Goal"],
                rubric=[RubricItem(id=str(k), text=t) for k, t in enumerate(texts, 1)],
                reference_solution=row["Reference solution"],
                provenance=Provenance(paper_id=row["article_id"], creator="benchmark"),
            )
        )
    return samples


def distinct_plans(sample: Sample, count: int, words: int) -> list[Plan]:
    """`count` plans of about `words` words of prose whose sentences all differ; the even ones
    end by restating the rubric items, so verdicts are mixed."""
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(DEMO.glob("*.md")))
    prose = split_sentences(text)
    steps = " ".join(f"Step {k}: {item.text}" for k, item in enumerate(sample.rubric, 1))
    plans = []
    for k in range(count):
        body: list[str] = []
        n = 0
        while sum(len(s.split()) for s in body) < words:
            body.append(f"In {sample.id} plan {k} part {n}, {prose[(k * 7 + n) % len(prose)]}")
            n += 1
        text = " ".join(body) + (f" {steps}" if k % 2 == 0 else "")
        plans.append(Plan(id=f"{sample.id}-{k}", sample_id=sample.id, model="bench", text=text))
    return plans


def build_grader(name: str, spec: str, rationale_chars: int) -> PlanGrader:
    """A generated mode or `prob` on the uncached chat model `spec`, or the coverage grader."""
    if name == "embed":
        return load_grader(EMBED)
    backend = load_backend(ModelSpec.parse(spec), cache=False)
    if name == "prob":
        return Grader(backend, JudgeGrading(verdicts="prob"))
    mode: Mode = "per-item" if name == "per-item" else "all"
    return Grader(backend, JudgeGrading(mode=mode, rationale_chars=rationale_chars))


def timed(grader: PlanGrader, pairs: list[tuple[Sample, Plan]]) -> tuple[list[Grade], float]:
    start = time.perf_counter()
    grades = grader.grade_many(pairs)
    return grades, time.perf_counter() - start


def agreement_cell(candidate: list[Grade], reference: list[Grade]) -> str:
    agree = agreement(candidate, reference)
    accuracy = "n/a" if agree.accuracy is None else f"{agree.accuracy:.2f}"
    kappa = "n/a" if agree.kappa is None else f"{agree.kappa:.2f}"
    return f"{accuracy:>6} / {kappa}"


def report(runs: dict[str, tuple[list[Grade], float]], items: int) -> None:
    generated = [name for name in runs if name in GENERATED]
    reference = generated[0] if generated else None
    header = f"agree w/ {reference} (acc / kappa)" if reference else ""
    print(f"{'grader':<10}{'seconds':>9}{'items/s':>10}{'unscored':>10}{'met':>7}  {header}")
    for name, (grades, seconds) in runs.items():
        unscored = sum(g.score is None for g in grades)
        verdicts = [v.satisfied for g in grades for v in g.verdicts]
        met = sum(verdicts) / len(verdicts) if verdicts else 0.0
        agree = agreement_cell(grades, runs[reference][0]) if reference else ""
        print(
            f"{name:<10}{seconds:>9.2f}{items / seconds:>10.2f}{unscored:>10}{met:>7.0%}  {agree}"
        )
    if not generated:
        return
    fastest = min(generated, key=lambda name: runs[name][1])
    for name in ("prob", "embed"):
        if name in runs:
            ratio = runs[fastest][1] / runs[name][1]
            target = f" (target >= {PROB_TARGET:g}x)" if name == "prob" else ""
            print(f"{name} vs fastest generated ({fastest}): {ratio:.1f}x items/s{target}")
    if len(generated) == 2:
        ratio = runs["per-item"][1] / runs["all"][1]
        print(f"generated all vs per-item: {ratio:.2f}x items/s (target >= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", default="embedded", help="Chat grader model spec.")
    parser.add_argument("--graders", nargs="+", choices=GRADERS, default=["all", "prob", "embed"])
    parser.add_argument("--goals", type=int, default=2)
    parser.add_argument("--items", type=int, default=10, help="Rubric items per goal.")
    parser.add_argument("--plans-per-goal", type=int, default=8)
    parser.add_argument("--plan-words", type=int, default=400, help="Prose words in each plan.")
    parser.add_argument("--rationale-chars", type=int, default=100)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--smoke", action="store_true", help="every grader at tiny sizes, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.graders = list(GRADERS)
        args.goals, args.plans_per_goal, args.items, args.plan_words = 1, 2, 2, 20
        args.rationale_chars = 10
    if args.threads:
        torch.set_num_threads(args.threads)

    goals = load_goals(args.goals, args.items)
    pairs = [(g, p) for g in goals for p in distinct_plans(g, args.plans_per_goal, args.plan_words)]
    warmup = Plan(id="warmup", sample_id=goals[0].id, model="bench", text="A warm-up plan.")
    runs: dict[str, tuple[list[Grade], float]] = {}
    for name in args.graders:
        grader = build_grader(name, args.grader, args.rationale_chars)
        grader.grade_many([(goals[0], warmup)])  # load models and compile schemas untimed
        runs[name] = timed(grader, pairs)

    items = sum(len(goal.rubric) for goal, _ in pairs)
    print(
        f"{len(pairs)} plans ({args.goals} goals x {args.plans_per_goal}) of ~{args.plan_words} "
        f"words, {items} rubric items; chat grader {args.grader}, "
        f"rationale <= {args.rationale_chars} chars; {torch.get_num_threads()} torch threads"
    )
    report(runs, items)


if __name__ == "__main__":
    main()
