"""Choice probabilities on the local backend: prefix reuse vs every prompt run whole, side by side.

Run: .venv/bin/python benchmarks/choice_probs.py [--plans 8] [--items 10] [--plan-words 400]
     [--smoke]
Each prompt is one rubric item of one plan, as a per-item grader asks it: a system prompt with
the guidelines shared by all, then goal, reference and plan shared by that plan's items, the
item last. Prints seconds for each way, their ratio, the tokens each runs, and how far apart the
two ways' probabilities are. Numbers depend on what else runs on the cores; compare one run's rows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from rubricrl.backends.base import ChoiceProbs, Conversation, user
from rubricrl.backends.embedded import embedded_model_dir
from rubricrl.backends.local import DTYPES, MIN_SHARED_PREFIX, LocalBackend
from rubricrl.backends.prefixes import PrefixGroup, plan_prefix_groups
from rubricrl.grading.guidelines import GUIDELINES

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "examples" / "research_plan_gen.jsonl"
DEMO = REPO / "examples" / "papers"
CHOICES = ("Yes", "No")
SYSTEM = (
    "You are an expert reviewer grading a research plan against one rubric item. Check the"
    " item against each of these general guidelines:\n{guidelines}\nAnswer Yes if the plan"
    " satisfies the item and every guideline, otherwise No."
)


def prompts(plans: int, items: int, words: int) -> list[Conversation]:
    """`plans` plans of `words` words (windows on demo-paper prose), each asked `items` items."""
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
    pool = list(dict.fromkeys(text for row in rows for text in row["Rubric"]))
    prose = " ".join(p.read_text(encoding="utf-8") for p in sorted(DEMO.glob("*.md"))).split()
    system = SYSTEM.format(guidelines="\n".join(f"- {g}" for g in GUIDELINES))
    conversations = []
    for n in range(plans):
        row = rows[n % len(rows)]
        start = n * len(prose) // plans  # plans differ from their first word, as real ones do
        body = " ".join((prose * (2 + words // len(prose)))[start : start + words])
        head = f"Goal: {row['Goal']}\n\nReference solution: {row['Reference solution']}"
        for item in (pool * items)[n : n + items]:
            content = f"{head}\n\nPlan: {body}\n\nRubric item: {item}\nYes or No?"
            conversations.append(user(content, system))
    return conversations


def tokens_run(group: PrefixGroup, prompts: list[list[int]], start: int = 0) -> int:
    """Tokens the plan sends through the model (padding left out)."""
    own = sum(len(prompts[i]) - group.length for i in group.own)
    below = sum(tokens_run(sub, prompts, group.length) for sub in group.groups)
    return group.length - start + own + below


def timed(
    backend: LocalBackend, conversations: list[Conversation], repeat: int
) -> tuple[float, list[ChoiceProbs]]:
    """Best of `repeat` runs: neighbours on shared cores make single runs noisy."""
    best, found = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        found = backend.choice_probs(conversations, CHOICES)
        best = min(best, time.perf_counter() - start)
    return best, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=8)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--plan-words", type=int, default=400)
    parser.add_argument("--dtype", choices=sorted(DTYPES), help="default: the backend's choice")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per way; the best counts")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.plans, args.items, args.plan_words, args.repeat = 2, 2, 20, 1
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = DTYPES[args.dtype] if args.dtype else None

    backend = LocalBackend.from_pretrained(embedded_model_dir(), dtype=dtype, spec="embedded")
    conversations = prompts(args.plans, args.items, args.plan_words)
    encoded = [backend._encode(c) for c in conversations]
    backend.choice_probs(conversations[:2], CHOICES)  # warm kernels up

    backend.reuse_prefixes = True
    reused, with_reuse = timed(backend, conversations, args.repeat)
    backend.reuse_prefixes = False
    whole, without = timed(backend, conversations, args.repeat)
    gap = max(
        abs(a.probs[c] - b.probs[c])
        for a, b in zip(with_reuse, without, strict=True)
        for c in CHOICES
    )
    shared = tokens_run(plan_prefix_groups(encoded, MIN_SHARED_PREFIX), encoded)
    print(
        f"{len(conversations)} prompts ({args.plans} plans x {args.items} items,"
        f" {sum(map(len, encoded)) // len(encoded)} tokens each on average),"
        f" {backend.model.dtype}, {torch.get_num_threads()} threads, micro-batch {backend.micro_batch}"
    )
    print(f"prefix reuse:     {reused:6.2f} s  {shared:6d} tokens run")
    print(f"no prefix reuse:  {whole:6.2f} s  {sum(map(len, encoded)):6d} tokens run")
    print(f"ratio:            {whole / reused:6.2f}x faster with reuse")
    print(f"max |P difference| between the two: {gap:.1e}")


if __name__ == "__main__":
    main()
