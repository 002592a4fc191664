"""The near cache on its own: what it keeps, for how long, and what drops a copy.

The rules are checked first over :class:`tests.doubles.TrackedCache`, whose change reports and
read answers the test orders by hand (a change overtaking a read's answer cannot be ordered on a
real network); then over real Redis processes, two near caches standing for two app instances.
No test sleeps a fixed time: waits poll for what must happen, bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from aiohttp_apim.cache import (
    CacheUnavailable,
    MemoryCache,
    NearCache,
    ReportsBreakers,
    ReportsUsage,
)
from aiohttp_apim.cache.redis import _PACKED, ClientChoice, RedisCache
from tests.cache.contract import ManualClock
from tests.conftest import RedisServerFactory
from tests.doubles import DictCache, FailingCache, TrackedCache
from tests.faultproxy import FaultProxy
from tests.redis_server import RedisClusterServers, RedisServer


async def near_copy(near: NearCache, key: str) -> bytes | None:
    """What the near tier holds for ``key`` (looked at without going to the remote cache), as
    the pipeline's synchronous read (``get_in_process``) sees it: every rule below is checked
    on that read too, which must agree with the near tier's own :meth:`MemoryCache.get`."""
    fast = near.get_in_process(key)
    hit = await near.local.get(key)
    assert (fast is None) == (hit is None), "the synchronous read disagrees with the near tier"
    if fast is None or hit is None:
        return None
    assert fast.value is hit.value
    return hit.value


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 5.0) -> float:
    """Poll ``condition`` until it holds; return how long that took (fails after ``within``)."""
    started = time.monotonic()
    while not await condition():
        assert time.monotonic() - started < within, "did not happen in time"
        await asyncio.sleep(0.001)
    return time.monotonic() - started


# -- the rules, over a remote cache the test drives ------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def remote(clock: ManualClock) -> TrackedCache:
    return TrackedCache(clock=clock)


@pytest.fixture
def near(remote: TrackedCache, clock: ManualClock) -> NearCache:
    return NearCache(remote, MemoryCache(clock=clock))


async def test_a_hit_is_kept_for_the_time_the_remote_cache_has_left(
    near: NearCache, remote: TrackedCache, clock: ManualClock
) -> None:
    await remote.set("k", b"v", 10)
    clock.advance(4)
    assert (await near.get("k")) is not None
    reads = remote.reads
    hit = await near.get("k")
    assert hit is not None
    assert (hit.value, hit.ttl_remaining) == (b"v", 6)
    assert remote.reads == reads  # served near
    clock.advance(6)
    assert await near_copy(near, "k") is None  # gone when the remote entry expires


async def test_a_reported_change_drops_the_copy(near: NearCache, remote: TrackedCache) -> None:
    await remote.set("k", b"v", 10)
    await near.get("k")
    assert await near_copy(near, "k") == b"v"
    await remote.report("k", "other")
    assert await near_copy(near, "k") is None


async def test_a_change_reported_while_a_read_is_answered_keeps_nothing(
    near: NearCache, remote: TrackedCache
) -> None:
    await remote.set("k", b"old", 10)
    remote.answers.clear()
    read = asyncio.ensure_future(near.get("k"))
    await asyncio.sleep(0)  # the read has looked "old" up; its answer is on its way
    await remote.set("k", b"new", 10)
    await remote.report("k")  # the report overtakes the answer
    remote.answers.set()
    hit = await read
    assert hit is not None
    assert hit.value == b"old"  # what the read saw, served once...
    assert await near_copy(near, "k") is None  # ...and never kept
    assert (await near.get("k")) is not None
    assert await near_copy(near, "k") == b"new"


async def test_concurrent_reads_keep_the_copy_and_only_a_read_a_change_overlapped_is_spoilt(
    near: NearCache, remote: TrackedCache
) -> None:
    # A hot key is read by many requests at once, all the time: reads must not spoil each
    # other, and a change spoils only the reads it overlapped.
    await remote.set("k", b"old", 10)
    remote.answers.clear()
    before = asyncio.ensure_future(near.get("k"))
    await asyncio.sleep(0)
    await remote.set("k", b"new", 10)
    await remote.report("k")
    after = [asyncio.ensure_future(near.get("k")) for _ in range(3)]
    await asyncio.sleep(0)
    remote.answers.set()
    await asyncio.gather(before, *after)
    assert await near_copy(near, "k") == b"new"


