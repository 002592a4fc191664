"""The gateway on Redis under load and under faults, over real HTTP: a burst of 500 requests
against a healthy Redis, rate limits shared by two gateways, a Redis 50 ms away, a Redis Cluster
losing a primary, and every fault of the path to Redis (through :class:`tests.faultproxy.FaultProxy`
and the servers' own SIGSTOP, kill and restart).

The caches use their default budgets (``operation_timeout=0.25``) unless a test says otherwise:
what must hold, holds with the defaults. Breakers get a short cool-down where the test is about
caching coming back, so that it comes back within the test's seconds.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Unpack

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis
from redis.crc import key_slot

import aiohttp_apim
from aiohttp_apim import GatewayOptions
from aiohttp_apim.cache.breaker import BreakerState, CircuitBreaker
from aiohttp_apim.cache.redis import ClientChoice, RedisCache
from tests.conftest import RedisServerFactory
from tests.faultproxy import FaultProxy
from tests.redis_server import RedisClusterServers, RedisServer
from tests.web.conftest import FakeClock, policies_xml

CACHED = {
    "policy.xml": policies_xml(
        inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />',
        outbound='<cache-store duration="300" />',
    )
}

LIMITED = {
    "policy.xml": policies_xml(
        inbound='<rate-limit-by-key calls="100" renewal-period="60" counter-key="everyone" />'
    )
}

KIB = 1024
MIB = 1024 * 1024


@dataclass
class Site:
    """An app whose ``/items/{id}`` answers a body of ``size`` bytes (``?size=``), counting the
    handler's calls per id, with the gateway on it."""

    client: TestClient[web.Request, web.Application]
    gateway: aiohttp_apim.Gateway
    calls: dict[str, int] = field(default_factory=dict)
    call_times: list[tuple[float, str]] = field(default_factory=list)

    async def get(self, item: str, size: int = KIB) -> int:
        async with self.client.get(f"/items/{item}", params={"size": str(size)}) as answer:
            body = await answer.read()
            assert answer.status != 200 or len(body) == size
            return answer.status


Make = Callable[..., Awaitable[Site]]


@pytest.fixture
def make_site(aiohttp_client: AiohttpClient, clock: FakeClock) -> Make:
    async def make(
        cache: RedisCache, policies: dict[str, str] = CACHED, **options: Unpack[GatewayOptions]
    ) -> Site:
        app = web.Application()
        site_calls: dict[str, int] = {}
        call_times: list[tuple[float, str]] = []

        async def item(request: web.Request) -> web.Response:
            name = request.match_info["id"]
            site_calls[name] = site_calls.get(name, 0) + 1
            call_times.append((time.monotonic(), name))
            size = int(request.query.get("size", KIB))
            return web.Response(body=bytes([65 + len(name) % 26]) * size)

        app.router.add_get("/items/{id}", item, name="items:get")
        gateway = aiohttp_apim.setup(
            app, policies=policies, clock=clock, external_cache=cache, **options
        )
        client = await aiohttp_client(app)
        return Site(client, gateway, site_calls, call_times)

    return make


@pytest.fixture
async def caches() -> AsyncIterator[list[RedisCache]]:
    """Caches the test made; closed after it."""
    made: list[RedisCache] = []
    yield made
    for cache in made:
        await cache.close()


def cache_on(url: str, made: list[RedisCache], library: ClientChoice, **options: Any) -> RedisCache:
    cache = RedisCache.from_url(url, client=library, **options)
    assert cache.library == {"glide": "valkey-glide", "redis-py": "redis.asyncio"}[library]
    made.append(cache)
    return cache


def burst_budget(library: ClientChoice) -> dict[str, float]:
    """The operation budget for a burst: the default with glide, which times requests in its
    own thread; a generous one with redis.asyncio, which reads replies on the event loop, so
    that a test machine's loop, busy with hundreds of requests, does not eat the budget. What
    the burst tests are about (local limits never count against Redis) holds either way."""
    return {} if library == "glide" else {"operation_timeout": 2.0}


def closed_without_failures(cache: RedisCache) -> bool:
    return all(
        breaker.state is BreakerState.CLOSED and breaker.failures == 0
        for breaker in cache.breakers.values()
    )


# -- a healthy Redis under load --------------------------------------------------------------


