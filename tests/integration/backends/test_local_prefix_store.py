"""The local backend's store of long prompts: a later batch reuses an earlier prompt's prefix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.local import LONG_PROMPT, PREFIX_STORE_BYTES, LocalBackend
from rubricrl.backends.prefixes import PrefixStore

pytestmark = pytest.mark.model

PAPER = " ".join(
    f"Trial {i} measured the growth of strain {i % 7} at {20 + i} degrees." for i in range(60)
)


def test_a_paper_prefilled_once_serves_later_prompts_unchanged(
    embedded_in: Callable[[str], LocalBackend],
) -> None:
    backend = embedded_in("float32")
    backend.prefixes = PrefixStore(PREFIX_STORE_BYTES)
    insight = user(f"<paper>\n{PAPER}\n</paper>\n\nName the key insight.")
    samples = [user(f"<paper>\n{PAPER}\n</paper>\n\nInsight {k}: write a goal.") for k in (1, 2)]
    paper_tokens = len(backend._encode(insight))
    assert paper_tokens >= LONG_PROMPT
    greedy = Sampling(temperature=0, max_tokens=6)
    backend.batch([insight], greedy)
    assert len(backend.prefixes) == 1
    run: list[int] = []

    def count(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        run.append(kwargs["input_ids"].shape[1])

    hook = backend.model.register_forward_pre_hook(count, with_kwargs=True)
    try:
        reused = [c.text for c in backend.batch(samples, greedy)]
    finally:
        hook.remove()
    prefill = run[: len(samples)]  # one prefill per prompt, then one token per decoding step
    assert all(tokens < 20 for tokens in prefill)  # only what follows the paper
    backend.reuse_prefixes = False
    try:
        whole = [c.text for c in backend.batch(samples, greedy)]
    finally:
        backend.reuse_prefixes = True
    assert reused == whole
