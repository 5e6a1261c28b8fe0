"""Item calls per second from a served grader with latency, at 1 to 256 requests in flight.

Run: .venv/bin/python benchmarks/grader_throughput.py [--latency 0.5] [--in-flight 1 8 64 256]
     [--rounds 4] [--smoke]
An item call is one choice-probability request one token long, as probability verdicts send per
rubric item. The server is the test suite's fault server, answering every request healthily
after `--latency` seconds: a stand-in for vLLM or SGLang on GPUs of their own, where what bounds
a step's reward is how many item calls are in flight. Each level sends `in flight x --rounds`
calls through one OpenAIBackend.choice_probs call and prints calls/s against the ideal
(in flight / latency), the most requests the server saw at once, whether every call came back
exactly once, and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from rubricrl.backends.base import user
from rubricrl.backends.openai_compat import OpenAIBackend
from rubricrl.backends.retry import Limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fault_server import Fault, FaultServer


def one_level(in_flight: int, calls: int, latency: float) -> str:
    """The table row of `calls` item calls, `in_flight` at a time."""
    items = [user(f"Is item {k} met by the plan? Answer Yes or No.") for k in range(calls)]
    with FaultServer(Fault("slow", hang=latency)) as server:
        limits = Limits(retries=0, concurrency=in_flight)  # a retry would count a call twice
        backend = OpenAIBackend(server.base_url, server.model, limits=limits)
        started = time.perf_counter()
        probabilities = backend.choice_probs(items, ("Yes", "No"))
        seconds = time.perf_counter() - started
        asked = Counter(r.body["messages"][0]["content"] for r in server.chat_requests)
    once = len(probabilities) == calls and set(asked.values()) == {1} and len(asked) == calls
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB on Linux
    rate, ideal = calls / seconds, in_flight / latency
    cells = (in_flight, calls, f"{seconds:.2f}", f"{rate:.1f}", f"{rate / ideal:.0%}")
    tail = (server.max_in_flight, "yes" if once else "NO", f"{peak:.0f}")
    return "".join(f"{cell:>11}" for cell in (*cells, *tail))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per request")
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 8, 64, 256])
    parser.add_argument("--rounds", type=int, default=4, help="calls per level / in flight")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.latency, args.in_flight, args.rounds = 0.05, [1, 8], 2
    names = ("in flight", "calls", "seconds", "calls/s", "of ideal", "server max", "once each")
    print(f"latency {args.latency} s per request")
    print("".join(f"{name:>11}" for name in (*names, "peak MiB")))
    for in_flight in args.in_flight:
        print(one_level(in_flight, in_flight * args.rounds, args.latency), flush=True)


if __name__ == "__main__":
    main()
