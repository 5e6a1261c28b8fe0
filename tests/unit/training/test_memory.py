"""Freed memory kept in the process: a large block freed stays resident for the next step."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rubricrl.training.memory import keep_freed_memory

BLOCK = 64 << 20  # far above glibc's mmap threshold

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


@pytest.fixture(autouse=True)
def glibc_defaults_after() -> Iterator[None]:
    yield
    keep_freed_memory(False)


def resident() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def given_back_on_free() -> int:
    """Bytes the process hands back to the kernel when a block of BLOCK written bytes is freed."""
    block = b"x" * BLOCK
    before = resident()
    del block
    return before - resident()


def test_a_freed_block_stays_in_the_process_once_kept() -> None:
    assert keep_freed_memory(False)
    assert given_back_on_free() > BLOCK // 2  # unmapped on free
    assert keep_freed_memory()
    assert given_back_on_free() < BLOCK // 8  # kept in the heap for reuse
