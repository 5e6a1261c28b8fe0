"""Freed memory kept in the process: a block freed and asked for again costs no page faults."""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator

import pytest

from rubricrl.training.memory import keep_freed_memory

BLOCK = 64 << 20  # far above glibc's mmap threshold

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


@pytest.fixture(autouse=True)
def glibc_defaults_after() -> Iterator[None]:
    yield
    keep_freed_memory(False)


def faults_when_reused() -> int:
    """Page faults of filling a block of BLOCK bytes the second time it is asked for."""
    first = bytearray(BLOCK)
    del first
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    second = bytearray(BLOCK)
    del second
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_a_reused_block_comes_from_the_heap_once_kept() -> None:
    assert keep_freed_memory(False)
    returned = faults_when_reused()
    assert keep_freed_memory()
    kept = faults_when_reused()
    assert returned > BLOCK // 4096 // 2  # unmapped on free, faulted back in page by page
    assert kept < returned // 10