async def test_a_write_of_this_process_during_a_read_keeps_nothing(
    near: NearCache, remote: TrackedCache
) -> None:
    await remote.set("k", b"old", 10)
    remote.answers.clear()
    read = asyncio.ensure_future(near.get("k"))
    await asyncio.sleep(0)
    await near.set("k", b"new", 10)
    remote.answers.set()
    await read
    assert await near_copy(near, "k") is None


async def test_nothing_is_kept_while_changes_are_not_reported(
    near: NearCache, remote: TrackedCache
) -> None:
    await remote.set("k", b"v", 10)
    remote.feed.live = False
    assert (await near.get("k")) is not None
    assert await near_copy(near, "k") is None
    assert remote.feed.starts >= 1  # a read that missed started the feed


async def test_when_the_feed_starts_again_every_copy_is_dropped(
    near: NearCache, remote: TrackedCache
) -> None:
    for key in ("a", "b"):
        await remote.set(key, b"v", 10)
        await near.get(key)
    await remote.set("c", b"v", 10)
    remote.answers.clear()
    read = asyncio.ensure_future(near.get("c"))
    await asyncio.sleep(0)
    await remote.report_all()  # the feed (re)connected: reports may have been missed
    remote.answers.set()
    await read
    assert [await near_copy(near, key) for key in "abc"] == [None, None, None]


async def test_writes_and_removals_drop_the_copy_at_once(
    near: NearCache, remote: TrackedCache
) -> None:
    await remote.set("k", b"v", 10)
    await near.get("k")
    await near.set("k", b"w", 10)
    assert await near_copy(near, "k") is None
    assert (await remote.get("k")) is not None
    await near.get("k")
    assert await near.delete("k") is True
    assert await near_copy(near, "k") is None
    assert await remote.get("k") is None


async def test_counters_are_never_kept(near: NearCache, remote: TrackedCache) -> None:
    assert await near.increment("n", 5, 10) == 5
    assert (await near.get("n")) is not None
    assert await near_copy(near, "n") is None
    assert await near.increment("n", 1, 10) == 6
    hit = await near.get("n")
    assert hit is not None
    assert hit.value == b"6"


async def test_get_many_serves_copies_and_fetches_the_rest_at_once(
    near: NearCache, remote: TrackedCache
) -> None:
    for key in ("a", "b"):
        await remote.set(key, key.encode(), 10)
    await near.get("a")
    reads = remote.reads
    hits = await near.get_many(["a", "b", "c"])
    assert [None if hit is None else hit.value for hit in hits] == [b"a", b"b", None]
    assert remote.reads == reads + 2  # b and c, not a
    assert await near_copy(near, "b") == b"b"
    with pytest.raises(TypeError):
        await near.get_many("a")


async def test_with_the_remote_cache_down_copies_are_served_until_they_expire(
    clock: ManualClock,
) -> None:
    class Down(FailingCache, TrackedCache):  # a tracked cache that fails when told to
        pass

    remote = Down(failing=(), clock=clock)
    near = NearCache(remote, MemoryCache(clock=clock))
    await remote.set("k", b"v", 10)
    await near.get("k")
    remote.failing = {"get", "set", "delete", "increment"}
    clock.advance(9)
    hit = await near.get("k")
    assert hit is not None
    assert hit.value == b"v"
    clock.advance(1)
    with pytest.raises(CacheUnavailable):
        await near.get("k")  # expired near, and the remote cache is down


def test_a_remote_cache_that_reports_no_changes_is_refused() -> None:
    with pytest.raises(TypeError, match="reports changes"):
        NearCache(DictCache())


async def test_locks_are_the_remote_caches(near: NearCache) -> None:
    with pytest.raises(CacheUnavailable, match="holds no locks"):
        await near.acquire_lock("l", 1)


async def test_capabilities_are_the_remote_caches(near: NearCache) -> None:
    assert near.in_process is False
    assert near.bounds_own_calls is False
    assert near.name == "dict+near"


# -- on real Redis: two near caches stand for two app instances --------------------------------


Pair = Callable[..., Awaitable[tuple[NearCache, NearCache]]]


