"""Stampede protection across instances sharing Redis (``stampede_lock=True``), over HTTP: two
app instances, each with its own RedisCache (own client, own connections), one handler counter.

Each test holds the first handler call -- the lock holder's -- until every request has reached
an instance and the other instance's leader is seen waiting on the lock (it polls the lock with
``EXISTS``: counted in the private server's own command statistics), then lets it go. Nothing
measures time; the generous timeouts only turn a hang into a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.cache.redis import ClientChoice, RedisCache
from tests.conftest import RedisServerFactory
from tests.doubles import DictCache
from tests.faultproxy import FaultProxy
from tests.redis_server import RedisServer
from tests.web.conftest import FakeClock
from tests.web.test_scenario_stampede import POLICY, Stampede, answers_500, fails, plain

Reply = Callable[[int], Awaitable[web.Response]]
LONG = 60.0  # no wait in these tests may end by a timeout: a hang fails the test instead


async def private(call: int) -> web.Response:
    return web.Response(text=f"item #{call}", headers={"Cache-Control": "private"})


def lock_polls(server: RedisServer) -> int:
    """How many EXISTS the server has run: leaders waiting on another instance's lock."""
    stats = server.command("INFO", "commandstats")
    return int(stats.get("cmdstat_exists", {}).get("calls", 0))


class Instances(Stampede):
    """Two app instances sharing one Redis and one handler (its calls counted together): the
    first call answers with ``first``, the others with ``later``."""

    def __init__(self, server: RedisServer, expected: int, first: Reply, later: Reply) -> None:
        super().__init__(expected, first)
        self.server = server
        self.later = later
        self.clients: list[TestClient[web.Request, web.Application]] = []
        self.gateways: list[aiohttp_apim.Gateway] = []
        self.caches: list[RedisCache] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        call = self.calls
        if call == 1:
            await self.released.wait()
            return await self.first(call)
        return await self.later(call)

    async def start_pair(
        self,
        aiohttp_client: AiohttpClient,
        clock: FakeClock,
        url: str,
        library: ClientChoice,
        prefix: str,
        *,
        near: bool = False,
        **options: Any,
    ) -> None:
        for _ in range(2):
            # A generous budget: a busy test loop must not turn a lock call into a timeout
            # (that would fall back to the protection within the instance: a second call).
            cache = RedisCache.from_url(url, prefix=prefix, client=library, operation_timeout=2.0)
            self.caches.append(cache)
            external: aiohttp_apim.Cache = aiohttp_apim.NearCache(cache) if near else cache
            app = web.Application(middlewares=[self.arrivals])
            app.router.add_get("/shop/items", self.handle, name="shop:list")
            gateway = aiohttp_apim.setup(
                app,
                policies=POLICY,
                clock=clock,
                external_cache=external,
                stampede_lock=True,
                stampede_timeout=LONG,
                stampede_lock_timeout=LONG,
                cache_timeout=2.0,
                **options,
            )
            self.gateways.append(gateway)
            self.clients.append(await aiohttp_client(app, connector=aiohttp.TCPConnector(limit=0)))

    async def get_from(self, n: int) -> tuple[int, str]:
        client = self.clients[n % 2]
        async with client.get("/shop/items", params={"id": "1"}) as answer:
            return answer.status, await answer.text()

    async def run_pair(self) -> list[tuple[int, str]]:
        """``expected`` concurrent GETs of one key, alternating between the instances; the
        first handler call is released once all are in and a leader waits on its lock."""
        before = lock_polls(self.server)
        async with asyncio.timeout(30):
            requests = [asyncio.ensure_future(self.get_from(n)) for n in range(self.expected)]
            await self.all_in.wait()
            while lock_polls(self.server) == before:
                await asyncio.sleep(0.005)
            assert self.calls == 1  # every other request waits, in both instances
            self.released.set()
            answers = await asyncio.gather(*requests)
            for gateway in self.gateways:
                await gateway.drain()
        return answers

    async def close(self) -> None:
        for cache in self.caches:
            await cache.close()


@pytest.fixture
async def instances(
    aiohttp_client: AiohttpClient,
    clock: FakeClock,
    redis_server_factory: RedisServerFactory,
    redis_prefix: str,
    library: ClientChoice,
) -> AsyncIterator[Callable[..., Awaitable[Instances]]]:
    made: list[Instances] = []

    async def make(
        expected: int, first: Reply = plain, later: Reply = plain, **options: Any
    ) -> Instances:
        server = redis_server_factory()
        pair = Instances(server, expected, first, later)
        await pair.start_pair(aiohttp_client, clock, server.url, library, redis_prefix, **options)
        made.append(pair)
        return pair

    yield make
    for pair in made:
        await pair.close()


