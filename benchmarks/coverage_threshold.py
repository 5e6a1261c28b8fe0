"""Calibrating the coverage grader's threshold on hand-written paraphrases of the example rubrics.

Run: .venv/bin/python benchmarks/coverage_threshold.py [--encoder embed] [--smoke]
examples/rubric_paraphrases.jsonl holds, per rubric item of examples/research_plan_gen.jsonl, a
plan sentence that meets it in other words and a near miss on the same topic that does not.
Prints, per threshold, the balanced item accuracy on (a) the template probe plans, (b) the probe
plans with every item sentence swapped for its paraphrase, (c) near misses: each item against
the other items' paraphrases plus its own paraphrase (covered) or near miss (not covered); then
a logistic fit of covered ~ best cosine on (b) and (c), and the probe at the encoder's default
threshold (grading/coverage.py THRESHOLDS) and at 0.5.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from rich.console import Console

from rubricrl.backends.base import Completion, Conversation, Sampling
from rubricrl.backends.encoder import TextEncoder, load_encoder
from rubricrl.corpus.research_plan_gen import read_rows, sample_from_row
from rubricrl.grading.coverage import SCALE, CoverageGrader, CoverageGrading, split_sentences
from rubricrl.grading.probe import AUC_KINDS, probe_table, run_probe
from rubricrl.grading.probe_plans import ProbePlan, build_plans, item_sentence, rewrite
from rubricrl.model_spec import ModelSpec
from rubricrl.records import Sample

REPO = Path(__file__).resolve().parents[1]
GOALS = REPO / "examples" / "research_plan_gen.jsonl"
PARAPHRASES = REPO / "examples" / "rubric_paraphrases.jsonl"
Rows = dict[tuple[str, str], dict[str, str]]
Labelled = tuple[np.ndarray, np.ndarray]  # best cosines, covered flags


def load(goals: int | None) -> tuple[list[Sample], Rows]:
    """The first `goals` goals (all when None) and the paraphrase rows."""
    samples = [sample_from_row(row, None) for row in read_rows(str(GOALS), None, "train")][:goals]
    rows = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines()]
    return samples, {(row["sample_id"], row["item_id"]): row for row in rows}


class HandParaphrases:
    """A probe writer (the `batch` half of a backend) that swaps each templated item sentence
    of a plan for its hand-written paraphrase: a rewrite whose covered items stay known."""

    spec = "hand-paraphrases"

    def __init__(self, samples: list[Sample], rows: Rows) -> None:
        self.swaps = {
            item_sentence(item.text): rows[sample.id, item.id]["paraphrase"]
            for sample in samples
            for item in sample.rubric
        }

    def batch(
        self, conversations: list[Conversation], sampling: Sampling, schema: object = None
    ) -> list[Completion]:
        return [Completion(texts=[self._swap(c)]) for c in conversations]

    def _swap(self, conversation: Conversation) -> str:
        plan = conversation[-1]["content"].split("Plan:\n", 1)[1]
        for template, paraphrase in self.swaps.items():
            plan = plan.replace(template, paraphrase)
        return plan


def probe_cosines(grader: CoverageGrader, plans: list[ProbePlan]) -> Labelled:
    """Best cosines (read back from the probability) and labels of the probe plans' items."""
    grades = grader.grade_many([(plan.sample, plan.plan()) for plan in plans])
    cosines, covered = [], []
    for plan, grade in zip(plans, grades, strict=True):
        if plan.kind not in AUC_KINDS:
            continue
        for verdict in grade.verdicts:
            p = min(max(verdict.probability or 0.0, 1e-12), 1 - 1e-12)
            cosines.append(grader.threshold + SCALE * math.log(p / (1 - p)))
            covered.append(verdict.item_id in plan.covered)
    return np.array(cosines), np.array(covered)


def near_miss_cosines(encoder: TextEncoder, samples: list[Sample], rows: Rows) -> Labelled:
    cosines, covered = [], []
    for sample in samples:
        said = {item.id: rows[sample.id, item.id]["paraphrase"] for item in sample.rubric}
        for item in sample.rubric:
            others = [text for key, text in said.items() if key != item.id]
            for last, label in (
                (said[item.id], True),
                (rows[sample.id, item.id]["near_miss"], False),
            ):
                pieces = split_sentences(" ".join([*others, last]))
                vectors = encoder.encode([item.text, *pieces])
                cosines.append(float((vectors[1:] @ vectors[0]).max()))
                covered.append(label)
    return np.array(cosines), np.array(covered)


def balanced_accuracy(data: Labelled, threshold: float) -> float:
    cosines, covered = data
    return float(
        ((cosines[covered] >= threshold).mean() + (cosines[~covered] < threshold).mean()) / 2
    )


def logistic_fit(data: Labelled) -> tuple[float, float]:
    """Centre and scale of P(covered) = 1 / (1 + exp(-(cos - centre) / scale)), by Newton steps."""
    x, y = data[0], data[1].astype(float)
    w = np.zeros(2)
    design = np.stack([np.ones_like(x), x], axis=1)
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ w))
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        w = w + np.linalg.solve(hessian, design.T @ (y - p))
    return float(-w[0] / w[1]), float(1 / w[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="embed", help="Coverage grader spec.")
    parser.add_argument("--smoke", action="store_true", help="two goals, for CI")
    args = parser.parse_args()
    samples, rows = load(2 if args.smoke else None)
    encoder = load_encoder(ModelSpec.parse(args.encoder).target)
    writer = HandParaphrases(samples, rows)
    grader = CoverageGrader(encoder, CoverageGrading(threshold=0.5))
    template = build_plans(samples)
    data = {
        "template probe": probe_cosines(grader, template),
        "paraphrase probe": probe_cosines(grader, rewrite(template, writer)),
        "near misses": near_miss_cosines(encoder, samples, rows),
    }
    grid = [round(0.30 + 0.01 * k, 2) for k in range(31)]
    print(f"balanced item accuracy per threshold ({encoder.name}):")
    print(f"{'':<18}" + "".join(f"{t:>6.2f}" for t in grid[::3]))
    for name, labelled in data.items():
        row = "".join(f"{balanced_accuracy(labelled, t):>6.2f}" for t in grid[::3])
        best = max(grid, key=lambda t, d=labelled: balanced_accuracy(d, t))
        print(f"{name:<18}{row}   best {best:.2f} ({balanced_accuracy(labelled, best):.2f})")
    for name in ("paraphrase probe", "near misses"):
        centre, scale = logistic_fit(data[name])
        print(f"logistic fit on {name}: centre {centre:.3f}, scale {scale:.3f}")
    both = tuple(
        np.concatenate([data["paraphrase probe"][k], data["near misses"][k]]) for k in (0, 1)
    )
    centre, scale = logistic_fit((both[0], both[1]))
    print(f"logistic fit on both: centre {centre:.3f}, scale {scale:.3f} (SCALE = {SCALE})")
    results = []
    for threshold in sorted({0.5, CoverageGrader(encoder).threshold}):
        grader = CoverageGrader(encoder, CoverageGrading(threshold=threshold))
        results += [run_probe(samples, grader), run_probe(samples, grader, writer=writer)]
    Console(width=220).print(probe_table(results))


if __name__ == "__main__":
    main()