@pytest.fixture
async def pair(redis_prefix: str, library: ClientChoice) -> AsyncIterator[Pair]:
    made: list[NearCache] = []

    async def make(url: str, **options: object) -> tuple[NearCache, NearCache]:
        for _ in range(2):
            remote = RedisCache.from_url(
                url,
                prefix=redis_prefix,
                client=library,
                **{"operation_timeout": 2.0, **options},  # type: ignore[arg-type]
            )
            made.append(NearCache(remote))
        return made[-2], made[-1]

    yield make
    for cache in made:
        await cache.close()


def gone(near: NearCache, key: str) -> Callable[[], Awaitable[bool]]:
    """A condition: the near tier holds nothing for ``key``."""

    async def condition() -> bool:
        return await near_copy(near, key) is None

    return condition


def live(near: NearCache) -> Callable[[], Awaitable[bool]]:
    """A condition: the near cache's feed of changes is live."""

    async def condition() -> bool:
        return near.live

    return condition


async def kept(near: NearCache, key: str) -> bytes:
    """Read ``key`` through ``near`` until the near tier keeps it (once the feed is live)."""

    async def held() -> bool:
        await near.get(key)
        return await near_copy(near, key) is not None

    await eventually(held)
    value = await near_copy(near, key)
    assert value is not None
    return value


async def test_a_change_through_one_instance_drops_the_others_copy(
    pair: Pair, redis_server: RedisServer
) -> None:
    a, b = await pair(redis_server.url)
    await a.set("k", b"v1", 60)
    assert await kept(b, "k") == b"v1"
    await a.set("k", b"v2", 60)
    await eventually(gone(b, "k"))
    hit = await b.get("k")
    assert hit is not None
    assert hit.value == b"v2"
    assert await kept(b, "k") == b"v2"
    assert await a.delete("k")
    await eventually(gone(b, "k"))
    assert await b.get("k") is None


async def test_changes_by_other_tools_and_flushes_drop_copies(
    pair: Pair, redis_server_factory: RedisServerFactory, redis_prefix: str
) -> None:
    server = redis_server_factory()
    a, b = await pair(server.url)
    for key in ("x", "y"):
        await a.set(key, b"v", 60)
        await kept(b, key)
    server.command("SET", redis_prefix + "x", "written by another tool")
    await eventually(gone(b, "x"))
    assert await near_copy(b, "y") == b"v"
    server.command("FLUSHDB")
    await eventually(gone(b, "y"))


async def test_a_copy_never_outlives_its_redis_entry(
    pair: Pair, redis_server: RedisServer, redis_prefix: str
) -> None:
    a, b = await pair(redis_server.url)
    await b.get("warm-up")
    await eventually(live(b))
    await a.set("short", b"v", 0.4)
    served_near = 0
    while True:
        # Whatever Redis said first, the near tier may not contradict after.
        gone = redis_server.command("PTTL", redis_prefix + "short") == -2
        copy = await near_copy(b, "short")
        if gone:
            assert copy is None, "a copy outlived its entry in Redis"
            break
        if copy is not None:
            served_near += 1
        else:
            await b.get("short")
        await asyncio.sleep(0.005)
    assert served_near > 0


