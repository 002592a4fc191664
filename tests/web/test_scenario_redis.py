"""The gateway on a real Redis, over HTTP: app instances sharing one Redis (values, responses,
rate limits), and a Redis outage in the middle of traffic -- every request still answered by
the backend, caching back once Redis is.

Each app instance gets a RedisCache of its own, as separate processes would, with the same
prefix. Operation timeouts are generous (a busy machine must not turn a hit into a miss)
except where the test is about failures.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application, Request
from pytest_aiohttp import AiohttpClient, AiohttpServer

import aiohttp_apim
from aiohttp_apim.cache.breaker import BreakerState, CircuitBreaker
from tests.cache.contract import ManualClock
from tests.conftest import RedisServerFactory
from tests.redis_server import RedisClusterServers, RedisServer
from tests.web.conftest import Backends, FakeClock, build_app, policies_xml, set_header
from tests.web.test_scenario_send_request import CALL_OUT_AND_CACHE, Service

RELAXED = 2.0

SHARED_POLICY = {
    "policy.xml": policies_xml(
        inbound=(
            '<rate-limit-by-key calls="4" renewal-period="60" '
            'counter-key="@(context.Request.Headers.GetValueOrDefault("X-Caller", "anyone"))" />'
            '<choose><when condition="@(context.Request.Headers.ContainsKey("X-Store"))">'
            '<cache-store-value key="shared" '
            'value="@(context.Request.Headers.GetValueOrDefault("X-Store", ""))" duration="60" />'
            "</when></choose>"
            '<cache-lookup-value key="shared" variable-name="v" default-value="miss" />'
            # Last: a hit skips the rest of inbound, and outbound still reads the variable.
            '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
        ),
        outbound='<cache-store duration="60" />'
        + set_header("X-V", '@((string)context.Variables["v"])'),
    )
}


class Instance:
    """One app instance (a process, in production) with its own client of the shared Redis."""

    def __init__(
        self,
        client: TestClient[Request, Application],
        gateway: aiohttp_apim.Gateway,
        backends: Backends,
    ) -> None:
        self.client = client
        self.gateway = gateway
        self.backends = backends

    async def get(
        self, path: str = "/shop/items", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, str]:
        async with self.client.get(path, headers=headers) as answer:
            result = answer.status, await answer.read(), answer.headers.get("X-V", "")
        await self.gateway.drain()
        return result


Instances = Callable[[str], Awaitable[list[Instance]]]


@pytest.fixture
async def instances(
    aiohttp_client: AiohttpClient, clock: FakeClock, redis_prefix: str
) -> Instances:
    async def make(url: str) -> list[Instance]:
        made = []
        for _ in range(2):
            cache = aiohttp_apim.RedisCache.from_url(
                url, prefix=redis_prefix, operation_timeout=RELAXED
            )
            app, gateway, backends = build_app(
                SHARED_POLICY, clock=clock, external_cache=cache, cache_timeout=RELAXED
            )
            assert isinstance(gateway, aiohttp_apim.Gateway)
            made.append(Instance(await aiohttp_client(app), gateway, backends))
        return made

    return make


async def check_sharing(a: Instance, b: Instance) -> None:
    # A value stored through one instance is read through the other.
    await a.get("/shop/items/1", {"X-Store": "from a", "X-Caller": "s"})
    assert (await b.get("/shop/items/2", {"X-Caller": "s"}))[2] == "from a"
    # A response cached through one instance is a hit through the other.
    status, body, _ = await a.get("/shop/items/3", {"X-Caller": "r"})
    assert (status, body) == (200, b"shop:get #2")
    assert (await b.get("/shop/items/3", {"X-Caller": "r"}))[:2] == (200, b"shop:get #2")
    assert b.backends["shop:get"].calls == 1
    # One rate limit for both: 4 calls in all, wherever they land.
    statuses = []
    for n in range(6):
        instance = (a, b)[n % 2]
        statuses.append((await instance.get(f"/shop/items/l{n}", {"X-Caller": "limited"}))[0])
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_two_instances_share_values_responses_and_limits_on_one_redis(
    instances: Instances, redis_server: RedisServer
) -> None:
    a, b = await instances(redis_server.url)
    await check_sharing(a, b)
    assert a.gateway.stats().cache_errors == b.gateway.stats().cache_errors == 0


async def test_two_instances_share_values_responses_and_limits_on_a_cluster(
    instances: Instances, redis_cluster: RedisClusterServers
) -> None:
    a, b = await instances(f"redis+cluster://127.0.0.1:{redis_cluster.ports[0]}")
    await check_sharing(a, b)


async def test_a_call_out_cached_in_redis_serves_every_instance(
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
    clock: FakeClock,
    redis_server: RedisServer,
    redis_prefix: str,
) -> None:
    service = Service()
    service.server = await aiohttp_server(service.app)
    clients = []
    for _ in range(2):
        cache = aiohttp_apim.RedisCache.from_url(
            redis_server.url, prefix=redis_prefix, operation_timeout=RELAXED
        )
        app, gateway, _ = build_app(
            {"policy.xml": CALL_OUT_AND_CACHE},
            clock=clock,
            external_cache=cache,
            named_values={"svc": service.base},
            cache_timeout=RELAXED,
        )
        clients.append((await aiohttp_client(app), gateway))
    for n in range(4):
        client, gateway = clients[n % 2]
        async with client.get("/shop/items", headers={"X-User": "dana"}) as answer:
            assert json.loads(answer.headers["X-Profile"])["username"] == "Dana"
        await gateway.drain()
    assert service.count("/profile/dana") == 1


def state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state


# --- an outage ------------------------------------------------------------------------------------

OUTAGE_POLICY = {
    "policy.xml": policies_xml(
        inbound=(
            '<rate-limit-by-key calls="1000" renewal-period="60" counter-key="all" />'
            '<cache-lookup-value key="@(context.Request.Url.Path)" variable-name="v" '
            'default-value="none" />'
            '<cache-store-value key="@(context.Request.Url.Path)" value="seen" duration="60" />'
            '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
        ),
        outbound='<cache-store duration="60" />'
        + set_header("X-V", '@((string)context.Variables["v"])'),
    )
}


async def test_a_redis_outage_in_the_middle_of_traffic(
    aiohttp_client: AiohttpClient,
    clock: FakeClock,
    redis_server_factory: RedisServerFactory,
) -> None:
    server = redis_server_factory()
    breaker_clock = ManualClock()
    breaker = CircuitBreaker(clock=breaker_clock, cooldown=1.0, max_cooldown=1.0)
    cache = aiohttp_apim.RedisCache.from_url(
        server.url, prefix="outage:", operation_timeout=RELAXED, breaker=breaker
    )
    app, gateway, backends = build_app(
        OUTAGE_POLICY, clock=clock, external_cache=cache, cache_timeout=RELAXED
    )
    assert isinstance(gateway, aiohttp_apim.Gateway)
    client = await aiohttp_client(app)
    backend = backends["shop:get"]

    async def get(item: int) -> tuple[int, bytes, str]:
        async with client.get(f"/shop/items/{item}") as answer:
            return answer.status, await answer.read(), answer.headers.get("X-V", "")

    # Before: item 1 is cached (response and value).
    assert (await get(1))[0] == 200
    await gateway.drain()
    assert await get(1) == (200, b"shop:get #1", "seen")
    assert backend.calls == 1

    # Traffic: 8 concurrent streams of requests; Redis is killed once 20 have been answered,
    # while the others are in flight.
    answered = 0
    half_way = asyncio.Event()
    results: list[tuple[int, bytes, str]] = []

    async def stream(first: int) -> None:
        nonlocal answered
        for item in range(first, first + 6):
            results.append(await get(item))
            answered += 1
            if answered == 20:
                half_way.set()

    traffic = [asyncio.create_task(stream(100 + 10 * n)) for n in range(8)]
    await half_way.wait()
    server.stop()  # SIGKILL: an outage, not a shutdown
    await asyncio.gather(*traffic)
    await gateway.drain()
    assert len(results) == 48
    assert all(status == 200 for status, _, _ in results)  # the backend served every request
    during = [await get(item) for item in (1, 2, 3)]  # item 1's entry is out of reach now
    assert [status for status, _, _ in during] == [200, 200, 200]
    assert [v for _, _, v in during] == ["none"] * 3
    await gateway.drain()
    assert state(breaker) is BreakerState.OPEN
    stats = gateway.stats()
    assert stats.cache_errors > 0
    assert stats.rate_limit_errors > 0
    assert stats.rate_limited == 0

    # After: Redis is back (empty); once the breaker's cool-down has passed, caching resumes.
    server.start()
    for _ in range(5):  # a probe may land on a connection that died with the old server
        breaker_clock.advance(1.0)
        await get(7)
        await gateway.drain()
        if state(breaker) is BreakerState.CLOSED:
            break
    assert state(breaker) is BreakerState.CLOSED
    await get(8)
    await gateway.drain()
    assert await get(8) == (200, f"shop:get #{backend.calls}".encode(), "seen")
