"""What schema-constrained decoding costs on the local backend, and what keeps replies in budget.

Times one sampled batch under a grader's JSON schema at a loose and a tight token budget, and
the share of that time spent in the grammar: token masks, and accepting tokens with the way-out
check that steers a reply to close before its budget runs out.

Run: .venv/bin/python benchmarks/constrained.py [--rows 16] [--items 3] [--smoke]
Numbers depend on what else runs on the machine's cores; compare rows of one run.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import jsonschema
import torch

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.constrained import GrammarRows
from rubricrl.backends.local import LocalBackend
from rubricrl.grading.schema import verdict_schema
from rubricrl.model_spec import EMBEDDED

PROMPT = (
    "Grade this plan against three rubric items (1: has a control group, 2: states the "
    "metric, 3: names a dataset) and reply as JSON.\nPlan: compare dropout rates on CIFAR-10."
)


class Stopwatch:
    """Adds up the seconds spent inside the wrapped methods."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--items", type=int, default=3, help="verdicts in the reply schema")
    parser.add_argument("--rationale-chars", type=int, default=60)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.items, args.rationale_chars = 1, 1, 10
    labels = [str(k) for k in range(1, args.items + 1)]
    schema = verdict_schema(labels, guidelines=7, rationale_chars=args.rationale_chars)
    local = LocalBackend.from_spec(EMBEDDED)
    conversation = user(PROMPT)
    shortest = local.tokens_to_close(schema)
    local.batch([conversation], Sampling(max_tokens=shortest, seed=0), schema)  # warm up
    grammar = Stopwatch()
    GrammarRows.mask = grammar.wrap(GrammarRows.mask)  # type: ignore[method-assign]
    GrammarRows.accept = grammar.wrap(GrammarRows.accept)  # type: ignore[method-assign]
    print(
        f"local ({local.model.dtype}, {torch.get_num_threads()} threads), {args.rows} rows, "
        f"shortest valid reply {shortest} tokens"
    )
    loose = 16 + args.items * (args.rationale_chars + 48)  # the grader's own budget
    for budget in (loose, shortest + 8):
        grammar.seconds = 0.0
        sampling = Sampling(temperature=1.0, max_tokens=budget, n=args.rows, seed=1)
        start = time.perf_counter()
        texts = local.batch([conversation], sampling, schema)[0].texts
        elapsed = time.perf_counter() - start
        valid = sum(
            jsonschema.Draft202012Validator(schema).is_valid(json.loads(text)) for text in texts
        )
        print(
            f"max_tokens {budget:>3}: {elapsed:6.2f} s, grammar {grammar.seconds:5.2f} s "
            f"({grammar.seconds / elapsed:.1%}), valid replies {valid}/{len(texts)}"
        )


if __name__ == "__main__":
    main()