async def test_a_copy_lives_as_long_as_redis_says_whatever_the_writer_thought(
    pair: Pair, redis_server: RedisServer, redis_prefix: str
) -> None:
    a, b = await pair(redis_server.url)
    await a.set("marker", b"v", 60)
    await kept(b, "marker")  # the feed is live
    # A writer whose clock runs an hour ahead: its entry says "an hour", Redis says 0.3 s.
    expires = (time.time_ns() // 1_000_000 + 3_600_000).to_bytes(8, "big")
    redis_server.command("SET", redis_prefix + "skewed", _PACKED + expires + b"v", "PX", 300)
    await a.delete("marker")  # once its report is in, the other one's is too
    await eventually(gone(b, "marker"))
    hit = await b.get("skewed")
    assert hit is not None
    assert hit.ttl_remaining is not None
    assert hit.ttl_remaining <= 0.3
    copy = await b.local.get("skewed")
    assert copy is not None
    assert copy.ttl_remaining is not None
    assert copy.ttl_remaining <= 0.3


async def test_entries_without_an_expiry_are_not_kept(
    pair: Pair, redis_server: RedisServer, redis_prefix: str
) -> None:
    a, b = await pair(redis_server.url)
    await a.set("marker", b"v", 60)
    await kept(b, "marker")
    redis_server.command("SET", redis_prefix + "forever", "another tool's")
    # Reports of one server arrive in order: once the marker's is in, so is the other tool's
    # (a report overlapping the read below would keep it out for another reason).
    await a.delete("marker")
    await eventually(gone(b, "marker"))
    hit = await b.get("forever")
    assert hit is not None
    assert hit.ttl_remaining is None
    assert await near_copy(b, "forever") is None
    redis_server.command("DEL", redis_prefix + "forever")


async def test_the_feed_reconnecting_drops_every_copy(
    pair: Pair, redis_server_factory: RedisServerFactory
) -> None:
    server = redis_server_factory()
    a, b = await pair(server.url)
    await a.set("k", b"v", 60)
    await kept(b, "k")
    # The server drops the feed's connections (as it does to a subscriber over its output
    # limits): reports may be lost meanwhile, so the copies go.
    server.command("CLIENT", "KILL", "TYPE", "pubsub")
    await eventually(gone(b, "k"))
    assert await kept(b, "k") == b"v"  # and copies are kept again once it is back


async def test_with_redis_stopped_copies_are_served_until_they_expire(
    pair: Pair, redis_server_factory: RedisServerFactory
) -> None:
    server = redis_server_factory()
    a, b = await pair(server.url, operation_timeout=0.25, connect_timeout=0.2)
    await a.set("long", b"kept", 60)
    await a.set("short", b"brief", 0.5)
    await kept(b, "long")
    await kept(b, "short")
    server.stop()
    hit = await b.get("long")
    assert hit is not None
    assert hit.value == b"kept"
    await eventually(gone(b, "short"))  # expires near as it would have in Redis
    with pytest.raises(CacheUnavailable):
        await b.get("short")
    assert not b.live
    hit = await b.get("long")
    assert hit is not None


async def test_a_silent_server_is_noticed_copies_are_served_meanwhile_and_dropped_after(
    redis_server_factory: RedisServerFactory,
) -> None:
    # The feed's connections are the same whichever client the cache uses: one run.
    server = redis_server_factory()
    proxy = await FaultProxy(server.port).start()
    a, b = (NearCache(RedisCache.from_url(proxy.url, operation_timeout=0.25)) for _ in "ab")
    try:
        await a.set("k", b"v", 60)
        await kept(b, "k")
        proxy.blackhole()  # connections stay open; nothing comes back
        await eventually(lambda: _not_live(b))  # the feed's PINGs go unanswered
        hit = await b.get("k")
        assert hit is not None  # served near all along
        assert hit.value == b"v"
        proxy.heal()
        await eventually(live(b))
        await eventually(gone(b, "k"))  # changes made meanwhile were never reported
    finally:
        await a.close()
        await b.close()
        await proxy.close()


async def _not_live(near: NearCache) -> bool:
    return not near.live


async def test_a_change_on_any_primary_of_a_cluster_drops_the_copy(
    pair: Pair, redis_cluster: RedisClusterServers
) -> None:
    a, b = await pair(redis_cluster.url, cluster=True)
    keys = [f"k{i}" for i in range(12)]  # spread over the three primaries
    for key in keys:
        await a.set(key, b"v1", 60)
        await kept(b, key)
    for key in keys:
        await a.set(key, b"v2", 60)
    for key in keys:
        await eventually(gone(b, key))
        assert await kept(b, key) == b"v2"


async def test_it_reports_its_near_tier_and_the_remote_caches_breakers(
    near: NearCache, remote: TrackedCache, redis_server: RedisServer
) -> None:
    # What the metrics read (the capability protocols ReportsUsage and ReportsBreakers).
    await remote.set("k", b"v", 10)
    await eventually(lambda: near_copy_is_kept(near))
    assert isinstance(near, ReportsUsage)
    assert near.stats() == near.local.stats()
    assert near.stats().entries == 1
    assert isinstance(near, ReportsBreakers)
    assert dict(near.breakers) == {}  # a remote cache without breakers
    redis = RedisCache.from_url(redis_server.url)
    in_front = NearCache(redis)
    try:
        assert dict(in_front.breakers) == dict(redis.breakers)
    finally:
        await in_front.close()
        await redis.close()


async def near_copy_is_kept(near: NearCache) -> bool:
    await near.get("k")
    return await near_copy(near, "k") is not None