async def test_a_burst_of_500_requests_keeps_caching_on(
    make_site: Make,
    redis_server: RedisServer,
    redis_prefix: str,
    caches: list[RedisCache],
    library: ClientChoice,
) -> None:
    cache = cache_on(
        redis_server.url, caches, library, prefix=redis_prefix, **burst_budget(library)
    )
    site = await make_site(cache)
    # 100 entries stored first: the burst's hits.
    assert {await site.get(f"h{i}", MIB if i % 10 == 0 else KIB) for i in range(100)} == {200}
    await site.gateway.drain()
    assert len(site.calls) == 100

    # 500 at once: each stored entry twice (hits), and 300 new ones (misses, then stores),
    # every tenth of a MiB.
    burst = [(f"h{i}", MIB if i % 10 == 0 else KIB) for i in range(100)] * 2
    burst += [(f"m{i}", MIB if i % 10 == 0 else KIB) for i in range(300)]
    statuses = await asyncio.gather(*(site.get(name, size) for name, size in burst))
    await site.gateway.drain()
    assert set(statuses) == {200}
    stats = site.gateway.stats()
    assert stats.cache_errors == 0
    assert stats.failed_writes == stats.dropped_writes == 0
    assert closed_without_failures(cache)
    assert sum(site.calls.values()) == 400  # every stored entry was a hit
    # Every storable miss was stored: the 300 new ones are all hits now.
    assert {await site.get(f"m{i}", MIB if i % 10 == 0 else KIB) for i in range(300)} == {200}
    assert sum(site.calls.values()) == 400


async def test_two_gateways_sharing_redis_count_a_burst_exactly(
    make_site: Make,
    redis_server: RedisServer,
    redis_prefix: str,
    caches: list[RedisCache],
    library: ClientChoice,
) -> None:
    sites = [
        await make_site(
            cache_on(
                redis_server.url, caches, library, prefix=redis_prefix, **burst_budget(library)
            ),
            LIMITED,
        )
        for _ in range(2)
    ]
    statuses = await asyncio.gather(*(sites[n % 2].get(f"r{n}") for n in range(300)))
    assert statuses.count(200) == 100
    assert statuses.count(429) == 200
    for site in sites:
        assert site.gateway.stats().rate_limit_errors == 0


async def test_a_rate_limit_waits_for_a_busy_pool_rather_than_let_calls_through(
    make_site: Make, redis_server: RedisServer, redis_prefix: str
) -> None:
    # Users' own clients with redis-py's default pool, far smaller than the burst: a call that
    # finds every connection busy is a local limit (CacheBusy). It must neither count against
    # Redis nor let the call through uncounted: the limit waits for a connection.
    clients = [Redis.from_url(redis_server.url, max_connections=4) for _ in range(2)]
    sites = [
        await make_site(RedisCache(client, prefix=redis_prefix, operation_timeout=2.0), LIMITED)
        for client in clients
    ]
    statuses = await asyncio.gather(*(sites[n % 2].get(f"r{n}") for n in range(300)))
    assert statuses.count(200) == 100
    assert statuses.count(429) == 200
    for site in sites:
        assert site.gateway.stats().rate_limit_errors == 0
    for client in clients:
        await client.aclose()


async def test_a_redis_50_ms_away_keeps_caching_on(
    make_site: Make,
    redis_server: RedisServer,
    redis_prefix: str,
    caches: list[RedisCache],
    library: ClientChoice,
) -> None:
    proxy = await FaultProxy(redis_server.port).start()
    proxy.latency = 0.05  # each way: 100 ms a round trip
    cache = cache_on(proxy.url, caches, library, prefix=redis_prefix)
    site = await make_site(cache)
    names = [f"far{i}" for i in range(20)]
    # Warm-up: one request per entry (a miss, then a store).
    assert set(await asyncio.gather(*(site.get(name) for name in names))) == {200}
    await site.gateway.drain()
    assert len(site.calls) == 20

    async def stream(offset: int) -> None:
        for n in range(10):
            assert await site.get(names[(offset + n) % 20]) == 200

    await asyncio.gather(*(stream(offset) for offset in range(20)))
    requests, misses = 200, sum(site.calls.values()) - 20
    assert (requests - misses) / requests > 0.99
    assert closed_without_failures(cache)
    await proxy.close()


# -- Redis Cluster losing a primary ----------------------------------------------------------


