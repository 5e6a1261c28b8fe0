"""Rollouts on a policy snapshot: the copy holds the live weights (LoRA merged) and decodes as they do."""

from __future__ import annotations

import copy

import pytest
import torch

from rubricrl.backends.base import Sampling
from rubricrl.backends.local import LocalBackend
from rubricrl.training.rollouts import PolicySnapshot, merged_weights
from tests.tiny_llama import EOS, tiny_model, tokenizer, trained_lora


def test_merged_weights_are_the_merged_model_and_leave_the_policy_as_it_was() -> None:
    policy = trained_lora(tiny_model())
    before = {n: p.clone() for n, p in policy.named_parameters()}
    merged = merged_weights(policy)
    expected = copy.deepcopy(policy).merge_and_unload()
    assert set(merged) == {name for name, _ in expected.named_parameters()}
    for name, parameter in expected.named_parameters():
        torch.testing.assert_close(merged[name], parameter)
    assert any(not torch.equal(merged[n], p) for n, p in tiny_model().named_parameters())
    for name, parameter in policy.named_parameters():
        assert torch.equal(parameter, before[name])


@pytest.mark.parametrize("lora", [False, True])
def test_the_snapshot_decodes_as_the_live_policy_does(lora: bool) -> None:
    policy = trained_lora(tiny_model()) if lora else tiny_model()
    if not lora:
        with torch.no_grad():
            next(policy.parameters()).add_(0.5)  # a full fine-tune moved a weight
    snapshot = PolicySnapshot(LocalBackend(tiny_model().requires_grad_(False), tokenizer()))
    snapshot.refresh(policy, step=3)
    prompts = [[5, 9, 2], [7, 3, 3, 8]]
    tokens = snapshot.generate(prompts, Sampling(temperature=0, max_tokens=12))
    live = policy.merge_and_unload() if lora else policy
    for prompt, got in zip(prompts, tokens, strict=True):
        ids = torch.tensor([prompt])
        out = live.generate(input_ids=ids, max_new_tokens=12, do_sample=False, eos_token_id=EOS)
        assert got == out[0, len(prompt) :].tolist()


def test_the_snapshot_copies_once_per_optimizer_step() -> None:
    policy = tiny_model()
    snapshot = PolicySnapshot(LocalBackend(tiny_model(), tokenizer()))
    snapshot.refresh(policy, step=1)
    weight = next(snapshot.backend.model.parameters())
    with torch.no_grad():
        next(policy.parameters()).add_(1.0)
    snapshot.refresh(policy, step=1)
    assert not torch.equal(weight, next(policy.parameters()))
    snapshot.refresh(policy, step=2)
    assert torch.equal(weight, next(policy.parameters()))
