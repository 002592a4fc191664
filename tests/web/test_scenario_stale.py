"""Serving stale responses (``stale_while_revalidate``, ``stale_if_error``), over HTTP on the
fake clock: what a caller gets past an entry's expiry, how often the handler runs, and what
``Cache-Control`` tells the caller's own caches."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.pipeline.steps.trace import TRACE_LOGGER
from tests.conftest import RedisServerFactory
from tests.web.conftest import FakeClock, Serve, cache_control, policies_xml

CACHED = {
    "policy.xml": policies_xml(
        inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" '
        'downstream-caching-type="public" />',
        outbound='<cache-store duration="60" />',
    )
}
"""Every GET cached for 60 seconds; downstream caches told how long it stays fresh."""

pytestmark = pytest.mark.usefixtures("clock")

RELAXED = 5.0
"""Redis operation budget: generous, so that a busy machine never turns a store into a
failure (these tests are not about failures)."""


async def test_within_the_window_a_stale_hit_answers_and_one_refresh_stores_a_fresh_entry(
    serve: Serve, clock: FakeClock
) -> None:
    served = await serve(CACHED, stale_while_revalidate=30)
    assert (await served.get()).text == "shop:list #1"
    clock.advance(59)
    fresh = await served.get()
    assert fresh.text == "shop:list #1"
    assert cache_control(fresh)["max-age"] == "1"  # its own lifetime, not the window's
    clock.advance(10)  # 9 seconds past expiry
    stale = await served.get()  # (the request helper drains: the refresh has run)
    assert stale.text == "shop:list #1"
    assert cache_control(stale)["max-age"] == "0"
    assert served.calls() == 2
    refreshed = await served.get()
    assert refreshed.text == "shop:list #2"
    assert cache_control(refreshed)["max-age"] == "60"
    assert served.calls() == 2


class Held:
    """A handler whose calls after the first wait until :meth:`release` (the test's moment)."""

    def __init__(self) -> None:
        self.calls = 0
        self.released = asyncio.Event()

    def release(self) -> None:
        self.released.set()

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        call = self.calls
        if call > 1:
            await self.released.wait()
        return web.Response(text=f"#{call}")


async def held_app(
    aiohttp_client: AiohttpClient, clock: FakeClock, **options: Any
) -> tuple[TestClient[web.Request, web.Application], aiohttp_apim.Gateway, Held]:
    """An app whose one route is held, with the gateway (``options``) set up on it, serving;
    its first answer (#1) is stored."""
    held = Held()
    app = web.Application()
    app.router.add_get("/shop/items", held.handle, name="shop:list")
    gateway = aiohttp_apim.setup(app, CACHED, clock=clock, **options)
    client = await aiohttp_client(app)
    assert await (await client.get("/shop/items")).text() == "#1"
    await gateway.drain()
    return client, gateway, held


async def test_concurrent_stale_hits_start_one_refresh(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    client, gateway, held = await held_app(aiohttp_client, clock, stale_while_revalidate=30)
    clock.advance(70)
    answers = await asyncio.gather(*(client.get("/shop/items") for _ in range(5)))
    assert [await answer.text() for answer in answers] == ["#1"] * 5
    assert held.calls <= 2  # the refresh, held
    held.release()
    await gateway.drain()  # waits for the refresh
    assert held.calls == 2
    assert await (await client.get("/shop/items")).text() == "#2"
    assert held.calls == 2


async def test_past_the_window_it_is_a_miss(serve: Serve, clock: FakeClock) -> None:
    served = await serve(CACHED, stale_while_revalidate=30)
    await served.get()
    clock.advance(60 + 30)
    assert (await served.get()).text == "shop:list #2"
    assert served.calls() == 2


async def test_stale_if_error_answers_for_a_failing_handler(serve: Serve, clock: FakeClock) -> None:
    served = await serve(CACHED, stale_if_error=300)
    await served.get()
    clock.advance(100)
    backend = served.backends["shop:list"]
    backend.respond(status=503, body=b"down")
    answer = await served.get()
    assert (answer.status, answer.text) == (200, "shop:list #1")
    assert cache_control(answer)["max-age"] == "0"
    backend.respond(exception=RuntimeError("the handler crashed"))
    answer = await served.get()
    assert (answer.status, answer.text) == (200, "shop:list #1")
    assert served.calls() == 3  # every request tried the handler first
    backend.respond(status=404, body=b"gone")  # not an error a stale entry replaces
    assert (await served.get()).status == 404
    backend.respond()
    assert (await served.get()).text == "shop:list #5"  # a success is stored again
    clock.advance(61 + 300)
    backend.respond(status=500, body=b"down")
    assert (await served.get()).status == 500  # past the window: nothing to answer with


async def test_windows_per_api_and_operation(serve: Serve, clock: FakeClock) -> None:
    served = await serve(CACHED, stale_while_revalidate={"shop": 30, "shop/get": 0, "*": 5})
    for path in ("/shop/items", "/shop/items/1", "/billing/invoices"):
        await served.get(path)
    clock.advance(60 + 10)
    assert cache_control(await served.get("/shop/items"))["max-age"] == "0"  # stale
    assert (await served.get("/shop/items/1")).text == "shop:get #2"  # off for shop/get
    assert (await served.get("/billing/invoices")).text == "billing:list #2"  # "*": 5 s


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stale_while_revalidate": -1}, "stale_while_revalidate"),
        ({"stale_if_error": {"a/b/c": 1}}, "keys are"),
        ({"stale_if_error": {"shop": "10"}}, "number of seconds"),
    ],
)
def test_bad_windows_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        aiohttp_apim.Gateway(CACHED, **options)  # type: ignore[arg-type]


