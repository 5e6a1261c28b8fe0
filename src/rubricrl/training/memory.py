"""Freed memory stays in the training process instead of going back to the kernel.

glibc serves large allocations with mmap and unmaps them on free, so every step's activations,
logits and gradients come back as fresh pages, each a page fault the kernel zeroes: a GRPO step
on the CPU spent a large share of its time in the kernel that way. With mmap off and trimming
off, freed blocks stay in the heap and the next step reuses them (benchmarks/train_step.py
prints the step's user and sys seconds both ways). mallopt is glibc's; elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
KEEP = {M_MMAP_MAX: 0, M_TRIM_THRESHOLD: 2**31 - 1}  # no mmap; trim only past 2 GiB free
GLIBC_DEFAULTS = {M_MMAP_MAX: 65536, M_TRIM_THRESHOLD: 128 * 1024}


def keep_freed_memory(keep: bool = True) -> bool:
    """Keep freed memory for reuse (or go back to glibc's defaults); True when glibc took it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    mallopt = getattr(libc, "mallopt", None)  # musl has none
    if mallopt is None:
        return False
    settings = KEEP if keep else GLIBC_DEFAULTS
    return all(mallopt(option, value) == 1 for option, value in settings.items())
