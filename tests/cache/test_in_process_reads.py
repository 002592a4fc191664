"""The synchronous read of what a process holds (``ReadsInProcess.get_in_process``), which the
early cache lookup makes instead of awaiting ``get``: held to what ``get`` answers, and, for a
near cache, to the rules that keep a copy from going stale; and the synchronous read and write
of a cache that holds everything in process (``HoldsInProcess``), held to ``get`` and ``set``.
Random sequences of operations, with a clock the test steps."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aiohttp_apim.cache import MemoryCache, NearCache
from aiohttp_apim.cache.base import HoldsInProcess, ReadsInProcess
from aiohttp_apim.testing import RecordingCache
from tests.cache.contract import ManualClock
from tests.doubles import TrackedCache

_KEYS = st.sampled_from(["a", "b", "é"])
_VALUES = st.sampled_from([b"", b"v", b"w" * 300, b"7"])
_TTLS = st.sampled_from([0.5, 1.0, 3.0, 10.0])
_STEPS = st.sampled_from([0.0, 0.5, 1.0, 2.5])

_MEMORY_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), _KEYS, _VALUES, _TTLS),
        st.tuples(st.just("delete"), _KEYS),
        st.tuples(st.just("increment"), _KEYS, _TTLS),
        st.tuples(st.just("advance"), _STEPS),
        st.tuples(st.just("read"), _KEYS),
    ),
    max_size=40,
)


def test_the_caches_that_hold_entries_in_process_declare_it() -> None:
    remote = TrackedCache()
    assert isinstance(MemoryCache(), ReadsInProcess)
    assert isinstance(NearCache(remote), ReadsInProcess)
    assert not isinstance(remote, ReadsInProcess)
    assert isinstance(MemoryCache(), HoldsInProcess)
    assert not isinstance(NearCache(remote), HoldsInProcess)  # (most of it is elsewhere)
    assert not isinstance(remote, HoldsInProcess)


class _CountingWrites(MemoryCache):
    """A double that changes ``set`` only (counts the calls)."""

    writes = 0

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self.writes += 1
        await super().set(key, value, ttl)


class _FailingReads(MemoryCache):
    async def get(self, key: str) -> None:
        raise OSError("down")


def test_a_subclass_that_changes_get_or_set_is_not_called_around() -> None:
    """A memory cache subclass that changes ``get`` or ``set`` declares no synchronous form of
    it, so the pipeline awaits what the subclass does; one that gives both forms keeps them."""
    assert not isinstance(_CountingWrites(), HoldsInProcess)
    assert _CountingWrites().get_now is not None  # (the other form stays its own)
    assert not isinstance(_FailingReads(), HoldsInProcess)
    assert isinstance(RecordingCache(), HoldsInProcess)

    async def run() -> None:
        recording = RecordingCache()
        recording.set_now("resp|a", b"v", 1.0)
        await recording.set("resp|b", b"v", 1.0)
        assert recording.stored_keys == ["resp|a", "resp|b"]

    asyncio.run(run())


@settings(max_examples=200, deadline=None)
@given(_MEMORY_OPS)
def test_a_memory_cache_read_first_in_process_answers_and_counts_as_get_alone(
    ops: list[tuple[Any, ...]],
) -> None:
    """Two caches given the same operations; one reads and writes as the early lookup and the
    miss lane do (the synchronous read, ``get_now`` when it finds nothing, ``set_now``), the
    other with ``get`` and ``set`` alone: the same answers and the same counters (hits, misses,
    expired) throughout."""

    async def run() -> None:
        clock = ManualClock()
        fast, plain = MemoryCache(clock=clock), MemoryCache(clock=clock)
        for op in ops:
            if op[0] == "set":  # (written as the miss lane writes, and awaited)
                fast.set_now(op[1], op[2], op[3])
                await plain.set(op[1], op[2], op[3])
            elif op[0] == "delete":
                assert await fast.delete(op[1]) == await plain.delete(op[1])
            elif op[0] == "increment":
                for cache in (fast, plain):
                    with contextlib.suppress(ValueError):
                        await cache.increment(op[1], 1, op[2])
            elif op[0] == "advance":
                clock.advance(op[1])
            else:
                got = fast.get_in_process(op[1])
                if got is None:  # (as the early lookup reads: the rest at once, the miss counted)
                    got = fast.get_now(op[1])
                expected = await plain.get(op[1])
                assert got == expected
            assert fast.stats() == plain.stats()

    asyncio.run(run())


_NEAR_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), _KEYS),
        st.tuples(st.just("set"), _KEYS, _VALUES, _TTLS),  # through this near cache
        st.tuples(st.just("delete"), _KEYS),
        st.tuples(st.just("increment"), _KEYS, _TTLS),
        st.tuples(st.just("other"), _KEYS, _VALUES, _TTLS),  # another process writes
        st.tuples(st.just("other_delete"), _KEYS),
        st.tuples(st.just("advance"), _STEPS),
        st.tuples(
            st.just("feed_down"),
        ),
        st.tuples(
            st.just("feed_up"),
        ),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_NEAR_OPS)
def test_a_near_caches_in_process_read_never_serves_what_the_shared_cache_no_longer_holds(
    ops: list[tuple[Any, ...]],
) -> None:
    """After every operation, while the feed of changes is live, what the synchronous read
    returns is what the shared cache holds now, with no more time than it has left; and it is
    what ``get`` itself answers, without a read of the shared cache. Counters and entries read
    while the feed is down are never held; while it is down, copies held are served until they
    expire (the module's rule), and coming back drops them all."""

    async def run() -> None:
        clock = ManualClock()
        remote = TrackedCache(clock=clock)
        near = NearCache(remote, MemoryCache(clock=clock))
        for op in ops:
            kind = op[0]
            if kind == "read":
                await near.get(op[1])
            elif kind == "set":
                await near.set(op[1], op[2], op[3])
            elif kind == "delete":
                await near.delete(op[1])
            elif kind == "increment":
                with contextlib.suppress(ValueError):
                    await near.increment(op[1], 1, op[2])
            elif kind == "other":
                await remote.set(op[1], op[2], op[3])
                if remote.feed.live:  # the server reports it; while down, nobody does
                    await remote.report(op[1])
            elif kind == "other_delete":
                await remote.delete(op[1])
                if remote.feed.live:
                    await remote.report(op[1])
            elif kind == "advance":
                clock.advance(op[1])
            elif kind == "feed_down":
                remote.feed.live = False
            elif remote.feed.live is False:  # feed_up: reconnected, reports may be missed
                remote.feed.live = True
                await remote.report_all()
            for key in ("a", "b", "é"):
                copy = near.get_in_process(key)
                if copy is None:
                    continue
                assert copy.ttl_remaining is not None
                assert copy.ttl_remaining > 0
                held = remote.entries.get(key)
                if remote.feed.live:
                    assert held is not None
                    assert held[0] == copy.value
                    assert copy.ttl_remaining <= held[1] - clock()
                reads = remote.reads
                hit = await near.get(key)
                assert hit is not None
                assert hit.value == copy.value
                assert remote.reads == reads

    asyncio.run(run())
