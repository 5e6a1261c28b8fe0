"""Backend speed side by side: local tokens/s at batch 1 and 8 (and 8 with sdpa decode steps, the
old path), cache replay, peak RSS, llama.cpp.

Run: RUBRICRL_HOME=/tmp/rrhome .venv/bin/python benchmarks/backends.py [--max-tokens 64] [--smoke]
Numbers depend on what else runs on the machine's cores; compare rows of one run.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from unittest.mock import patch

import torch

from rubricrl.backends import local as local_module
from rubricrl.backends.base import ChatBackend, Conversation, Sampling, user
from rubricrl.backends.cache import CachedBackend, ResponseCache
from rubricrl.backends.embedded import embedded_gguf
from rubricrl.backends.llama_server import LlamaServer
from rubricrl.backends.local import LocalBackend
from rubricrl.backends.registry import load_backend
from rubricrl.errors import InputError
from rubricrl.model_spec import EMBEDDED, ModelSpec

TOPICS = [
    "coral reef recovery",
    "battery recycling",
    "protein folding",
    "urban heat islands",
    "soil microbiomes",
    "gravitational waves",
    "language acquisition",
    "vaccine cold chains",
]


def prompts(count: int) -> list[Conversation]:
    return [
        user(f"Write a detailed research plan about {TOPICS[i % len(TOPICS)]}.")
        for i in range(count)
    ]


def tokens_per_second(
    backend: ChatBackend, conversations: list[Conversation], sampling: Sampling, repeat: int
) -> float:
    """Generated tokens per wall-clock second for one batch call (prefill included), the best
    of `repeat`: neighbours on shared cores make single runs noisy."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        completions = backend.batch(conversations, sampling)
        elapsed = time.perf_counter() - start
        best = max(best, sum(c.completion_tokens for c in completions) / elapsed)
    return best


def timed(backend: ChatBackend, conversations: list[Conversation], sampling: Sampling) -> float:
    start = time.perf_counter()
    backend.batch(conversations, sampling)
    return time.perf_counter() - start


def llama_server_row(sampling: Sampling, batch: int, repeat: int, log: Path) -> str:
    """The llama.cpp server's tokens/s on the same batch, or why it was skipped."""
    try:
        with LlamaServer(embedded_gguf(), log=log) as running:
            server = load_backend(ModelSpec.parse(running.spec), cache=False)
            server.batch(prompts(1), Sampling(temperature=0, max_tokens=4))
            return f"{tokens_per_second(server, prompts(batch), sampling, repeat):.1f} tok/s"
    except InputError as error:
        return f"skipped: {error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per row; the best counts")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.max_tokens, args.batch, args.repeat = 4, 2, 1
    if args.threads:
        torch.set_num_threads(args.threads)
    # temperature 0 with a long-answer prompt keeps most rows generating to max_tokens.
    sampling = Sampling(temperature=0, max_tokens=args.max_tokens)

    local = LocalBackend.from_spec(EMBEDDED)
    local.batch(prompts(2), Sampling(temperature=0, max_tokens=4))  # warm kernels up
    single = tokens_per_second(local, prompts(1), sampling, args.repeat)
    batched = tokens_per_second(local, prompts(args.batch), sampling, args.repeat)
    print(
        f"local ({local.model.dtype}, {torch.get_num_threads()} threads) batch 1:  {single:.1f} tok/s"
    )
    print(
        f"local batch {args.batch}:          {batched:.1f} tok/s  ({batched / single:.1f}x batch 1)"
    )
    # the old path: the model's sdpa attention for decode steps too, not eager on CPU
    with patch.object(local_module, "decode_attention", lambda model: nullcontext()):
        sdpa = tokens_per_second(local, prompts(args.batch), sampling, args.repeat)
    print(f"local batch {args.batch}, sdpa decode: {sdpa:.1f} tok/s  (eager {batched / sdpa:.2f}x)")

    with tempfile.TemporaryDirectory() as folder:
        cached = CachedBackend(local, ResponseCache(Path(folder) / "cache.sqlite"))
        cold = timed(cached, prompts(args.batch), sampling)
        warm = timed(cached, prompts(args.batch), sampling)
        print(
            f"cache replay:          cold {cold:.2f} s, warm {warm * 1000:.2f} ms ({cold / warm:.0f}x)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
        print(f"peak RSS:              {peak:.2f} GiB")
        server = llama_server_row(sampling, args.batch, args.repeat, Path(folder) / "server.log")
        print(f"llama.cpp server b{args.batch}:   {server}")


if __name__ == "__main__":
    main()
