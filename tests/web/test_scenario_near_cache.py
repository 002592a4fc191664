"""A near cache in front of Redis, over HTTP: two app instances, each with its own
``NearCache(RedisCache)``, sharing one private Redis.

What must hold: a value removed or replaced through one instance is never served by the other's
near tier after the report reaches it (within 100 ms); a response entry is never served past its
Redis TTL; with Redis down, each instance keeps serving what its near tier holds until it
expires, and no request fails. Waits poll for what must happen, bounded; none sleeps a fixed
time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application, Request
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.cache.redis import ClientChoice, RedisCache
from tests.conftest import RedisServerFactory
from tests.redis_server import RedisServer
from tests.web.conftest import Backends, FakeClock, build_app, policies_xml, set_header
from tests.web.test_scenario_redis import Instance

VALUES = {
    "policy.xml": policies_xml(
        inbound=(
            '<choose><when condition="@(context.Request.Headers.ContainsKey("X-Store"))">'
            '<cache-store-value key="shared" '
            'value="@(context.Request.Headers.GetValueOrDefault("X-Store", ""))" duration="60" />'
            '</when><when condition="@(context.Request.Headers.ContainsKey("X-Remove"))">'
            '<cache-remove-value key="shared" />'
            "</when></choose>"
            '<cache-lookup-value key="shared" variable-name="v" default-value="miss" />'
        ),
        outbound=set_header("X-V", '@((string)context.Variables["v"])'),
    )
}


def responses(duration: int) -> dict[str, str]:
    return {
        "policy.xml": policies_xml(
            inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />',
            outbound=f'<cache-store duration="{duration}" />',
        )
    }


class NearInstance(Instance):
    """One app instance with a near cache in front of its own RedisCache."""

    def __init__(
        self,
        client: TestClient[Request, Application],
        gateway: aiohttp_apim.Gateway,
        backends: Backends,
        near: aiohttp_apim.NearCache,
    ) -> None:
        super().__init__(client, gateway, backends)
        self.near = near

    @property
    def remote(self) -> RedisCache:
        remote = self.near.remote
        assert isinstance(remote, RedisCache)
        return remote

    @property
    def calls(self) -> int:
        return self.backends["shop:list"].calls

    async def live(self) -> None:
        """Wait until the near cache's feed of changes is live (it starts on the first miss)."""
        await self.get("/health")  # another route: its backend is not counted
        await eventually(lambda: self.near.live)


Instances = Callable[..., Awaitable[tuple[NearInstance, NearInstance]]]


