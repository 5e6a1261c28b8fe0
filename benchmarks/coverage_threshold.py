"""Calibrating the coverage grader's threshold on hand-written paraphrases of the example rubrics.

Run: .venv/bin/python benchmarks/coverage_threshold.py [--encoder embed]
examples/rubric_paraphrases.jsonl holds, per rubric item of examples/research_plan_gen.jsonl, a
plan sentence that meets it in other words and a near miss on the same topic that does not.
Each item's best cosine against a plan holding its paraphrase (with the other items' paraphrases)
is a positive; against the same plan with its near miss instead, a hard negative. Prints both
distributions, the accuracy of each threshold, and the known-answer probe with the template
plans and with the plans rewritten into the paraphrases.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from rich.console import Console

from rubricrl.backends.base import Conversation
from rubricrl.backends.encoder import load_encoder
from rubricrl.backends.fake import FakeBackend
from rubricrl.backends.registry import ModelSpec
from rubricrl.corpus.research_plan_gen import read_rows, sample_from_row
from rubricrl.grading.coverage import CoverageGrader, split_sentences
from rubricrl.grading.grader import GradingConfig
from rubricrl.grading.probe import probe_table, run_probe
from rubricrl.grading.probe_plans import item_sentence
from rubricrl.records import Sample

REPO = Path(__file__).resolve().parents[1]
GOALS = REPO / "examples" / "research_plan_gen.jsonl"
PARAPHRASES = REPO / "examples" / "rubric_paraphrases.jsonl"


def load() -> tuple[list[Sample], dict[tuple[str, str], dict[str, str]]]:
    samples = [sample_from_row(row, None) for row in read_rows(str(GOALS), None, "train")]
    rows = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines()]
    return samples, {(row["sample_id"], row["item_id"]): row for row in rows}


def paraphrasing_writer(
    samples: list[Sample], rows: dict[tuple[str, str], dict[str, str]]
) -> FakeBackend:
    """A writer that swaps each templated item sentence of a plan for its hand paraphrase."""
    swaps = {
        item_sentence(item.text): rows[sample.id, item.id]["paraphrase"]
        for sample in samples
        for item in sample.rubric
    }

    def respond(conversation: Conversation) -> str:
        plan = conversation[-1]["content"].split("Plan:\n", 1)[1]
        for template, paraphrase in swaps.items():
            plan = plan.replace(template, paraphrase)
        return plan

    return FakeBackend(respond, spec="hand-paraphrases")


def best_cosines(encoder_spec: str, samples: list[Sample], rows: dict) -> tuple[list, list]:
    """Per item: best cosine against its paraphrase plan, and against its near-miss plan."""
    encoder = load_encoder(ModelSpec.parse(encoder_spec).target)
    positives, negatives = [], []
    for sample in samples:
        said = {item.id: rows[sample.id, item.id]["paraphrase"] for item in sample.rubric}
        for item in sample.rubric:
            others = [text for key, text in said.items() if key != item.id]
            for plan, out in (
                ([*others, said[item.id]], positives),
                ([*others, rows[sample.id, item.id]["near_miss"]], negatives),
            ):
                pieces = split_sentences(" ".join(plan))
                vectors = encoder.encode([item.text, *pieces])
                out.append(float((vectors[1:] @ vectors[0]).max()))
    return positives, negatives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="embed", help="Coverage grader spec.")
    args = parser.parse_args()
    samples, rows = load()
    pos, neg = best_cosines(args.encoder, samples, rows)
    print(f"{len(pos)} items; best cosine, paraphrase: {np.round(sorted(pos), 2)}")
    print(f"{len(neg)} items; best cosine, near miss:  {np.round(sorted(neg), 2)}")
    grid = np.round(np.arange(0.30, 0.81, 0.01), 2)
    accuracy = [(np.sum(np.array(pos) >= t) + np.sum(np.array(neg) < t)) / (2 * len(pos)) for t in grid]
    best = max(accuracy)
    print("threshold accuracy (covered and near-miss items, balanced):")
    print("  " + "  ".join(f"{t:.2f}:{a:.2f}" for t, a in zip(grid, accuracy, strict=True) if round(t * 100) % 5 == 0))
    tops = [t for t, a in zip(grid, accuracy, strict=True) if a == best]
    print(f"best accuracy {best:.3f} for thresholds {tops[0]:.2f}..{tops[-1]:.2f}")
    writer = paraphrasing_writer(samples, rows)
    results = []
    for threshold in sorted({0.5, float(GradingConfig().threshold)}):
        grader = CoverageGrader.from_spec(args.encoder, GradingConfig(threshold=threshold))
        results.append(run_probe(samples, grader))
        results.append(run_probe(samples, grader, writer=writer))
    Console(width=220).print(probe_table(results))


if __name__ == "__main__":
    main()
