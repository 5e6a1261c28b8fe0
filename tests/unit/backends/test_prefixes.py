"""Shared prefixes: the trie over sorted token lists (checked by hand) and the store of caches."""

import torch
from transformers import DynamicCache

from rubricrl.backends.prefixes import (
    PrefixGroup,
    PrefixStore,
    cache_bytes,
    cropped,
    plan_prefix_groups,
    stack_left_padded,
)


def covered(group: PrefixGroup) -> list[int]:
    """Every prompt the plan runs, each once."""
    return [*group.own, *(i for sub in group.groups for i in covered(sub))]


def test_two_levels_system_prompt_then_plan() -> None:
    system, plan_a, plan_b = [1] * 4, [2] * 3, [3] * 3
    prompts = [
        system + plan_b + [7, 8],
        system + plan_a + [5],
        system + plan_a + [6, 6],
        system + plan_b + [9],
        [4, 4, 4, 4, 4],
    ]
    root = plan_prefix_groups(prompts, min_shared=2)
    assert root.length == 0 and root.own == (4,)
    (shared,) = root.groups
    assert shared.length == 4 and shared.own == ()
    assert [(g.length, g.members) for g in shared.groups] == [(7, (1, 2)), (7, (0, 3))]
    assert all(g.own == g.members for g in shared.groups)


def test_prefix_common_to_all_is_the_root() -> None:
    prompts = [[1, 1, 1, 2], [1, 1, 1, 3]]
    root = plan_prefix_groups(prompts, min_shared=2)
    assert root == PrefixGroup(length=3, members=(0, 1), own=(0, 1))


def test_short_shared_prefixes_are_not_groups() -> None:
    prompts = [[1, 2, 3], [1, 2, 4], [1, 9, 9]]
    root = plan_prefix_groups(prompts, min_shared=3)
    assert root == PrefixGroup(length=0, members=(0, 1, 2), own=(0, 1, 2))


def test_every_prompt_keeps_a_token_of_its_own() -> None:
    """A prompt that is a prefix of another still needs its last token run for its logits."""
    prompts = [[1, 1, 1], [1, 1, 1, 2, 2]]
    root = plan_prefix_groups(prompts, min_shared=1)
    assert root.length == 2
    assert all(len(prompts[i]) > root.length for i in root.own)


def test_a_lone_prompt_shares_nothing() -> None:
    assert plan_prefix_groups([[5, 6, 7]], min_shared=1) == PrefixGroup(0, (0,), own=(0,))


def test_unreachable_minimum_runs_every_prompt_whole() -> None:
    prompts = [[1] * 50 + [i] for i in range(5)]
    root = plan_prefix_groups(prompts, min_shared=10**9)
    assert (root.length, root.groups, sorted(root.own)) == (0, (), [0, 1, 2, 3, 4])


def test_each_prompt_is_run_exactly_once_and_groups_nest() -> None:
    prompts = [[i % 3] * 4 + [i % 2] * 4 + [i] for i in range(12)]

    def check(group: PrefixGroup, start: int) -> None:
        assert group.length >= start
        head = prompts[group.members[0]][: group.length]
        assert all(prompts[i][: group.length] == head for i in group.members)
        assert all(len(prompts[i]) > group.length for i in group.own)
        for sub in group.groups:
            assert sub.length >= group.length + 2
            check(sub, group.length)

    root = plan_prefix_groups(prompts, min_shared=2)
    check(root, 0)
    assert sorted(covered(root)) == list(range(12))


def one_row_cache(length: int, value: float = 1.0, layers: int = 2) -> DynamicCache:
    """A fake single-row cache: `layers` layers of 2 heads x `length` positions x 4 dims."""
    cache = DynamicCache()
    for index in range(layers):
        states = torch.full((1, 2, length, 4), value)
        cache.update(states, states.clone(), index)
    return cache


def test_the_store_finds_the_longest_shared_prefix() -> None:
    store = PrefixStore(max_bytes=1 << 20)
    paper = list(range(100, 130))
    store.put([*paper, 1, 2], one_row_cache(32, 1.0))
    store.put([*paper[:10], 7], one_row_cache(11, 2.0))
    length, cache = store.longest([*paper, 5, 6, 7])
    assert length == 30 and cache is not None and cache.layers[0].keys[0, 0, 0, 0] == 1.0
    assert store.longest([*paper, 1, 2])[0] == 31  # a whole stored prompt: one token of its own
    assert store.longest([9, 9, 9]) == (0, None)


def test_the_store_drops_the_least_recently_used_past_its_bound() -> None:
    size = cache_bytes(one_row_cache(10))
    store = PrefixStore(max_bytes=2 * size)
    store.put([1] * 10, one_row_cache(10))
    store.put([2] * 10, one_row_cache(10))
    store.longest([1] * 10 + [3])  # [1]*10 is now the most recent
    store.put([3] * 10, one_row_cache(10))
    assert len(store) == 2
    assert store.longest([2] * 10 + [3]) == (0, None)
    assert store.longest([1] * 10 + [3])[0] == 10
    store.put([4] * 30, one_row_cache(30))  # larger than the whole bound: not kept
    assert len(store) == 2


def test_crop_and_stack_keep_each_row_and_pad_on_the_left() -> None:
    long, short = one_row_cache(5, 1.0), one_row_cache(3, 2.0)
    head = cropped(long, 2, None)
    assert head.get_seq_length() == 2 and long.get_seq_length() == 5  # the source stays whole
    stacked, mask = stack_left_padded([long, short], None)
    keys = stacked.layers[1].keys
    assert keys.shape == (2, 2, 5, 4)
    assert mask.tolist() == [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]
    assert keys[1, :, :2].abs().sum() == 0 and (keys[1, :, 2:] == 2.0).all()
    assert (keys[0] == 1.0).all()
