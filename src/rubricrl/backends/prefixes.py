"""Shared token prefixes, prefilled once: the trie over a batch's prompts (choice_probs) and the
store of long prompts' key/value caches kept between batches.

The store lets a prompt that starts like an earlier one (a paper's sample prompts after its
insight prompt, or a retry) prefill only the tokens that differ. It is bounded in bytes and
drops the least recently used cache first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import torch
from transformers import DynamicCache, PretrainedConfig


def shared_prefix_length(prompts: list[list[int]]) -> int:
    """Tokens every prompt starts with, leaving each at least one token of its own to prefill."""
    shortest = min(len(p) for p in prompts)
    length = 0
    while length < shortest - 1 and all(p[length] == prompts[0][length] for p in prompts):
        length += 1
    return length


@dataclass(frozen=True)
class PrefixGroup:
    """Prompts (indices into a list) sharing their first `length` tokens, prefilled once.

    Each subgroup shares a longer prefix and extends this one's cache; the `own` prompts run
    the rest of their tokens straight from it.
    """

    length: int
    members: tuple[int, ...]
    groups: tuple[PrefixGroup, ...] = ()
    own: tuple[int, ...] = ()


def plan_prefix_groups(prompts: list[list[int]], min_shared: int) -> PrefixGroup:
    """A trie over the sorted prompts: a subgroup wherever several prompts share `min_shared`
    more tokens than their parent group (the root shares nothing if all share fewer)."""
    order = sorted(range(len(prompts)), key=prompts.__getitem__)
    return _prefix_group(prompts, order, 0, min_shared)


def _prefix_group(
    prompts: list[list[int]], members: list[int], start: int, min_shared: int
) -> PrefixGroup:
    length = shared_prefix_length([prompts[i] for i in members]) if len(members) > 1 else start
    if length - start < min_shared:
        length = start
    groups: list[PrefixGroup] = []
    own: list[int] = []
    # Sorted prompts sharing a prefix are adjacent, and a run's common prefix is the least
    # common prefix of its neighbours, so one pass over neighbours finds the subgroups.
    runs = [[members[0]]]
    for before, after in pairwise(members):
        if shared_prefix_length([prompts[before], prompts[after]]) >= length + min_shared:
            runs[-1].append(after)
        else:
            runs.append([after])
    for run in runs:
        if len(run) > 1:
            groups.append(_prefix_group(prompts, run, length, min_shared))
        else:
            own.extend(run)
    return PrefixGroup(length, tuple(members), tuple(groups), tuple(own))


class PrefixStore:
    """Key/value caches (one row each) of whole prompts, by their tokens, within `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._caches: OrderedDict[tuple[int, ...], tuple[DynamicCache, int]] = OrderedDict()
        self._bytes = 0

    def longest(self, prompt: list[int]) -> tuple[int, DynamicCache | None]:
        """The most tokens `prompt` shares with a stored prompt (leaving it one token of its
        own), and that prompt's cache; (0, None) when nothing is stored."""
        best, found, key = 0, None, None
        tokens = np.asarray(prompt[:-1])
        for stored, (cache, _) in self._caches.items():
            width = min(len(tokens), len(stored))
            differ = np.flatnonzero(tokens[:width] != np.asarray(stored[:width]))
            length = int(differ[0]) if len(differ) else width
            if length > best:
                best, found, key = length, cache, stored
        if key is not None:
            self._caches.move_to_end(key)
        return best, found

    def put(self, prompt: list[int], cache: DynamicCache) -> None:
        """Keep `cache` (of exactly `prompt`), dropping the oldest caches past the bound."""
        size = cache_bytes(cache)
        key = tuple(prompt)
        if size > self.max_bytes or key in self._caches:
            return
        self._caches[key] = cache, size
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (_, dropped) = self._caches.popitem(last=False)
            self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._caches)


def layer_states(cache: DynamicCache, index: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The keys and values of layer `index` (RuntimeError for a layer that keeps none)."""
    keys = getattr(cache.layers[index], "keys", None)
    values = getattr(cache.layers[index], "values", None)
    if not isinstance(keys, torch.Tensor) or not isinstance(values, torch.Tensor):
        raise RuntimeError(f"cache layer {index} holds no keys and values to reuse")
    return keys, values


def cache_bytes(cache: DynamicCache) -> int:
    return sum(
        t.numel() * t.element_size()
        for index in range(len(cache.layers))
        for t in layer_states(cache, index)
    )


def cropped(cache: DynamicCache, length: int, config: PretrainedConfig | None) -> DynamicCache:
    """A new cache holding the first `length` positions of `cache` (which stays as it is)."""
    fresh = DynamicCache(config=config)
    for index in range(len(cache.layers)):
        keys, values = layer_states(cache, index)
        fresh.update(keys[..., :length, :], values[..., :length, :], index)
    return fresh


def stack_left_padded(
    caches: list[DynamicCache], config: PretrainedConfig | None
) -> tuple[DynamicCache, torch.Tensor]:
    """One batch cache of single-row caches of different lengths, each left-padded with zeros
    to the longest, and its attention mask (0 over the padding)."""
    lengths = [cache.get_seq_length() for cache in caches]
    width = max(lengths)
    stacked = DynamicCache(config=config)
    for index in range(len(caches[0].layers)):
        keys, values = [], []
        for cache, length in zip(caches, lengths, strict=True):
            pad = (0, 0, width - length, 0)  # the sequence axis is the second last
            layer_keys, layer_values = layer_states(cache, index)
            keys.append(torch.nn.functional.pad(layer_keys, pad))
            values.append(torch.nn.functional.pad(layer_values, pad))
        stacked.update(torch.cat(keys), torch.cat(values), index)
    mask = torch.zeros((len(caches), width), dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, width - length :] = 1
    return stacked, mask
