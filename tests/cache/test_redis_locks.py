"""RedisCache's short locks (SupportsLocks) and its change tracking (SupportsTracking) on their
own, against real redis-server processes, on both client libraries: who may release a lock, how
long it lives; which TTL a fetch reports; which connections, credentials and servers the feed
uses."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence

import pytest
from redis.asyncio import Redis
from redis.cluster import RedisCluster

from aiohttp_apim.cache import CacheUnavailable, SupportsLocks, SupportsTracking
from aiohttp_apim.cache.redis import _PACKED, ClientChoice, RedisCache
from tests.conftest import RedisServerFactory
from tests.redis_server import RedisClusterServers, RedisServer


@pytest.fixture
async def cache(
    redis_server: RedisServer, redis_prefix: str, library: ClientChoice
) -> AsyncIterator[RedisCache]:
    cache = RedisCache.from_url(
        redis_server.url, prefix=redis_prefix, operation_timeout=2.0, client=library
    )
    yield cache
    await cache.close()


def test_redis_declares_both_capabilities(cache: RedisCache) -> None:
    assert isinstance(cache, SupportsLocks)
    assert isinstance(cache, SupportsTracking)


async def test_a_lock_is_held_once_and_released_only_by_its_holder(
    cache: RedisCache, redis_server: RedisServer, redis_prefix: str
) -> None:
    token = await cache.acquire_lock("lock|k", 30)
    assert token is not None
    assert await cache.acquire_lock("lock|k", 30) is None  # held
    assert await cache.lock_held("lock|k")
    assert 0 < redis_server.command("PTTL", redis_prefix + "lock|k") <= 30_000
    assert await cache.release_lock("lock|k", "not the token") is False
    assert await cache.lock_held("lock|k")
    assert await cache.release_lock("lock|k", token) is True
    assert not await cache.lock_held("lock|k")
    assert await cache.release_lock("lock|k", token) is False  # released already


async def test_a_lock_expires_with_its_holder_and_a_late_release_leaves_the_next_one(
    cache: RedisCache,
) -> None:
    first = await cache.acquire_lock("lock|e", 0.1)
    assert first is not None
    while await cache.lock_held("lock|e"):
        await asyncio.sleep(0.01)
    second = await cache.acquire_lock("lock|e", 30)
    assert second is not None
    assert second != first
    assert await cache.release_lock("lock|e", first) is False  # the old holder, too late
    assert await cache.lock_held("lock|e")
    assert await cache.release_lock("lock|e", second) is True


async def test_a_holder_may_leave_its_lock_held_a_little_longer_never_more(
    cache: RedisCache, redis_server: RedisServer, redis_prefix: str
) -> None:
    token = await cache.acquire_lock("lock|h", 30)
    assert token is not None
    assert await cache.release_lock("lock|h", token, hold_for=5) is True
    assert 0 < redis_server.command("PTTL", redis_prefix + "lock|h") <= 5_000
    assert await cache.acquire_lock("lock|h", 30) is None  # still held for the others
    # Never longer than it had left.
    token = await cache.acquire_lock("lock|g", 1)
    assert token is not None
    assert await cache.release_lock("lock|g", token, hold_for=60) is True
    assert 0 < redis_server.command("PTTL", redis_prefix + "lock|g") <= 1_000


@pytest.mark.parametrize("hold_for", [-1.0, math.inf, math.nan])
async def test_hold_for_must_be_a_finite_number_of_seconds(
    cache: RedisCache, hold_for: float
) -> None:
    with pytest.raises(ValueError, match="hold_for"):
        await cache.release_lock("lock|x", "t", hold_for=hold_for)


async def test_lock_calls_on_a_server_that_is_down_are_unavailable(
    redis_server_factory: RedisServerFactory, library: ClientChoice
) -> None:
    server = redis_server_factory()
    cache = RedisCache.from_url(
        server.url, client=library, operation_timeout=0.25, connect_timeout=0.2
    )
    try:
        assert await cache.acquire_lock("lock|d", 1) is not None
        server.stop()
        for call in (
            cache.acquire_lock("lock|d", 1),
            cache.release_lock("lock|d", "t"),
            cache.lock_held("lock|d"),
        ):
            with pytest.raises(CacheUnavailable):
                await call
    finally:
        await cache.close()


async def test_locks_on_a_cluster(redis_cluster: RedisClusterServers, redis_prefix: str) -> None:
    cache = RedisCache.from_url(
        redis_cluster.url, cluster=True, prefix=redis_prefix, operation_timeout=2.0
    )
    try:
        tokens = [await cache.acquire_lock(f"lock|{n}", 30) for n in range(8)]
        assert all(tokens)
        for n, token in enumerate(tokens):
            assert token is not None
            assert await cache.release_lock(f"lock|{n}", token)
    finally:
        await cache.close()


async def test_fetch_gives_the_ttl_redis_has_left_not_the_writers_estimate(
    cache: RedisCache, redis_server: RedisServer, redis_prefix: str
) -> None:
    # A writer whose clock runs an hour ahead packed an expiry an hour too late; Redis expires
    # the key in half a second.
    expires = (time.time_ns() // 1_000_000 + 3_600_000).to_bytes(8, "big")
    redis_server.command("SET", redis_prefix + "skewed", _PACKED + expires + b"v", "PX", 500)
    got = await cache.get("skewed")
    assert got is not None
    assert got.ttl_remaining is not None
    assert got.ttl_remaining > 3000  # the writer's word
    fetched = await cache.fetch(["skewed", "missing"])
    hit = fetched[0]
    assert hit is not None
    assert hit.value == b"v"
    assert hit.ttl_remaining is not None
    assert 0 < hit.ttl_remaining <= 0.5  # Redis's
    assert fetched[1] is None
    assert await cache.fetch([]) == []
    with pytest.raises(TypeError):
        await cache.fetch("skewed")


async def test_fetch_on_a_cluster_reads_every_slot(
    redis_cluster: RedisClusterServers, redis_prefix: str
) -> None:
    cache = RedisCache.from_url(
        redis_cluster.url, cluster=True, prefix=redis_prefix, operation_timeout=2.0
    )
    try:
        keys = [f"f{n}" for n in range(12)]
        for key in keys:
            await cache.set(key, key.encode(), 60)
        fetched = await cache.fetch([*keys, "none"])
        assert [None if hit is None else hit.value for hit in fetched] == [
            *(key.encode() for key in keys),
            None,
        ]
    finally:
        await cache.close()


# -- the feed of changes ------------------------------------------------------------------


class Recorder:
    """A listener that keeps what it was told."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.resets = 0

    async def keys_changed(self, keys: Sequence[str]) -> None:
        self.keys.extend(keys)

    async def all_changed(self) -> None:
        self.resets += 1


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, "did not happen in time"
        await asyncio.sleep(0.002)