@pytest.fixture
async def instances(
    aiohttp_client: AiohttpClient, clock: FakeClock, redis_prefix: str, library: ClientChoice
) -> AsyncIterator[Instances]:
    made: list[NearInstance] = []

    async def make(
        url: str, policies: dict[str, str], operation_timeout: float = 2.0
    ) -> tuple[NearInstance, NearInstance]:
        for _ in range(2):
            near = aiohttp_apim.NearCache(
                RedisCache.from_url(
                    url, prefix=redis_prefix, client=library, operation_timeout=operation_timeout
                )
            )
            app, gateway, backends = build_app(
                policies, clock=clock, external_cache=near, cache_timeout=2.0
            )
            assert isinstance(gateway, aiohttp_apim.Gateway)
            made.append(NearInstance(await aiohttp_client(app), gateway, backends, near))
        return made[-2], made[-1]

    yield make
    for instance in made:
        await instance.near.close()


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> float:
    """Poll until ``condition()`` holds; how long it took (fails after ``within`` seconds)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, "did not happen in time"
        await asyncio.sleep(0.001)
    return time.monotonic() - started


async def near_holds(instance: NearInstance, key: str) -> bool:
    return await instance.near.local.get(key) is not None


async def until_served_near(instance: NearInstance) -> None:
    """Request until the instance serves its value from its near tier (a near hit counted)."""
    for _ in range(500):
        hits = instance.near.local.stats().hits
        await instance.get()
        if instance.near.local.stats().hits > hits:
            return
        await asyncio.sleep(0.002)
    raise AssertionError("the near tier never served the value")


async def test_a_removal_through_one_instance_reaches_the_others_near_cache_within_100_ms(
    instances: Instances, redis_server: RedisServer
) -> None:
    a, b = await instances(redis_server.url, VALUES)
    await a.get(headers={"X-Store": "one"})  # stored in the background (drained)
    assert (await a.get())[2] == "one"
    await b.live()
    await until_served_near(b)
    assert (await b.get())[2] == "one"

    await a.get(headers={"X-Remove": "1"})
    removed = time.monotonic()
    while await near_holds(b, "val:shared"):
        assert time.monotonic() - removed < 0.1, "the removal did not reach the near cache"
        await asyncio.sleep(0.001)
    assert (await b.get())[2] == "miss"


async def test_a_value_stored_through_one_instance_replaces_the_others_near_copy(
    instances: Instances, redis_server: RedisServer
) -> None:
    a, b = await instances(redis_server.url, VALUES)
    await a.get(headers={"X-Store": "one"})
    await b.live()
    await until_served_near(b)
    await a.get(headers={"X-Store": "two"})
    stored = time.monotonic()
    while (await b.get())[2] != "two":
        assert time.monotonic() - stored < 0.1, "the near copy was served after the store"
    await until_served_near(b)  # the new value is kept near in its turn
    assert (await b.get())[2] == "two"


async def test_a_response_stored_through_one_instance_replaces_the_others_near_copy(
    instances: Instances, redis_server: RedisServer
) -> None:
    a, b = await instances(redis_server.url, responses(60))
    assert (await a.get())[:2] == (200, b"shop:list #1")
    await b.live()
    for _ in range(3):
        assert (await b.get())[:2] == (200, b"shop:list #1")
    assert b.near.local.stats().hits >= 1
    assert b.calls == 0
    # An operator purges the entry; A's next request stores a new one, which B serves.
    assert await a.remote.clear() >= 1
    assert (await a.get())[:2] == (200, b"shop:list #2")
    await eventually(lambda: b.near.local.stats().entries == 0)
    assert (await b.get())[:2] == (200, b"shop:list #2")
    assert b.calls == 0


async def test_a_response_is_never_served_near_past_its_redis_ttl(
    instances: Instances, redis_server: RedisServer, redis_prefix: str
) -> None:
    a, b = await instances(redis_server.url, responses(1))
    await b.live()
    assert (await a.get())[:2] == (200, b"shop:list #1")
    entries = redis_server.command("KEYS", redis_prefix + "resp|*u=/shop/items*")
    assert len(entries) == 1
    served_near = 0
    while True:
        gone = redis_server.command("PTTL", entries[0]) == -2
        hits = b.near.local.stats().hits
        status, _, _ = await b.get()
        assert status == 200
        if gone:  # Redis had expired it before this request: B must not serve it near
            assert b.near.local.stats().hits == hits
            break
        served_near += b.near.local.stats().hits - hits
        await asyncio.sleep(0.01)
    assert served_near > 0


async def test_with_redis_down_near_entries_are_served_until_they_expire(
    instances: Instances, redis_server_factory: RedisServerFactory
) -> None:
    server = redis_server_factory()
    # The default budget: a call to the stopped server waits it out (a busy loop does not
    # matter here: no hit is expected from Redis).
    a, b = await instances(server.url, responses(1), operation_timeout=0.25)
    await b.live()
    assert (await a.get())[:2] == (200, b"shop:list #1")
    for _ in range(2):
        assert (await b.get())[:2] == (200, b"shop:list #1")
    assert b.near.local.stats().entries >= 1
    server.stop()
    started = time.monotonic()
    answers = []
    while b.calls == 0:  # until the near copy expires, B serves it without its backend
        answers.append(await b.get())
        assert time.monotonic() - started < 10
        await asyncio.sleep(0.02)
    assert {status for status, _, _ in answers} == {200}
    assert [body for _, body, _ in answers[:-1]] == [b"shop:list #1"] * (len(answers) - 1)
    assert answers[-1][:2] == (200, b"shop:list #1")  # B's own backend answers once expired
    assert len(answers) > 10
    for _ in range(5):
        assert (await b.get())[0] == 200  # and no request fails afterwards
