"""Connection pools for many requests in flight: several small httpx pools, taken in turn.

httpcore's pool scans every connection for every queued request on each request's start and
end, so one pool of 64 connections spends its time scanning: at 0.5 s a reply, 64 in flight gave
about a quarter of the ideal 128 calls/s (benchmarks/grader_throughput.py). Pools of at most
`POOL_SIZE` connections keep each scan short; taken in turn, they stay evenly loaded when the
requests are alike, as a grader's item calls are.
"""

from __future__ import annotations

import itertools
import math

import httpx

POOL_SIZE = 16


class PooledTransport(httpx.AsyncBaseTransport):
    """Up to `connections` connections in all, over pools of at most POOL_SIZE each."""

    def __init__(self, connections: int) -> None:
        count = math.ceil(connections / POOL_SIZE)
        each = httpx.Limits(max_connections=math.ceil(connections / count))
        self.pools = [httpx.AsyncHTTPTransport(limits=each) for _ in range(count)]
        self._turn = itertools.cycle(self.pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._turn).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()