async def test_the_trace_tells_a_stale_hit(
    serve: Serve, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    served = await serve(CACHED, stale_while_revalidate=30, trace=True)
    await served.get()
    clock.advance(65)
    with caplog.at_level(logging.INFO, logger=TRACE_LOGGER.name):
        await served.get()
    assert any(
        "cache-lookup[1]" in r.getMessage() and ": stale, key" in r.getMessage()
        for r in caplog.records
    )


async def test_cache_status_tells_a_stale_hit_and_how_long_past_expiry(
    serve: Serve, clock: FakeClock
) -> None:
    served = await serve(CACHED, stale_while_revalidate=30, cache_status=True)
    assert (await served.get()).headers["Cache-Status"] == "aiohttp-apim; fwd=uri-miss; stored"
    clock.advance(50)
    assert (await served.get()).headers["Cache-Status"] == "aiohttp-apim; hit; ttl=10"
    clock.advance(15)  # 5 seconds past expiry
    stale = await served.get()
    assert stale.headers["Cache-Status"] == "aiohttp-apim; hit; stale; ttl=-5"
    assert (await served.get()).headers["Cache-Status"] == "aiohttp-apim; hit; ttl=60"


async def test_cache_status_tells_a_stale_answer_for_a_failing_handler(
    serve: Serve, clock: FakeClock
) -> None:
    served = await serve(CACHED, stale_if_error=300, cache_status=True)
    await served.get()
    clock.advance(70)  # 10 seconds past expiry
    served.backends["shop:list"].respond(status=503, body=b"down")
    answer = await served.get()
    assert (answer.status, answer.text) == (200, "shop:list #1")
    assert answer.headers.getall("Cache-Status") == ["aiohttp-apim; hit; stale; ttl=-10"]
    served.backends["shop:list"].respond(status=404, body=b"gone")  # answered by the handler
    assert (await served.get()).headers["Cache-Status"].startswith("aiohttp-apim; fwd=uri-miss")


async def test_past_expiry_concurrent_misses_still_wait_for_the_first(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    # Within stale_if_error only, an expired entry is a miss: stampede protection holds.
    client, _gateway, held = await held_app(aiohttp_client, clock, stale_if_error=300)
    clock.advance(100)
    waiting = [asyncio.ensure_future(client.get("/shop/items")) for _ in range(4)]
    async with asyncio.timeout(10):
        while held.calls < 2:  # the first of them reached the handler
            await asyncio.sleep(0.01)
    held.release()
    answers = await asyncio.gather(*waiting)
    assert [await answer.text() for answer in answers] == ["#2"] * 4
    assert held.calls == 2


async def test_redis_keeps_an_entry_for_its_duration_plus_the_window(
    serve: Serve, redis_server_factory: RedisServerFactory
) -> None:
    server = redis_server_factory()
    cache = aiohttp_apim.RedisCache.from_url(server.url, operation_timeout=RELAXED)
    served = await serve(CACHED, external_cache=cache, stale_if_error=300, purge_refresh=3600)
    await served.get()
    keys = server.command("KEYS", "apim:resp|*")
    assert len(keys) == 1
    lifetime = int(server.command("PTTL", keys[0])) / 1000
    assert 300 < lifetime <= 360  # duration 60 + the window, less what passed since