async def test_200_cold_requests_over_two_instances_call_the_handler_once(
    instances: Callable[..., Awaitable[Instances]],
) -> None:
    pair = await instances(200)
    answers = await pair.run_pair()
    assert pair.calls == 1
    assert answers == [(200, "item #1")] * 200


@pytest.mark.parametrize(
    "first", [fails, answers_500, private], ids=["raises", "500", "not-storable"]
)
async def test_a_first_response_not_stored_lets_every_waiter_of_both_instances_through(
    instances: Callable[..., Awaitable[Instances]], first: Reply
) -> None:
    pair = await instances(40, first)
    answers = await pair.run_pair()
    # Nobody was failed on the first one's account: the first request got the first answer,
    # every waiter (in both instances) an answer of its own or of a later leader.
    firsts = [n for n, (status, text) in enumerate(answers) if status == 500 or text == "item #1"]
    assert len(firsts) == 1
    assert all(status == 200 for n, (status, _) in enumerate(answers) if n not in firsts)
    assert pair.calls >= 2


async def test_when_no_response_is_storable_every_request_of_both_instances_calls_the_handler(
    instances: Callable[..., Awaitable[Instances]],
) -> None:
    # Nothing is ever stored: every waiter, in either instance, must be let through (a waiter
    # left waiting on a lock nobody will fill would hang the test).
    pair = await instances(40, private, private)
    answers = await pair.run_pair()
    assert pair.calls == 40
    assert sorted(text for _, text in answers) == sorted(f"item #{n}" for n in range(1, 41))


async def test_the_lock_works_through_near_caches(
    instances: Callable[..., Awaitable[Instances]],
) -> None:
    pair = await instances(100, near=True)
    assert await pair.run_pair() == [(200, "item #1")] * 100
    assert pair.calls == 1


async def test_with_redis_down_no_request_fails(
    aiohttp_client: AiohttpClient,
    clock: FakeClock,
    redis_server_factory: RedisServerFactory,
    redis_prefix: str,
    library: ClientChoice,
) -> None:
    server = redis_server_factory()
    proxy = await FaultProxy(server.port).start()
    calls = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        return web.Response(text=f"item #{calls}")

    clients = []
    caches = []
    for _ in range(2):
        cache = RedisCache.from_url(proxy.url, prefix=redis_prefix, client=library)
        caches.append(cache)
        app = web.Application()
        app.router.add_get("/shop/items", handle, name="shop:list")
        aiohttp_apim.setup(
            app, policies=POLICY, clock=clock, external_cache=cache, stampede_lock=True
        )
        clients.append(await aiohttp_client(app, connector=aiohttp.TCPConnector(limit=0)))

    async def get(n: int, key: str) -> int:
        async with clients[n % 2].get("/shop/items", params={"id": key}) as answer:
            await answer.read()
            return answer.status

    try:
        async with asyncio.timeout(30):
            # Both connected first (a glide client that never connected waits out a connect
            # timeout per call while Redis is unreachable: another test's subject).
            assert [await get(n, "warm") for n in range(2)] == [200, 200]
            proxy.blackhole()  # Redis vanishes: every call waits out its budget, then fails
            assert set(await asyncio.gather(*(get(n, "cold") for n in range(60)))) == {200}
            server.stop()
            proxy.heal()  # refused at once now
            assert set(await asyncio.gather(*(get(n, "colder") for n in range(60)))) == {200}
    finally:
        for cache in caches:
            await cache.close()
        await proxy.close()


def test_the_lock_needs_stampede_protection_and_an_external_cache_that_holds_locks() -> None:
    with pytest.raises(ValueError, match="stampede_protection"):
        aiohttp_apim.setup(
            web.Application(), policies=POLICY, stampede_lock=True, stampede_protection=False
        )
    for external in (None, DictCache()):
        with pytest.raises(ValueError, match="holds locks"):
            aiohttp_apim.setup(
                web.Application(), policies=POLICY, stampede_lock=True, external_cache=external
            )
    with pytest.raises(ValueError, match="stampede_lock_timeout"):
        aiohttp_apim.setup(web.Application(), policies=POLICY, stampede_lock_timeout=0)
