"""The backend contract, run on RedisCache against a real Redis: a standalone server and a 3-node
cluster (the contract's keys spread over all three nodes). Redis keeps time itself, so the expiry
tests really wait, on a small tick (TTLs of a second or so).

Each test has a key prefix of its own and every key the contract writes has a TTL of at most
100 ticks, so the tests need no cleanup: what they leave expires within seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from aiohttp_apim.cache.redis import RedisCache
from tests.cache.contract import Advance, CacheContract
from tests.redis_server import RedisClusterServers, RedisServer

TICK = 0.1
"""Redis expires keys on its own clock with millisecond TTLs: 100 ms steps leave a margin of at
least 100 ms after every expiry the suite waits for, and of 900 ms before every one it expects
not to have happened yet (a stall of a busy machine between two calls only ever adds time)."""


async def _real_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class TestRedisCacheContract(CacheContract):
    tick = TICK

    @pytest.fixture
    async def cache(
        self, redis_server: RedisServer, redis_prefix: str
    ) -> AsyncIterator[RedisCache]:
        cache = RedisCache.from_url(redis_server.url, prefix=redis_prefix, operation_timeout=2.0)
        yield cache
        await cache.close()

    @pytest.fixture
    def advance(self) -> Advance:
        return _real_sleep


class TestRedisClusterCacheContract(CacheContract):
    tick = TICK

    @pytest.fixture
    async def cache(
        self, redis_cluster: RedisClusterServers, redis_prefix: str
    ) -> AsyncIterator[RedisCache]:
        # operation_timeout: the first operation also discovers the cluster's nodes.
        cache = RedisCache.from_url(
            redis_cluster.url, prefix=redis_prefix, cluster=True, operation_timeout=2.0
        )
        yield cache
        await cache.close()

    @pytest.fixture
    def advance(self) -> Advance:
        return _real_sleep
