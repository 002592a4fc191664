"""A gateway whose Redis is down when it starts, over real HTTP and real processes: nothing
listening on the port (connection refused), a server that accepts connections and never answers
(the fault proxy's blackhole), and a server that starts only after the gateway. Bursts of
concurrent requests are all answered by the handler, the outage is counted once (the breaker
opens, its failures stay at one per outage for a connection that cannot be made), and caching
comes back once Redis does. On both client libraries.

No timed assertions: each phase waits for a condition (the breaker open, a repeat that is a hit)
up to a generous deadline, which only a stalled gateway misses. The breaker's cool-down runs on a
clock of the test's own, so that an open breaker stays open (no probe goes) however long a burst
takes on a busy machine, until the test moves the clock on to let caching come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.cache.breaker import BreakerState, CircuitBreaker
from aiohttp_apim.cache.redis import ClientChoice, RedisCache
from tests.conftest import RedisServerFactory
from tests.faultproxy import FaultProxy
from tests.redis_server import HOST, free_port
from tests.web.conftest import FakeClock, policies_xml

CACHED = {
    "policy.xml": policies_xml(
        inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />',
        outbound='<cache-store duration="300" />',
    )
}
BURST = 100
# Long enough for any busy test machine; a gateway that stalls on its Redis misses it.
DEADLINE = 20.0
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Site:
    """An app whose ``/items/{id}`` counts its calls, behind the gateway on a RedisCache."""

    client: TestClient[web.Request, web.Application]
    gateway: aiohttp_apim.Gateway
    cache: RedisCache
    clock: FakeClock
    """The breaker's clock: its cool-down passes only when the test moves it on."""
    calls: dict[str, int] = field(default_factory=dict)

    async def get(self, item: str) -> int:
        async with self.client.get(f"/items/{item}") as answer:
            await answer.read()
            return answer.status

    async def burst(self, name: str, size: int = BURST) -> list[int]:
        """``size`` concurrent requests, each for an item of its own."""
        return await asyncio.gather(*(self.get(f"{name}-{i}") for i in range(size)))

    def handled(self, name: str) -> int:
        return sum(n for item, n in self.calls.items() if item.startswith(f"{name}-"))

    async def cached(self, item: str) -> bool:
        """Whether a repeat of ``item`` is answered from the cache."""
        assert await self.get(item) == 200
        await self.gateway.drain()
        before = self.calls.get(item, 0)
        assert await self.get(item) == 200
        return self.calls[item] == before


OpenSite = Callable[..., Awaitable[Site]]
"""``open_site(url, **from_url_options)``."""


@pytest.fixture
async def open_site(
    aiohttp_client: AiohttpClient, library: ClientChoice
) -> AsyncIterator[OpenSite]:
    """Opens a site on a RedisCache of ``library`` for a URL, its breaker on a clock of the
    site's own; the caches are closed after the test."""
    made: list[Site] = []

    async def open_(url: str, **options: Any) -> Site:
        clock = FakeClock()
        cache = RedisCache.from_url(
            url,
            client=library,
            **{
                "connect_timeout": 0.5,
                "breaker": CircuitBreaker(cooldown=1.0, max_cooldown=1.0, clock=clock),
                **options,
            },
        )
        app = web.Application()
        calls: dict[str, int] = {}

        async def item(request: web.Request) -> web.Response:
            name = request.match_info["id"]
            calls[name] = calls.get(name, 0) + 1
            return web.Response(text=name)

        app.router.add_get("/items/{id}", item, name="items:get")
        gateway = aiohttp_apim.setup(app, policies=CACHED, external_cache=cache)
        made.append(Site(await aiohttp_client(app), gateway, cache, clock, calls))
        return made[-1]

    yield open_
    for site in made:
        await site.cache.close()


async def until_open(site: Site) -> int:
    """Send bursts until the cache's breaker is open; the number of bursts sent."""
    deadline = time.monotonic() + DEADLINE
    bursts = 0
    while site.cache.breaker.state is not BreakerState.OPEN:
        assert time.monotonic() < deadline, f"the breaker never opened: {site.cache.breaker}"
        bursts += 1
        assert set(await site.burst(f"wait{bursts}", 20)) == {200}
        await asyncio.sleep(0.01)  # let the background connection attempt run
    return bursts


async def until_cached(site: Site) -> None:
    """Repeat requests until a repeat is a hit, each round after the breaker's cool-down (an
    open breaker lets its probe through then)."""
    deadline = time.monotonic() + DEADLINE
    n = 0
    while True:
        n += 1
        site.clock.advance(site.cache.breaker.cooldown)
        if await site.cached(f"back{n}"):
            return
        assert time.monotonic() < deadline, f"caching never came back: {site.cache.breaker}"
        await asyncio.sleep(0.05)


async def check_served_and_counted_once(site: Site, *, threshold: int) -> None:
    """With the breaker open on a Redis that is down: a burst is answered by the handler, every
    request, and the outage has been counted at most ``threshold`` times."""
    statuses = await site.burst("down")
    assert statuses == [200] * BURST
    assert site.handled("down") == BURST
    assert site.gateway.stats().response_misses >= BURST
    breaker = site.cache.breaker
    assert breaker.state is BreakerState.OPEN
    assert 1 <= breaker.failures <= threshold


