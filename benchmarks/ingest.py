"""Papers per second per format, parsing ../shared/corpus and examples/papers in one run.

Run: .venv/bin/python benchmarks/ingest.py [--repeat N] [--smoke]
Each file is parsed N times (default 5) and the best time counts, which damps noise from
other processes on a shared machine. Files that fail (the corpus's broken/ ones) are counted
apart and not timed.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path

from rubricrl.corpus.ingest import IngestReport, discover, read_paper
from rubricrl.errors import InputError

REPO = Path(__file__).resolve().parents[1]
CORPORA = {"shared": REPO.parent / "shared" / "corpus", "demo": REPO / "examples" / "papers"}


def best_seconds(path: Path, repeat: int) -> tuple[str, float]:
    """The paper's format and the fastest of `repeat` parses."""
    timings, paper_format = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        paper_format = read_paper(path).format
        timings.append(time.perf_counter() - start)
    return paper_format, min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="parses per file; the best counts")
    parser.add_argument("--smoke", action="store_true", help="one parse per file, for CI")
    args = parser.parse_args()
    repeat = 1 if args.smoke else args.repeat
    print(f"{'corpus':8} {'format':7} {'papers':>6} {'seconds':>8} {'papers/s':>9}")
    for name, root in CORPORA.items():
        if not root.is_dir():
            print(f"{name:8} (missing: {root})")
            continue
        seconds: dict[str, list[float]] = defaultdict(list)
        failed: dict[str, int] = defaultdict(int)
        for path in discover([root], IngestReport(Path(os.devnull))):  # nothing is written
            try:
                paper_format, elapsed = best_seconds(path, repeat)
            except InputError:
                failed[path.suffix.lower()] += 1
                continue
            seconds[paper_format].append(elapsed)
        for paper_format, times in sorted(seconds.items()):
            total = sum(times)
            print(
                f"{name:8} {paper_format:7} {len(times):>6} {total:>8.3f} {len(times) / total:>9.1f}"
            )
        for suffix, count in sorted(failed.items()):
            print(f"{name:8} failed: {count} {suffix} file(s), with a one-line reason each")


if __name__ == "__main__":
    main()
