"""Choice probabilities on the real embedded model equal a plain full forward pass per prompt."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from rubricrl.backends.base import Conversation, user
from rubricrl.backends.local import MIN_SHARED_PREFIX, LocalBackend
from rubricrl.backends.prefixes import plan_prefix_groups
from rubricrl.errors import InputError

pytestmark = pytest.mark.model

SYSTEM = (
    "You grade research plans against one rubric item at a time. Read the goal and the plan,"
    " then answer Yes if the plan satisfies the item and No if it does not."
)
PLANS = [
    "Goal: slow coral bleaching. Plan: grow coral fragments in tanks at three temperatures for"
    " six months, with shaded tanks as controls, and measure symbiont density every month.",
    "Goal: recover more lithium from old batteries. Plan: compare two leaching methods on"
    " shredded cells from three suppliers and report the yield and cost of each.",
]
ITEMS = ["Does the plan name a control?", "Does the plan give a timeline?", "Is a cost given?"]
CHOICES = ("Yes", "No")


def conversations() -> list[Conversation]:
    """Two plans of three items under one system prompt, and one prompt sharing nothing."""
    graded = [user(f"{plan}\n\nRubric item: {item}", SYSTEM) for plan in PLANS for item in ITEMS]
    return [*graded, user("Is the sky blue?")]


def full_forward(backend: LocalBackend, conversation: Conversation) -> dict[str, float]:
    """The reference: one prompt, no cache, choice tokens read from the prompt and choice joined."""
    text = str(
        backend.tokenizer.apply_chat_template(
            [dict(m) for m in conversation], tokenize=False, add_generation_prompt=True
        )
    )
    prompt = backend.tokenizer(text, add_special_tokens=False).input_ids
    ids = [
        backend.tokenizer(text + c, add_special_tokens=False).input_ids[len(prompt)]
        for c in CHOICES
    ]
    with torch.inference_mode():
        logits = backend.model(input_ids=torch.tensor([prompt])).logits[0, -1].float()
    return dict(zip(CHOICES, torch.softmax(logits, dim=-1)[ids].tolist(), strict=True))


@pytest.mark.parametrize("reuse", [True, False])
def test_equal_to_a_full_forward_pass(
    embedded_in: Callable[[str], LocalBackend], monkeypatch: pytest.MonkeyPatch, reuse: bool
) -> None:
    backend = embedded_in("float32")
    monkeypatch.setattr(backend, "reuse_prefixes", reuse)
    monkeypatch.setattr(backend, "micro_batch", 2)  # several chunks per group, padding included
    found = backend.choice_probs(conversations(), CHOICES)
    differences = [
        abs(got.probs[c] - want[c])
        for got, want in zip(
            found, (full_forward(backend, c) for c in conversations()), strict=True
        )
        for c in CHOICES
    ]
    assert max(differences) < 1e-4
    assert all(0 < result.mass <= 1 for result in found)


def test_the_graded_prompts_share_two_levels_of_prefix(
    embedded_in: Callable[[str], LocalBackend],
) -> None:
    """The case above really reuses prefixes: system prompt, then each plan."""
    backend = embedded_in("float32")
    prompts = [backend._encode(c) for c in conversations()]
    root = plan_prefix_groups(prompts, MIN_SHARED_PREFIX)
    (system,) = root.groups
    assert root.own == (6,) and system.own == ()
    assert sorted(sorted(plan.own) for plan in system.groups) == [[0, 1, 2], [3, 4, 5]]
    assert system.length < min(plan.length for plan in system.groups)


def test_choices_alike_at_their_first_token_are_refused(
    embedded_in: Callable[[str], LocalBackend],
) -> None:
    with pytest.raises(InputError, match="'Yes' and 'Yes!' do not differ at their first token"):
        embedded_in("float32").choice_probs([user("Is it?")], ("Yes", "Yes!"))