async def test_a_cluster_losing_a_primary_keeps_serving_the_other_shards(
    make_site: Make,
    failover_cluster: RedisClusterServers,
    caches: list[RedisCache],
    library: ClientChoice,
) -> None:
    cluster = failover_cluster
    cache = cache_on(cluster.url, caches, library, cluster=True, prefix="failover:")
    site = await make_site(cache)
    names = [f"c{i}" for i in range(60)]
    # Which primary holds each entry (the response key's slot is not ours to compute: ask
    # the entries where they landed, once stored).
    assert set(await asyncio.gather(*(site.get(name) for name in names))) == {200}
    await site.gateway.drain()
    shard_of = {}
    for server in cluster.masters:
        for key in server.command("KEYS", "failover:*"):
            found = re.search(rb"/items/(c[0-9]+)(?![0-9])", key)
            if found:
                shard_of[found.group(1).decode()] = server
    assert set(shard_of) == set(names), "every entry found on its primary"
    lost = cluster.masters[1]
    lost_names = {name for name in names if shard_of[name] is lost}
    assert lost_names
    assert len(lost_names) < len(names)

    results: list[tuple[float, int]] = []
    stop = asyncio.Event()

    async def traffic(offset: int) -> None:
        n = offset
        while not stop.is_set():
            results.append((time.monotonic(), await site.get(names[n % len(names)])))
            n += 7

    calls_before = dict(site.calls)
    workers = [asyncio.create_task(traffic(i)) for i in range(10)]
    await asyncio.sleep(0.3)
    killed_at = time.monotonic()
    lost.stop()  # SIGKILL; its replica takes over about a second later
    await asyncio.sleep(3.6)
    stop.set()
    await asyncio.gather(*workers)
    await site.gateway.drain()

    assert {status for _, status in results} == {200}  # no failed request
    misses = [(at, name) for at, name in site.call_times if at >= killed_at - 0.3]
    # The other shards' keys kept hitting throughout.
    assert [name for _, name in misses if name not in lost_names] == []
    assert {name: site.calls[name] - calls_before[name] for name in names} != {}
    # Within 3 s of the kill, the hit rate is back above 95% (the lost shard's keys too).
    late = [at for at, _ in results if at >= killed_at + 3.0]
    late_misses = [at for at, _ in misses if at >= killed_at + 3.0]
    assert len(late) >= 20
    assert 1 - len(late_misses) / len(late) > 0.95


# -- faults ----------------------------------------------------------------------------------

FAULTS = [
    "latency-50ms",
    "latency-500ms",
    "latency-5s",
    "blackhole",
    "reset",
    "truncate",
    "sigstop",
    "kill-restart",
]


@pytest.mark.parametrize("fault", FAULTS)
async def test_no_request_fails_under_a_fault_and_caching_comes_back(
    fault: str,
    make_site: Make,
    redis_server_factory: RedisServerFactory,
    caches: list[RedisCache],
    library: ClientChoice,
) -> None:
    server = redis_server_factory()
    proxy = await FaultProxy(server.port).start()
    breaker = CircuitBreaker(cooldown=0.3, max_cooldown=0.3)
    cache = cache_on(proxy.url, caches, library, breaker=breaker, connect_timeout=0.5)
    site = await make_site(cache, max_pending_writes=100)
    assert await site.get("before") == 200
    await site.gateway.drain()

    def apply() -> None:
        if fault.startswith("latency-"):
            proxy.latency = {"50ms": 0.05, "500ms": 0.5, "5s": 5.0}[fault.split("-")[1]]
        elif fault == "blackhole":
            proxy.blackhole()
        elif fault == "reset":
            proxy.reset()
        elif fault == "truncate":
            proxy.truncate_next_reply()
        elif fault == "sigstop":
            server.freeze()
        else:
            server.stop()

    def undo() -> None:
        proxy.heal()
        if fault == "sigstop":
            server.thaw()
        elif fault == "kill-restart":
            server.start()

    apply()
    during: list[int] = []
    started = time.monotonic()
    for round_ in range(4):
        during += await asyncio.gather(
            *(site.get(f"during{round_}-{i}") for i in range(30)), site.get("before")
        )
        if fault == "reset":
            proxy.reset()
        # Every write ends within its budget: those of the round before at most are pending.
        pending = site.gateway.stats().pending_writes
        assert pending <= 2 * 31, "background writes pile up"
    assert set(during) == {200}
    assert time.monotonic() - started < 6
    undo()
    await asyncio.wait_for(site.gateway.drain(), 2.0)

    # Caching comes back soon after the fault ends.
    deadline = time.monotonic() + 3.0
    n = 0
    while True:
        n += 1
        assert await site.get(f"after{n}") == 200
        await site.gateway.drain()
        calls = site.calls.get(f"after{n}", 0)
        assert await site.get(f"after{n}") == 200
        if site.calls[f"after{n}"] == calls:
            break
        assert time.monotonic() < deadline, f"caching did not come back ({cache.breaker})"
        await asyncio.sleep(0.05)
    await proxy.close()


def slot_of(prefix: str, key: str) -> int:
    return key_slot((prefix + key).encode())
