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
import itertools
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
from aiohttp_apim.pipeline.steps import ratelimit
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


def body_of(item: str, size: int) -> bytes:
    """The body of ``/items/{item}?size=``: the item's name over and over, so that an answer
    for another item (or a truncated one) shows."""
    name = item.encode() + b";"
    return (name * (size // len(name) + 1))[:size]


@dataclass
class Site:
    """An app whose ``/items/{id}`` answers a body of ``size`` bytes (``?size=``), counting the
    handler's calls per id (and noting the ``X-Test-Request`` of each request it answered),
    with the gateway on it."""

    client: TestClient[web.Request, web.Application]
    gateway: aiohttp_apim.Gateway
    calls: dict[str, int] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)

    async def get(self, item: str, size: int = KIB, request: str = "") -> int:
        """The status of a GET of ``item`` (``request`` names it for :attr:`handled`); a 200
        must carry the item's own body."""
        params = {"size": str(size)}
        headers = {"X-Test-Request": request} if request else {}
        async with self.client.get(f"/items/{item}", params=params, headers=headers) as answer:
            body = await answer.read()
            assert answer.status != 200 or body == body_of(item, size)
            return answer.status


Make = Callable[..., Awaitable[Site]]


@pytest.fixture
def make_site(aiohttp_client: AiohttpClient, clock: FakeClock) -> Make:
    async def make(
        cache: RedisCache, policies: dict[str, str] = CACHED, **options: Unpack[GatewayOptions]
    ) -> Site:
        app = web.Application()
        site_calls: dict[str, int] = {}
        handled: set[str] = set()

        async def item(request: web.Request) -> web.Response:
            name = request.match_info["id"]
            site_calls[name] = site_calls.get(name, 0) + 1
            handled.add(request.headers.get("X-Test-Request", ""))
            return web.Response(body=body_of(name, int(request.query.get("size", KIB))))

        app.router.add_get("/items/{id}", item, name="items:get")
        gateway = aiohttp_apim.setup(
            app, policies=policies, clock=clock, external_cache=cache, **options
        )
        client = await aiohttp_client(app)
        return Site(client, gateway, site_calls, handled)

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
    make_site: Make,
    redis_server: RedisServer,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Users' own clients with redis-py's default pool, far smaller than the burst: a call that
    # finds every connection busy is a local limit (CacheBusy). It must neither count against
    # Redis nor let the call through uncounted: the limit waits for a connection. (For as long
    # as a busy machine takes to free one: the limit's own bound on that wait, after which it
    # fails open, is not what this is about.)
    monkeypatch.setattr(ratelimit, "BUSY_WAIT", 120.0)
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
    # Warm-up: a request per entry (a miss, then a store), at once, until a round is all hits.
    # (The first connections take a few round trips each, which a busy machine may stretch
    # past the budget: the first round may miss and fail to store. What is measured is after.)
    deadline = time.monotonic() + 20
    while True:
        before = sum(site.calls.values())
        assert set(await asyncio.gather(*(site.get(name) for name in names))) == {200}
        await site.gateway.drain()
        if sum(site.calls.values()) == before:
            break
        assert time.monotonic() < deadline, f"never all cached: {cache.breakers}"
    assert len(site.calls) == 20

    async def stream(offset: int) -> None:
        for n in range(10):
            assert await site.get(names[(offset + n) % 20]) == 200

    warm = sum(site.calls.values())
    await asyncio.gather(*(stream(offset) for offset in range(20)))
    requests, misses = 200, sum(site.calls.values()) - warm
    assert (requests - misses) / requests > 0.99
    assert closed_without_failures(cache)
    await proxy.close()


# -- Redis Cluster losing a primary ----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One request of the cluster test's traffic: the phase it was sent in, the item, the
    status, and whether the handler answered it (else the cache did)."""

    phase: str
    item: str
    status: int
    handled: bool


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
    live_names = set(names) - lost_names
    assert lost_names
    assert live_names
    # The lost primary's replica takes over when the test lets it, so that the outage lasts
    # as many requests as the test counts in it, however slow the machine (and however long
    # it lasted, the replica's data is not too old to take over with).
    replica = cluster.replica_of(lost)
    replica.command("CONFIG", "SET", "cluster-replica-validity-factor", "0")
    replica.command("CONFIG", "SET", "cluster-replica-no-failover", "yes")

    answers: list[Answer] = []
    phase = "before"
    stop = asyncio.Event()
    serials = itertools.count()

    async def traffic(offset: int) -> None:
        n = offset
        while not stop.is_set():
            item, request, sent = names[n % len(names)], f"r{next(serials)}", phase
            status = await site.get(item, request=request)
            answers.append(Answer(sent, item, status, request in site.handled))
            n += 7

    def sent_in(when: str, items: set[str]) -> list[Answer]:
        return [answer for answer in answers if answer.phase == when and answer.item in items]

    async def until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 30  # only a stalled gateway (or cluster) misses it
        while not condition():
            for worker in workers:
                if worker.done():
                    worker.result()  # a request that failed: its error
            assert time.monotonic() < deadline, f"{what}: {len(answers)} answers"
            await asyncio.sleep(0.01)

    workers = [asyncio.create_task(traffic(i)) for i in range(10)]
    await until(lambda: len(answers) >= len(names), "traffic before the kill")
    lost.stop()  # SIGKILL
    phase = "down"
    # While the lost primary's slots have no primary: requests for its keys and the others'.
    await until(
        lambda: len(sent_in("down", lost_names)) >= 20 and len(sent_in("down", live_names)) >= 40,
        "traffic during the outage",
    )
    replica.command("CONFIG", "SET", "cluster-replica-no-failover", "no")
    phase = "failover"

    def recovered() -> bool:
        # The replica has taken over and the cache found it: the last 20 requests for the
        # lost primary's keys were answered from the cache (from the replica's copies).
        since = sent_in("failover", lost_names)
        return len(since) >= 20 and not any(answer.handled for answer in since[-20:])

    await until(recovered, "the lost primary's keys never hit again")
    stop.set()
    await asyncio.gather(*workers)
    await site.gateway.drain()

    assert {answer.status for answer in answers} == {200}  # no failed request, each its body
    # The other shards' keys kept hitting throughout.
    live_misses = [answer for answer in answers if answer.item in live_names and answer.handled]
    assert live_misses == [], cache.breakers
    # The lost shard's keys fell through to the handler while it was down.
    assert all(answer.handled for answer in sent_in("down", lost_names))
    # Once its replica took over, every key is a hit again, the lost shard's too.
    for name in names:
        assert await site.get(name, request=f"after-{name}") == 200
    assert [name for name in names if f"after-{name}" in site.handled] == []


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
    for round_ in range(4):
        began = time.monotonic()
        during += await asyncio.gather(
            *(site.get(f"during{round_}-{i}") for i in range(30)), site.get("before")
        )
        # No request waited the fault out (5 s of latency, or for ever), however slow the
        # machine makes the rest.
        assert time.monotonic() - began < 4.5, "a request waited the fault out"
        if fault == "reset":
            proxy.reset()
        # Every write ends within its budget: those of the round before at most are pending.
        pending = site.gateway.stats().pending_writes
        assert pending <= 2 * 31, "background writes pile up"
    assert set(during) == {200}
    undo()
    await asyncio.wait_for(site.gateway.drain(), 2.0)

    # Caching comes back after the fault ends (within the breaker's cool-down of 0.3 s and
    # the client's reconnection; the deadline only catches a cache that never comes back).
    deadline = time.monotonic() + 20.0
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