async def outage_then_recovery(
    site: Site, *, threshold: int, recover: Callable[[], object]
) -> None:
    """Redis down from the start: requests served, the outage counted at most ``threshold``
    times; then ``recover()``, and caching comes back with the breaker closed."""
    await until_open(site)
    await check_served_and_counted_once(site, threshold=threshold)
    recover()
    await until_cached(site)
    assert site.cache.breaker.state is BreakerState.CLOSED
    assert site.cache.breaker.failures == 0


async def test_a_redis_refusing_connections_at_startup_is_one_outage(
    open_site: OpenSite,
) -> None:
    site = await open_site(f"redis://{HOST}:{free_port()}/0")
    await until_open(site)
    # Nothing listens: one outage, counted once, not once per request.
    await check_served_and_counted_once(site, threshold=1)
    assert site.gateway.stats().pending_writes <= BURST


async def test_a_redis_that_never_answers_at_startup(
    open_site: OpenSite, library: ClientChoice, redis_server_factory: RedisServerFactory
) -> None:
    proxy = await FaultProxy(redis_server_factory().port).start()
    try:
        proxy.blackhole()
        site = await open_site(proxy.url)
        # glide has no connection and counts the outage once; redis.asyncio sends, and counts
        # the calls that time out until its breaker opens.
        await outage_then_recovery(
            site, threshold=1 if library == "glide" else 3, recover=proxy.heal
        )
    finally:
        await proxy.close()


async def test_a_redis_that_starts_after_the_gateway(
    open_site: OpenSite, redis_server_factory: RedisServerFactory
) -> None:
    server = redis_server_factory()
    server.stop()  # its port, with nothing listening on it yet
    site = await open_site(server.url)
    await outage_then_recovery(site, threshold=1, recover=server.start)
    assert server.command("DBSIZE") > 0  # the responses since are in Redis


async def test_a_healthy_redis_is_used_from_the_first_request(
    open_site: OpenSite, library: ClientChoice, redis_server_factory: RedisServerFactory
) -> None:
    # Connecting in the background never makes the first requests count as failures. (glide
    # with the default budget: it times requests in its own thread. redis.asyncio connects and
    # reads its replies on the test's event loop, which a burst of 100 on a busy machine can
    # keep busy past the default budget: a generous one, as in the burst tests.)
    budget = {} if library == "glide" else {"operation_timeout": 2.0}
    site = await open_site(redis_server_factory().url, **budget)
    assert set(await site.burst("first")) == {200}
    await site.gateway.drain()
    assert site.gateway.stats().cache_errors == 0
    assert site.gateway.stats().failed_writes == 0
    assert site.cache.breaker.state is BreakerState.CLOSED
    assert site.cache.breaker.failures == 0
    assert await site.cached("first-0")


async def test_a_slow_first_connection_is_not_an_outage(
    open_site: OpenSite, library: ClientChoice, redis_server_factory: RedisServerFactory
) -> None:
    # A healthy Redis that is slow to connect to (a far server, a busy event loop): requests
    # meanwhile are served by the handler, and nothing counts against Redis.
    if library != "glide":
        pytest.skip("redis.asyncio connects per call, within the call's own budget")
    proxy = await FaultProxy(redis_server_factory().port).start()
    try:
        proxy.pause()  # connections accepted, nothing forwarded: connecting takes as long
        site = await open_site(proxy.url, connect_timeout=60.0)
        assert set(await site.burst("slow")) == {200}
        assert site.handled("slow") == BURST
        assert site.cache.breaker.state is BreakerState.CLOSED
        assert site.cache.breaker.failures == 0
        proxy.resume()
        await until_cached(site)
        assert site.cache.breaker.failures == 0
    finally:
        await proxy.close()


# -- the log, in a process of its own (glide's logger is one per process) ---------------------


async def test_glide_does_not_print_its_own_log_when_redis_is_down(tmp_path: Path) -> None:
    pytest.importorskip("glide", reason="valkey-glide is not installed")
    port = free_port()
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "demo_app",
        "--port",
        str(port),
        "--backend-delay",
        "0",
        "--redis",
        f"redis://{HOST}:{free_port()}/0",
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    stderr = demo.stderr
    assert stderr is not None
    lines: list[str] = []

    async def read() -> None:
        async for line in stderr:
            lines.append(line.decode())

    reader = asyncio.create_task(read())
    try:
        async with ClientSession() as session:
            # Requests until the cache has reported the failed connection on its logger.
            deadline = time.monotonic() + DEADLINE
            while not any("cannot connect to Redis" in line for line in lines):
                assert time.monotonic() < deadline, "".join(lines)
                with contextlib.suppress(OSError):  # not listening yet
                    async with session.get(f"http://{HOST}:{port}/catalog/search?q=tea") as answer:
                        assert answer.status == 200
                await asyncio.sleep(0.05)
    finally:
        demo.terminate()
        await demo.wait()
        await reader
    text = "".join(lines)
    assert "WARNING aiohttp_apim.cache.redis_glide: cannot connect to Redis" in text
    assert "glide_logger" not in text  # glide's Rust core printed nothing
    assert "Failed connecting" not in text
