"""The backend contract, run on a third backend written from the ``Cache`` protocol's docstrings
alone (``tests.doubles.DictCache``, with a little latency per call): the protocol is enough to
write a backend that behaves like the two real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.cache.contract import Advance, CacheContract, ManualClock
from tests.doubles import DictCache


class TestDictCacheContract(CacheContract):
    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    @pytest.fixture
    async def cache(self, clock: ManualClock) -> AsyncIterator[DictCache]:
        cache = DictCache(clock=clock, latency=0.0005)
        yield cache
        await cache.close()

    @pytest.fixture
    def advance(self, clock: ManualClock) -> Advance:
        async def advance(seconds: float) -> None:
            clock.advance(seconds)

        return advance
