"""The backend contract, run on a NearCache in front of a RedisCache (both client libraries, and
a cluster): the near tier must change nothing a caller can observe but speed. Redis keeps time
itself, so the expiry tests really wait, on the Redis contract's tick."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiohttp_apim.cache.near import NearCache
from aiohttp_apim.cache.redis import ClientChoice, RedisCache
from tests.cache.contract import Advance, CacheContract
from tests.cache.test_contract_redis import TICK, _real_sleep
from tests.redis_server import RedisClusterServers, RedisServer


class TestNearCacheContract(CacheContract):
    tick = TICK

    @pytest.fixture
    async def cache(
        self, redis_server: RedisServer, redis_prefix: str, library: ClientChoice
    ) -> AsyncIterator[NearCache]:
        remote = RedisCache.from_url(
            redis_server.url, prefix=redis_prefix, operation_timeout=2.0, client=library
        )
        cache = NearCache(remote)
        yield cache
        await cache.close()

    @pytest.fixture
    def advance(self) -> Advance:
        return _real_sleep


class TestNearCacheOnAClusterContract(CacheContract):
    tick = TICK

    @pytest.fixture
    async def cache(
        self, redis_cluster: RedisClusterServers, redis_prefix: str
    ) -> AsyncIterator[NearCache]:
        remote = RedisCache.from_url(
            redis_cluster.url, prefix=redis_prefix, cluster=True, operation_timeout=2.0
        )
        cache = NearCache(remote)
        yield cache
        await cache.close()

    @pytest.fixture
    def advance(self) -> Advance:
        return _real_sleep
