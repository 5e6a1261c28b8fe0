"""GRPO rollouts through rubricrl's own decode loop, on a snapshot of the policy's current weights.

TRL's transformers path decodes the fp32 master weights with `generate`; under bf16 autocast
every decoding step casts every weight again. Here a second copy of the policy, in the dtype the
local backend decodes in (bf16 where the hardware computes it natively), takes the policy's
weights (LoRA deltas merged in) once per optimizer step, and the local backend's lean KV-cached
loop decodes the group. vLLM, tools, images and sampling options the loop lacks stay on TRL's path.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from trl import GRPOConfig, GRPOTrainer

from rubricrl.backends.base import Sampling
from rubricrl.backends.local import LocalBackend, Row


def merged_weights(policy: nn.Module) -> dict[str, torch.Tensor]:
    """The policy's weights by their plain model names, LoRA deltas folded into their layers."""
    from peft import PeftModel
    from peft.tuners.lora import LoraLayer

    if not isinstance(policy, PeftModel):
        return dict(policy.named_parameters())
    model = policy.get_base_model()
    weights: dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if isinstance(module, LoraLayer):
            merged: torch.Tensor = module.get_base_layer().weight.detach()  # type: ignore[operator]
            for adapter in module.active_adapters:
                if adapter in module.lora_A:
                    # every concrete LoRA layer (Linear, Embedding, Conv) defines get_delta_weight
                    merged = merged + module.get_delta_weight(adapter)  # type: ignore[attr-defined]
            weights[f"{name}.weight"] = merged
    for name, parameter in model.named_parameters():
        if "lora_" not in name:
            weights.setdefault(name.replace(".base_layer", ""), parameter)
    return weights


class PolicySnapshot:
    """A frozen copy of the policy in the decoding dtype, refreshed from the live weights."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.step: int | None = None  # the optimizer step whose weights the copy holds

    @torch.no_grad()
    def refresh(self, policy: nn.Module, step: int) -> None:
        if step == self.step:
            return
        source = merged_weights(policy)
        for name, parameter in self.backend.model.named_parameters():
            if name not in source:
                raise RuntimeError(f"policy snapshot: the policy has no weight named {name}")
            parameter.copy_(source[name])
        self.step = step

    def generate(self, prompts: list[list[int]], sampling: Sampling) -> list[list[int]]:
        """One sampled completion (its tokens, the stop token included) per token prompt."""
        rows = [Row(list(prompt)) for prompt in prompts]
        self.backend.decode(rows, sampling)
        return [row.tokens for row in rows]


class RubricGRPOTrainer(GRPOTrainer):
    """GRPOTrainer whose plain-transformers rollouts run on a `PolicySnapshot` when one is set."""

    snapshot: PolicySnapshot | None = None

    def _snapshot_sampling(self) -> Sampling | None:
        """The rollout sampling as the local loop runs it; None when the loop cannot run it."""
        args: GRPOConfig = self.args  # type: ignore[assignment]
        plain = (
            not self.use_vllm
            and not self.use_transformers_continuous_batching
            and not self.tools
            and not args.generation_kwargs
            and not args.top_k
            and args.min_p is None
            and args.repetition_penalty == 1.0
        )
        if not plain or self.max_completion_length is None:
            return None
        return Sampling(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=int(self.max_completion_length),
        )

    def _generate_single_turn(
        self,
        prompt_ids: list[list[int]],
        images: Any,
        multimodal_fields: Any,
        num_generations: int,
        has_tool_images: bool = False,
    ) -> tuple[list[list[int]], None]:
        sampling = self._snapshot_sampling()
        if self.snapshot is None or sampling is None or images or multimodal_fields:
            return super()._generate_single_turn(
                prompt_ids, images, multimodal_fields, num_generations, has_tool_images
            )
        self.snapshot.refresh(self.accelerator.unwrap_model(self.model), self.state.global_step)
        return self.snapshot.generate(prompt_ids, sampling), None
