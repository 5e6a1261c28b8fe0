"""Where extraction's time goes: `extract` on real papers, timed per phase.

Run: RUBRICRL_HOME=/tmp/rrhome .venv/bin/python benchmarks/extract.py [--demo] [--limit-s 600]
     [--smoke]
By default the two longest papers of ../shared/corpus go through `extract` with every default
(creator `embedded`); `--demo` runs the demo's papers with the demo's settings instead, and
`--smoke` the longest one with tiny budgets and lax rules, to check the script runs. Replies
are never served from the response cache. Per phase (prefill, then the insight, sample and
selection replies, whose seconds exclude their prefill) it prints seconds, tokens generated
against the budget, replies that hit the budget, and retries (a conversation asked again);
the prefill row counts the prompt tokens the model ran against all prompt tokens.
With `--limit-s`, a run still going then stops and prints what it has. With an `openai:`
creator it also prints the requests in flight; `--settings-of embedded` gives it the embedded
creator's budgets, so the two compare on the same work. Numbers depend on what else runs on
the machine's cores: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from rubricrl.backends.base import (
    ChatBackend,
    ChoiceProbs,
    Completion,
    Conversation,
    JsonSchema,
    Sampling,
)
from rubricrl.backends.local import LocalBackend
from rubricrl.backends.openai_compat import OpenAIBackend
from rubricrl.backends.registry import load_backend
from rubricrl.corpus.creator_defaults import RulesGiven, creator_defaults
from rubricrl.corpus.extract import ExtractConfig, extract
from rubricrl.corpus.ingest import ingest
from rubricrl.jsonl import load_records, write_records
from rubricrl.layout import RunLayout
from rubricrl.model_spec import ModelSpec
from rubricrl.records import Paper

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PHASES = {"insights": "insights", "goal": "samples", "keep": "selection"}
SMOKE = {  # lax rules, so a 135M creator's draft reaches the selection phase
    "insights": 1,
    "draft_items": 3,
    "max_paper_chars": 600,
    "max_goal_chars": 250,
    "max_item_chars": 60,
    "max_reference_chars": 200,
    "max_tokens": 480,  # a draft's shortest valid reply takes about 440
    "attempts": 1,
    "rules": RulesGiven(
        keep_items=2, min_items=2, min_item_words=1, leakage_threshold=1.0, duplicate_threshold=1.0
    ),
}


@dataclass
class Phase:
    seconds: float = 0.0
    prefill_seconds: float = 0.0
    prefilled: int = 0  # prompt tokens the model ran (the rest came from stored prefixes)
    prompt_tokens: int = 0
    replies: int = 0
    tokens: int = 0
    budget: int = 0
    at_budget: int = 0
    retries: int = 0
    seen: Counter[str] = field(default_factory=Counter)


class PhaseMeter:
    """A ChatBackend wrapper that adds each call's numbers to the phase its schema names."""

    def __init__(self, inner: ChatBackend) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.phases = {name: Phase() for name in PHASES.values()}
        self.current = "insights"
        self.in_prefill = False

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        keys = (schema or {}).get("properties", {})
        self.current = next((PHASES[key] for key in keys if key in PHASES), "selection")
        phase = self.phases[self.current]
        for conversation in conversations:
            key = json.dumps(conversation)
            phase.retries += phase.seen[key] > 0
            phase.seen[key] += 1
        start = time.perf_counter()
        completions = self.inner.batch(conversations, sampling, schema)
        phase.seconds += time.perf_counter() - start
        phase.replies += len(completions)
        phase.budget += len(completions) * sampling.max_tokens
        phase.tokens += sum(c.completion_tokens for c in completions)
        phase.prompt_tokens += sum(c.prompt_tokens for c in completions)
        phase.at_budget += sum(r == "length" for c in completions for r in c.finish_reasons)
        return completions

    def choice_probs(
        self, conversations: list[Conversation], choices: tuple[str, ...]
    ) -> list[ChoiceProbs]:
        return self.inner.choice_probs(conversations, choices)

    def timed_prefill(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """`method` (a LocalBackend prefill) adding its seconds to the current phase."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self.in_prefill = True
            try:
                return method(*args, **kwargs)
            finally:
                self.in_prefill = False
                self.phases[self.current].prefill_seconds += time.perf_counter() - start

        return timed

    def count_prefilled(self, module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        """A forward pre-hook: adds the tokens a prefill forward runs to the current phase."""
        if self.in_prefill:
            self.phases[self.current].prefilled += kwargs["input_ids"].numel()


def longest(folder: Path, count: int) -> Path:
    """The corpus's `count` papers with the most text, as papers JSONL in `folder`."""
    everything = folder / "all.jsonl"
    ingest([CORPUS], everything)
    papers = load_records(everything, Paper)
    papers.sort(key=lambda p: -sum(len(s.text) for s in p.sections))
    chosen = folder / "chosen.jsonl"
    write_records(chosen, papers[:count])
    for paper in papers[:count]:
        chars = len(paper.title) + len(paper.abstract) + sum(len(s.text) for s in paper.sections)
        print(f"paper {paper.id}: {chars} characters of text")
    return chosen


def print_table(meter: PhaseMeter, total: float) -> None:
    print(
        f"{'phase':10} {'seconds':>8} {'replies':>7} {'tokens/budget':>15} {'at budget':>9} "
        f"{'retries':>7}"
    )
    prefill = sum(p.prefill_seconds for p in meter.phases.values())
    prompt = sum(p.prompt_tokens for p in meter.phases.values())
    run = sum(p.prefilled for p in meter.phases.values())
    print(f"{'prefill':10} {prefill:>8.1f} {'':>7} {f'{run}/{prompt}':>15}   (prompt tokens run)")
    for name, p in meter.phases.items():
        spent = f"{p.tokens}/{p.budget}"
        print(
            f"{name:10} {p.seconds - p.prefill_seconds:>8.1f} {p.replies:>7} {spent:>15} "
            f"{p.at_budget:>9} {p.retries:>7}"
        )
    print(f"{'total':10} {total:>8.1f}   (wall time of extract, model loading excluded)")


class InFlight:
    """Counts an OpenAIBackend's HTTP requests in flight: the most at once, and the mean over
    the time any was."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.weighted = self.busy = 0.0
        self._since = time.perf_counter()

    def _tick(self) -> None:
        moment = time.perf_counter()
        if self.now:
            self.weighted += self.now * (moment - self._since)
            self.busy += moment - self._since
        self._since = moment

    def wrap(self, post: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self._tick()
            self.now += 1
            self.most = max(self.most, self.now)
            try:
                return await post(*args, **kwargs)
            finally:
                self._tick()
                self.now -= 1

        return counted

    def summary(self) -> str:
        mean = self.weighted / self.busy if self.busy else 0.0
        return f"requests in flight: at most {self.most}, mean {mean:.1f} while any was"


class TimeUp(Exception):
    """The run passed --limit-s."""


def stop(signum: int, frame: FrameType | None) -> None:
    raise TimeUp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="the demo's papers and settings")
    parser.add_argument(
        "--creator", type=ModelSpec.parse, default="embedded", help="model spec of the creator"
    )
    parser.add_argument(
        "--settings-of",
        type=ModelSpec.parse,
        default=None,
        help="use this spec's creator defaults (compare creators)",
    )
    parser.add_argument("--limit-s", type=int, default=0, help="stop after this many seconds")
    parser.add_argument(
        "--no-reuse", action="store_true", help="local backend: prefill every prompt whole"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="extract-bench-"))
    if args.demo:
        run = RunLayout(folder)
        ingest([REPO / "examples" / "papers"], run.papers)
        config = ExtractConfig(papers=run.papers, output=run.samples, creator=args.creator)
    else:
        papers, output = longest(folder, 1 if args.smoke else 2), folder / "samples.jsonl"
        config = ExtractConfig(papers=papers, output=output, creator=args.creator)
    if args.settings_of:
        chosen = creator_defaults(args.settings_of)
        config = replace(config, **vars(chosen) | {"rules": RulesGiven(**vars(chosen.rules))})
    if args.smoke:
        config = replace(config, **SMOKE)
    inner = load_backend(config.creator, cache=False)
    meter = PhaseMeter(inner)
    if isinstance(inner, LocalBackend):
        inner.reuse_prefixes = not args.no_reuse
        inner._prefill = meter.timed_prefill(inner._prefill)
        inner.model.register_forward_pre_hook(meter.count_prefilled, with_kwargs=True)
    in_flight = InFlight()
    if isinstance(inner, OpenAIBackend):
        inner._post = in_flight.wrap(inner._post)
    print(f"config: {config}")
    print(f"load average before: {os.getloadavg()}")
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(args.limit_s)
    start = time.perf_counter()
    try:
        report = extract(config, meter)
        print(report.to_json())
    except TimeUp:
        print(f"stopped at --limit-s {args.limit_s}: extract had not finished")
    total = time.perf_counter() - start
    print(f"load average after: {os.getloadavg()}")
    print_table(meter, total)
    if isinstance(inner, OpenAIBackend):
        print(in_flight.summary())


if __name__ == "__main__":
    main()
