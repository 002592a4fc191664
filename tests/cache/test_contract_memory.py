"""The backend contract, run on MemoryCache: once with the clock given at construction, once with
the clock bound later by a gateway (``bind_clock``), the way ``setup(clock=...)`` does it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiohttp_apim.cache import MemoryCache
from tests.cache.contract import Advance, CacheContract, ManualClock


class TestMemoryCacheContract(CacheContract):
    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    @pytest.fixture
    async def cache(self, clock: ManualClock) -> AsyncIterator[MemoryCache]:
        cache = MemoryCache(clock=clock)
        yield cache
        await cache.close()

    @pytest.fixture
    def advance(self, clock: ManualClock) -> Advance:
        async def advance(seconds: float) -> None:
            clock.advance(seconds)

        return advance


class TestBoundClockMemoryCacheContract(TestMemoryCacheContract):
    @pytest.fixture
    async def cache(self, clock: ManualClock) -> AsyncIterator[MemoryCache]:
        cache = MemoryCache()
        assert cache.bind_clock(clock)
        yield cache
        await cache.close()
