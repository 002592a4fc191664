"""The backend contract, run on a NearCache in front of a RedisCache (the default client): the
near tier must change nothing a caller can observe but speed. Redis keeps time itself, so the
expiry tests really wait, on the Redis contract's tick. (Both client libraries and a cluster
under a near cache: tests/cache/test_near.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiohttp_apim.cache.near import NearCache
from aiohttp_apim.cache.redis import RedisCache
from tests.cache.contract import Advance, CacheContract
from tests.cache.test_contract_redis import TICK, _real_sleep
from tests.redis_server import RedisServer


class TestNearCacheContract(CacheContract):
    tick = TICK

    @pytest.fixture
    async def cache(self, redis_server: RedisServer, redis_prefix: str) -> AsyncIterator[NearCache]:
        cache = NearCache(
            RedisCache.from_url(redis_server.url, prefix=redis_prefix, operation_timeout=2.0)
        )
        yield cache
        await cache.close()

    @pytest.fixture
    def advance(self) -> Advance:
        return _real_sleep
