"""Best-effort cache I/O: failures are misses, writes run in the background within a bound."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from aiohttp_apim.cache.base import Cache, CacheHit, CacheUnavailable
from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.pipeline.cacheio import (
    BackgroundWrites,
    FailureLog,
    cache_get,
    cache_set,
    needs_timeout,
)


class HangingCache(Cache):
    """Every call waits forever (a cache that stopped answering)."""

    @property
    def name(self) -> str:
        return "hanging"

    async def get(self, key: str) -> CacheHit | None:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def get_many(self, keys: Sequence[str]) -> list[CacheHit | None]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await asyncio.Event().wait()

    async def delete(self, key: str) -> bool:
        raise CacheUnavailable("down")

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        raise CacheUnavailable("down")

    async def close(self) -> None:
        pass


async def test_a_cache_that_does_not_answer_is_a_miss_after_the_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert await cache_get(HangingCache(), "k", 0.01, FailureLog()) is None
        await cache_set(HangingCache(), "k", b"v", 5, 0.01, FailureLog())
    assert [r.getMessage().split(":")[-1].strip() for r in caplog.records] == [
        "timed out", "timed out"]


async def test_only_the_in_process_cache_goes_without_a_timer() -> None:
    assert not needs_timeout(MemoryCache())
    assert needs_timeout(HangingCache())


async def test_failures_are_logged_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = FailureLog(interval=3600)
    cache = HangingCache()
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            log.failed("read", cache, CacheUnavailable("down"))
        log.failed("write", cache, CacheUnavailable("down"))
    assert len(caplog.records) == 2
    log.interval = 0
    with caplog.at_level(logging.WARNING):
        log.failed("read", cache, CacheUnavailable("down"))
    assert "4 similar failures not logged" in caplog.records[-1].getMessage()


async def test_writes_run_in_the_background_and_drain_waits_for_them() -> None:
    writes = BackgroundWrites(limit=10)
    gate = asyncio.Event()
    done: list[int] = []

    async def write(n: int) -> None:
        await gate.wait()
        done.append(n)

    for n in range(3):
        assert writes.start(lambda n=n: write(n))  # type: ignore[misc]
    assert writes.pending == 3
    assert done == []
    gate.set()
    await writes.drain()
    assert sorted(done) == [0, 1, 2]
    assert writes.pending == 0
    await writes.drain()  # nothing pending: returns at once


async def test_writes_past_the_bound_are_dropped_and_counted_without_a_coroutine() -> None:
    writes = BackgroundWrites(limit=2)
    gate = asyncio.Event()
    made = 0

    def factory() -> object:
        nonlocal made
        made += 1
        return gate.wait()

    assert writes.start(factory)  # type: ignore[arg-type]
    assert writes.start(factory)  # type: ignore[arg-type]
    assert not writes.start(factory)  # type: ignore[arg-type]
    assert (made, writes.dropped, writes.pending) == (2, 1, 2)
    gate.set()
    await writes.drain()
    assert writes.start(factory)  # type: ignore[arg-type]
    await writes.drain()


def test_the_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="pending"):
        BackgroundWrites(limit=0)
