"""Many requests in flight are spread over small connection pools, taken in turn."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from rubricrl.backends.connections import POOL_SIZE, PooledTransport


@pytest.mark.parametrize(("connections", "pools"), [(1, 1), (POOL_SIZE, 1), (64, 4), (257, 17)])
def test_pools_hold_at_most_pool_size_connections(connections: int, pools: int) -> None:
    transport = PooledTransport(connections)
    assert len(transport.pools) == pools
    limits = [pool._pool._max_connections for pool in transport.pools]
    assert max(limits) <= POOL_SIZE and sum(limits) >= connections


def test_requests_take_the_pools_in_turn() -> None:
    transport = PooledTransport(3 * POOL_SIZE)
    taken: list[int] = []
    for index, pool in enumerate(transport.pools):

        async def handle(request: httpx.Request, index: int = index) -> httpx.Response:
            taken.append(index)
            return httpx.Response(200)

        pool.handle_async_request = handle  # type: ignore[method-assign]

    async def send(count: int) -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            await asyncio.gather(*(client.get("http://x/") for _ in range(count)))

    asyncio.run(send(7))
    assert taken == [0, 1, 2, 0, 1, 2, 0]
