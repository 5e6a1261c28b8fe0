"""A LoRA adapter folder (what `train --lora true` saves) loads as `hf:DIR`, merged into its base."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from peft.tuners.lora import LoraLayer
from transformers import LlamaForCausalLM

from rubricrl.backends.local import LocalBackend, resolve_model_path
from rubricrl.errors import InputError
from tests.tiny_llama import tiny_model, tokenizer, trained_lora


def saved_adapter(root: Path) -> tuple[Path, torch.nn.Module]:
    """A base model folder and an adapter folder over it (tokenizer saved beside, as TRL does)."""
    tiny_model().save_pretrained(root / "base")
    base = LlamaForCausalLM.from_pretrained(root / "base")  # the adapter records this path
    policy = trained_lora(base)
    policy.save_pretrained(root / "adapter")
    tokenizer().save_pretrained(root / "adapter")
    return root / "adapter", policy


def test_an_adapter_loads_merged_and_computes_as_the_trained_policy(tmp_path: Path) -> None:
    adapter, policy = saved_adapter(tmp_path)
    expected = copy.deepcopy(policy).merge_and_unload().eval()
    loaded = LocalBackend.from_pretrained(adapter, device="cpu", dtype=torch.float32)
    ids = torch.tensor([[3, 5, 7, 9]])
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(ids).logits, expected(ids).logits)
    layers = [m for m in loaded.model.modules() if isinstance(m, LoraLayer)]
    assert layers and all(layer.merged for layer in layers)  # folded in: no extra matmuls


def test_a_folder_with_neither_model_nor_adapter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a transformers model or LoRA adapter"):
        resolve_model_path(str(tmp_path))
