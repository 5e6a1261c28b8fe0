"""Grading throughput on the embedded model: all items in one call vs one call per item, cold and warm.

Run: .venv/bin/python benchmarks/grading.py [--plans-per-goal 4] [--items 10] [--plan-words 400]
     .venv/bin/python benchmarks/grading.py --coverage-only  (just the `embed` coverage grader)
Plans and rubrics have the paper's sizes (10 items; plans of several hundred words), so the
all-in-one mode's saving (the long prompt is read once per plan, not once per item) is weighed
against its cost (the items' verdicts are decoded one after another instead of side by side).
Prints rubric items graded per second for each mode, their ratio, the warm-cache ratio, and how
often the two modes agree item by item. Then the coverage grader's items per second at the same
sizes with a GRPO group of plans per goal (8 by default), every plan sentence distinct so that
no encoding is shared between plans.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rubricrl.backends.cache import ResponseCache
from rubricrl.backends.registry import load_backend
from rubricrl.grading.agreement import agreement
from rubricrl.grading.coverage import split_sentences
from rubricrl.grading.grader import Grader, GradingConfig, Mode, PlanGrader
from rubricrl.grading.load import load_grader
from rubricrl.records import Grade, Plan, Provenance, RubricItem, Sample

MODES: tuple[Mode, ...] = ("all", "per-item")
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


def background(words: int) -> str:
    """About `words` words of real prose (the demo papers) standing in for a plan's body."""
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(DEMO.glob("*.md")))
    return " ".join(text.split()[:words])


def plans_for(sample: Sample, count: int, words: int) -> list[Plan]:
    """Plans of mixed quality built from the rubric, the reference and `words` words of prose."""
    steps = " ".join(f"Step {k}: {item.text}" for k, item in enumerate(sample.rubric, 1))
    reference, body = sample.reference_solution, background(words)
    texts = [
        f"<think>cover every requirement</think><solution>{reference} {steps} {body}</solution>",
        f"<solution>{body} {steps}</solution>",
        f"<solution>{reference} {body}</solution>",
        f"<solution>We will try a few methods and keep what works. {body}</solution>",
    ]
    return [
        Plan(id=f"{sample.id}-{k}", sample_id=sample.id, model="bench", text=texts[k % len(texts)])
        for k in range(count)
    ]


def distinct_plans(sample: Sample, count: int, words: int) -> list[Plan]:
    """`count` plans of about `words` words whose sentences all differ (half also state the items)."""
    prose = split_sentences(background(10**6))
    steps = " ".join(f"Step {k}: {item.text}" for k, item in enumerate(sample.rubric, 1))
    plans = []
    for k in range(count):
        body: list[str] = []
        n = 0
        while sum(len(s.split()) for s in body) < words:
            body.append(f"In {sample.id} plan {k} part {n}, {prose[(k * 7 + n) % len(prose)]}")
            n += 1
        text = (f"{steps} " if k % 2 == 0 else "") + " ".join(body)
        plans.append(Plan(id=f"{sample.id}-c{k}", sample_id=sample.id, model="bench", text=text))
    return plans


def coverage_benchmark(goals: list[Sample], plans_per_goal: int, words: int) -> None:
    """Items per second of the coverage grader: model load, first call, and a repeat."""
    pairs = [(g, p) for g in goals for p in distinct_plans(g, plans_per_goal, words)]
    items = sum(len(goal.rubric) for goal, _ in pairs)
    start = time.perf_counter()
    grader = load_grader("embed")
    grader.grade_many(pairs[:1])
    load = time.perf_counter() - start
    runs = [timed(grader, pairs)[1] for _ in range(2)]
    print(
        f"coverage grader {grader.name}: {len(pairs)} plans of ~{words} words, "
        f"{items} rubric items; load {load:.1f}s"
    )
    print(f"{'call':<22}{'seconds':>9}{'items/s':>10}{'plans/s':>10}")
    for name, seconds in zip(("first", "repeat"), runs, strict=True):
        print(f"{name:<22}{seconds:>9.2f}{items / seconds:>10.1f}{len(pairs) / seconds:>10.1f}")


def timed(grader: PlanGrader, pairs: list[tuple[Sample, Plan]]) -> tuple[list[Grade], float]:
    start = time.perf_counter()
    grades = grader.grade_many(pairs)
    return grades, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", default="embedded", help="Grader model spec.")
    parser.add_argument("--goals", type=int, default=2)
    parser.add_argument("--items", type=int, default=10, help="Rubric items per goal.")
    parser.add_argument("--plans-per-goal", type=int, default=2)
    parser.add_argument("--plan-words", type=int, default=400, help="Prose words in each plan.")
    parser.add_argument("--rationale-chars", type=int, default=100)
    parser.add_argument(
        "--coverage-plans-per-goal", type=int, default=8, help="Coverage grader: plans per goal."
    )
    parser.add_argument("--coverage-only", action="store_true", help="Skip the chat grader.")
    args = parser.parse_args()

    goals = load_goals(args.goals, args.items)
    if args.coverage_only:
        coverage_benchmark(goals, args.coverage_plans_per_goal, args.plan_words)
        return
    pairs = [
        (goal, plan)
        for goal in goals
        for plan in plans_for(goal, args.plans_per_goal, args.plan_words)
    ]
    items = sum(len(goal.rubric) for goal, _ in pairs)
    with tempfile.TemporaryDirectory() as folder:
        backend = load_backend(args.grader, cache=ResponseCache(Path(folder) / "cache.sqlite"))
        graders = {
            mode: Grader(backend, GradingConfig(mode=mode, rationale_chars=args.rationale_chars))
            for mode in MODES
        }
        warmup = Plan(
            id="warmup",
            sample_id=goals[0].id,
            model="bench",
            text="<solution>A warm-up.</solution>",
        )
        timed(graders["all"], [(goals[0], warmup)])  # load the model outside the timings
        runs: dict[Mode, tuple[list[Grade], float]] = {
            m: timed(g, pairs) for m, g in graders.items()
        }
        _, warm = timed(graders["all"], pairs)

    print(
        f"grader {args.grader}: {len(pairs)} plans, {items} rubric items, rationale <= {args.rationale_chars} chars"
    )
    print(f"{'mode':<22}{'seconds':>9}{'items/s':>10}{'unscored':>10}")
    for mode, (grades, seconds) in runs.items():
        unscored = sum(g.score is None for g in grades)
        print(f"{mode + ' (cold cache)':<22}{seconds:>9.2f}{items / seconds:>10.2f}{unscored:>10}")
    print(f"{'all (warm cache)':<22}{warm:>9.3f}{items / warm:>10.1f}")
    speedup = runs["per-item"][1] / runs["all"][1]
    print(f"all-in-one vs per-item: {speedup:.2f}x items/s (target >= 3x)")
    print(f"warm vs cold cache (all): {runs['all'][1] / warm:.0f}x items/s")
    agree = agreement(runs["all"][0], runs["per-item"][0])
    kappa = "n/a" if agree.kappa is None else f"{agree.kappa:.3f}"
    accuracy = "n/a" if agree.accuracy is None else f"{agree.accuracy:.3f}"
    print(
        f"mode agreement over {agree.verdicts} item verdicts: accuracy {accuracy}, Cohen's kappa {kappa}"
    )
    coverage_benchmark(goals, args.coverage_plans_per_goal, args.plan_words)


if __name__ == "__main__":
    main()