async def test_the_feed_reports_this_prefix_only_and_authenticates(
    redis_server_factory: RedisServerFactory, library: ClientChoice
) -> None:
    server = redis_server_factory()
    server.command("CONFIG", "SET", "requirepass", "s3cret")  # after the harness saw it start
    url = f"redis://:s3cret@127.0.0.1:{server.port}/0"
    cache = RedisCache.from_url(url, prefix="mine:", client=library, operation_timeout=2.0)
    recorder = Recorder()
    tracking = cache.track(recorder)
    tracking.start()
    try:
        await until(lambda: tracking.live)
        assert recorder.resets == 1  # told once it is live: anything before was not watched
        raw = Redis.from_url(url)
        await raw.set("theirs:k", b"1")
        await raw.set("mine:k\xe9".encode(), b"1")
        await cache.set("gone", b"v", 60)
        await cache.delete("gone")
        await raw.aclose()
        await until(lambda: len(recorder.keys) >= 3)
        assert recorder.keys == ["k\xe9", "gone", "gone"]  # written, then removed
        tracking.start()  # running already: nothing changes
        assert recorder.resets == 1
    finally:
        await tracking.close()
        await cache.close()
    assert not tracking.live


async def test_a_glide_client_made_elsewhere_cannot_be_tracked(redis_server: RedisServer) -> None:
    glide = pytest.importorskip("glide")
    client = await glide.GlideClient.create(
        glide.GlideClientConfiguration([glide.NodeAddress("127.0.0.1", redis_server.port)])
    )
    try:
        with pytest.raises(TypeError, match="address and credentials"):
            RedisCache(client).track(Recorder())
    finally:
        await client.close()


async def test_the_feed_follows_a_failover_to_the_new_primary(
    failover_cluster: RedisClusterServers, redis_prefix: str
) -> None:
    cluster = failover_cluster
    cache = RedisCache.from_url(
        cluster.url, cluster=True, prefix=redis_prefix, operation_timeout=2.0
    )
    recorder = Recorder()
    tracking = cache.track(recorder)
    tracking.start()
    try:
        await until(lambda: tracking.live)
        lost = cluster.masters[0]
        lost.stop()  # its replica takes its slots over about a second later
        await until(lambda: not tracking.live)
        await until(lambda: tracking.live and len(cluster.primary_ports()) == 3, within=20)
        assert recorder.resets >= 2  # every session starts by dropping what may have been missed
        # A key on every primary, the promoted one too, is reported (written by a client of
        # the test's own: this is about the feed, not about the cache's writes in a failover).
        live = next(server for server in cluster.servers if server.running)
        writer = RedisCluster(host="127.0.0.1", port=live.port)
        keys = [f"k{n}" for n in range(24)]
        for key in keys:
            writer.set(redis_prefix + key, b"v")
        writer.close()
        await until(lambda: set(keys) <= set(recorder.keys), within=10)
    finally:
        await tracking.close()
        await cache.close()
