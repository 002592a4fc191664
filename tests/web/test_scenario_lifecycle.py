"""Purging and reloading a running gateway, over HTTP: ``gateway.purge()`` on one instance and
on two instances sharing a real Redis, ``gateway.reload()`` that succeeds or keeps the old
policies, and the policy folder watched for changes (``setup(..., watch=True)``)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from tests.conftest import RedisServerFactory
from tests.redis_server import RedisServer
from tests.web.conftest import (
    CACHED,
    LOOKUP,
    STORE,
    FakeClock,
    Serve,
    Served,
    build_app,
    policies_xml,
    set_header,
)

ROUTE_OF = {
    "/shop/items": "shop:list",
    "/shop/items/1": "shop:get",
    "/billing/invoices": "billing:list",
}

RELAXED = 5.0
"""Redis operation budget: generous, so that a busy machine never turns a store into a
failure (these tests are not about failures)."""


async def hit(served: Served, path: str = "/shop/items") -> bool:
    """Whether a GET of ``path`` is answered from the cache (the handler not called)."""
    before = served.calls(ROUTE_OF[path])
    await served.get(path)
    return served.calls(ROUTE_OF[path]) == before


# --- purge --------------------------------------------------------------------------------


async def test_purge_drops_the_entries_of_an_operation_an_api_or_everything(serve: Serve) -> None:
    served = await serve(CACHED)
    paths = ("/shop/items", "/shop/items/1", "/billing/invoices")
    for path in paths:
        await served.get(path)
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    await gateway.purge(api="shop", operation="list")
    assert [await hit(served, path) for path in paths] == [False, True, True]
    await gateway.purge(api="shop")
    assert [await hit(served, path) for path in paths] == [False, False, True]
    await gateway.purge()
    assert [await hit(served, path) for path in paths] == [False, False, False]
    assert [await hit(served, path) for path in paths] == [True, True, True]
    with pytest.raises(ValueError, match="needs its API"):
        await gateway.purge(operation="list")


async def test_a_purge_on_one_instance_reaches_another_sharing_redis(
    aiohttp_client: AiohttpClient, clock: FakeClock, redis_server: RedisServer, redis_prefix: str
) -> None:
    instances = []
    for refresh in (60.0, 0.05):  # b reads others' purges often; a relies on its own
        cache = aiohttp_apim.RedisCache.from_url(
            redis_server.url, prefix=redis_prefix, operation_timeout=RELAXED
        )
        app, gateway, backends = build_app(
            CACHED, clock=clock, external_cache=cache, purge_refresh=refresh
        )
        instances.append(Served(await aiohttp_client(app), gateway, backends))
    a, b = instances
    gateway_a, gateway_b = a.gateway, b.gateway
    assert isinstance(gateway_a, aiohttp_apim.Gateway)
    assert isinstance(gateway_b, aiohttp_apim.Gateway)
    assert (await a.get()).text == "shop:list #1"
    assert (await b.get()).text == "shop:list #1"  # shared: a's entry
    await gateway_a.purge(api="shop")
    assert (await a.get()).text == "shop:list #2"  # a purged: its own keys changed at once
    # b reads the new generation in the background within purge_refresh, then shares a's
    # new entry (the two agree on keys again).
    async with asyncio.timeout(10):
        while (await b.get()).text != "shop:list #2":
            await asyncio.sleep(0.01)
    assert b.calls() == 0
    # A new instance reads the generations before its first request.
    cache = aiohttp_apim.RedisCache.from_url(
        redis_server.url, prefix=redis_prefix, operation_timeout=RELAXED
    )
    app, _, backends = build_app(CACHED, clock=clock, external_cache=cache)
    c = Served(await aiohttp_client(app), gateway_a, backends)
    assert (await c.get()).text == "shop:list #2"
    # The counter is a plain key in Redis: another purge from b goes past it.
    await gateway_b.purge()
    assert await gateway_a.refresh_purges()
    assert (await a.get()).text == "shop:list #3"
    assert (await b.get()).text == "shop:list #3"


async def test_a_hit_after_a_purge_costs_redis_no_more_commands(
    aiohttp_client: AiohttpClient, clock: FakeClock, redis_server_factory: RedisServerFactory
) -> None:
    # A private server: every command it counts is this gateway's.
    server = redis_server_factory()
    cache = aiohttp_apim.RedisCache.from_url(server.url, operation_timeout=RELAXED)
    # (no background read of others' purges during the test)
    app, gateway, backends = build_app(
        CACHED, clock=clock, external_cache=cache, purge_refresh=3600
    )
    served = Served(await aiohttp_client(app), gateway, backends)
    assert isinstance(gateway, aiohttp_apim.Gateway)

    def commands() -> int:
        stats = server.command("INFO", "stats")
        return int(stats["total_commands_processed"])

    async def commands_of_ten_hits(path: str) -> int:
        await served.get(path)  # the miss that stores
        before = commands()
        for _ in range(10):
            await served.get(path)
        return commands() - before  # (with the counting's own commands, the same each time)

    plain = await commands_of_ten_hits("/shop/items/1")
    assert plain >= 10  # a read per hit
    await gateway.purge(api="shop")
    assert await commands_of_ten_hits("/shop/items/2") == plain
    assert served.calls("shop:get") == 2


async def test_a_purge_when_the_cache_is_down_raises(serve: Serve) -> None:
    cache = aiohttp_apim.RedisCache.from_url(
        "redis://127.0.0.1:1", operation_timeout=0.2, connect_timeout=0.2
    )
    served = await serve(CACHED, external_cache=cache)
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    with pytest.raises(aiohttp_apim.CacheUnavailable):
        await gateway.purge()


# --- reload -------------------------------------------------------------------------------


def write_policy(folder: Path, version: str) -> None:
    (folder / "policy.xml").write_text(
        policies_xml(inbound=LOOKUP, outbound=STORE + set_header("X-Version", version))
    )


async def test_reload_switches_to_the_new_policies_or_keeps_the_old_ones(
    serve: Serve, tmp_path: Path
) -> None:
    write_policy(tmp_path, "1")
    served = await serve(str(tmp_path))
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    assert (await served.get()).headers["X-Version"] == "1"
    write_policy(tmp_path, "2")
    await gateway.reload()
    answer = await served.get()  # new policies: new keys, so the handler answers
    assert (answer.headers["X-Version"], answer.text) == ("2", "shop:list #2")
    # A broken file: PolicyError with where, and the running policies stay.
    (tmp_path / "policy.xml").write_text("<policies>\n  <inbound><bogus/></inbound>\n</policies>")
    with pytest.raises(aiohttp_apim.PolicyError, match=r"policy\.xml:2:\d+"):
        await gateway.reload()
    answer = await served.get()
    assert (answer.headers["X-Version"], answer.text) == ("2", "shop:list #2")  # a hit
    # A policy for an operation the app has no route for: refused at reload, as at startup.
    write_policy(tmp_path, "3")
    operation = tmp_path / "apis" / "shop" / "operations" / "missing"
    operation.mkdir(parents=True)
    (operation / "policy.xml").write_text(policies_xml(backend="<base />"))
    with pytest.raises(aiohttp_apim.PolicyError, match="missing"):
        await gateway.reload()
    assert (await served.get()).headers["X-Version"] == "2"


async def test_a_purge_after_a_reload_reaches_the_new_plans(serve: Serve, tmp_path: Path) -> None:
    write_policy(tmp_path, "1")
    served = await serve(str(tmp_path))
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    write_policy(tmp_path, "2")
    await gateway.reload()
    await served.get()
    assert await hit(served)
    await gateway.purge(api="shop")
    assert not await hit(served)


async def test_a_reload_into_and_out_of_forwarding_only_takes_effect_at_once(
    serve: Serve, tmp_path: Path
) -> None:
    # (a route that only forwards is remembered as such: a reload must forget it)
    forward_only = policies_xml()
    (tmp_path / "policy.xml").write_text(forward_only)
    served = await serve(str(tmp_path))
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    await served.get()
    assert not await hit(served)
    write_policy(tmp_path, "1")
    await gateway.reload()
    await served.get()
    assert await hit(served)
    (tmp_path / "policy.xml").write_text(forward_only)
    await gateway.reload()
    assert "X-Version" not in (await served.get()).headers
    assert not await hit(served)


def test_a_gateway_made_from_a_policy_set_does_not_reload_or_watch() -> None:
    loaded = aiohttp_apim.load_policies(CACHED)
    gateway = aiohttp_apim.Gateway(loaded)
    with pytest.raises(ValueError, match="cannot reload"):
        asyncio.run(gateway.reload())
    with pytest.raises(ValueError, match="policy folder"):
        aiohttp_apim.Gateway(CACHED, watch=True)


# --- watch --------------------------------------------------------------------------------


class Reloads(logging.Handler):
    """Sets an event when the watcher logs a reload (or a failed one)."""

    def __init__(self) -> None:
        super().__init__()
        self.done = asyncio.Event()
        self.failed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("reloaded the policies"):
            self.done.set()
        elif "did not reload" in message:
            self.failed.set()


async def until(event: asyncio.Event, change: object) -> None:
    """Make ``change()`` until ``event`` is set (the watcher may start watching a moment after
    the app): bounded."""
    assert callable(change)
    for _ in range(20):
        change()
        try:
            await asyncio.wait_for(event.wait(), 3)
            return
        except TimeoutError:
            continue
    raise AssertionError("the watcher never reported")


async def test_the_watcher_reloads_on_a_file_change(
    aiohttp_client: AiohttpClient, clock: FakeClock, tmp_path: Path
) -> None:
    write_policy(tmp_path, "1")
    app, gateway, _ = build_app(str(tmp_path), clock=clock, watch=True)
    reloads = Reloads()
    logger = logging.getLogger("aiohttp_apim.web.gateway")
    logger.addHandler(reloads)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        served = Served(await aiohttp_client(app), gateway, _)
        assert (await served.get()).headers["X-Version"] == "1"
        await until(reloads.done, lambda: write_policy(tmp_path, "2"))
        assert (await served.get()).headers["X-Version"] == "2"
        broken = tmp_path / "policy.xml"
        await until(reloads.failed, lambda: broken.write_text("<policies><inbound>"))
        assert (await served.get()).headers["X-Version"] == "2"
    finally:
        logger.setLevel(level)
        logger.removeHandler(reloads)
