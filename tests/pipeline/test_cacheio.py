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
    cache_delete,
    cache_get,
    cache_increment,
    cache_read,
    cache_set,
    call_timeout,
    write_entry,
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
        "timed out",
        "timed out",
    ]


class SelfBoundedCache(HangingCache):
    @property
    def bounds_own_calls(self) -> bool:
        return True


async def test_the_timer_follows_what_a_cache_declares() -> None:
    assert call_timeout(MemoryCache(), 0.25) is None  # in process: nothing to wait for
    assert call_timeout(SelfBoundedCache(), 0.25) is None  # its own timeout counts its failures
    assert call_timeout(HangingCache(), 0.25) == 0.25
    assert call_timeout(None, 0.25) is None


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


async def test_failures_are_counted_per_operation_logged_or_not() -> None:
    log = FailureLog(interval=3600)
    cache = HangingCache()
    for _ in range(3):
        log.failed("read", cache, CacheUnavailable("down"))
    log.failed("write", cache, CacheUnavailable("down"))
    log.failed("decode", None, ValueError("garbage"))
    assert log.counts == {"read": 3, "write": 1, "decode": 1}
    assert log.count("read", "decode") == 4
    assert log.count("remove") == 0


async def test_a_write_that_raises_is_logged_and_counted_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    writes = BackgroundWrites()

    async def broken() -> None:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.ERROR):
        assert writes.start(broken)
        await writes.drain()
    assert writes.crashed == 1
    assert writes.pending == 0
    [record] = caplog.records
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "a bug"


async def test_write_entry_is_immediate_on_the_in_process_cache_only() -> None:
    memory = MemoryCache()
    writes = BackgroundWrites()
    log = FailureLog()
    assert await write_entry(writes, log, memory, "k", b"v", 60, 1.0)
    assert writes.pending == 0
    assert await memory.get("k") is not None

    class Remote(MemoryCache):  # a cache that does not declare itself in process
        @property
        def in_process(self) -> bool:
            return False

    remote = Remote()
    assert await write_entry(writes, log, remote, "k", b"v", 60, 1.0)
    assert writes.pending == 1
    await writes.drain()
    assert await remote.get("k") is not None


async def test_reads_removals_and_counters_raise_for_the_caller_to_decide() -> None:
    with pytest.raises(TimeoutError):
        await cache_read(HangingCache(), "k", 0.01)
    with pytest.raises(CacheUnavailable):
        await cache_delete(HangingCache(), "k", 0.01)
    with pytest.raises(CacheUnavailable):
        await cache_increment(HangingCache(), "k", 1, 5, None)
    memory = MemoryCache()
    assert await cache_increment(memory, "n", 2, 5, 1.0) == 2
    assert await cache_read(memory, "n", None) is not None
    assert await cache_delete(memory, "n", 1.0)
