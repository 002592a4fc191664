"""The gateway's own behaviour over HTTP, beyond the scenario tests: lifecycle, binding,
bounds and timeouts, what reaches the handler, what a hit replays, websockets, callers."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from tests.doubles import DictCache, GatedCache, HangingCache
from tests.web.conftest import (
    CACHED,
    LOOKUP,
    STORE,
    FakeClock,
    Serve,
    add_routes,
    cache_control,
    policies_xml,
    set_header,
    subscriptions,
)

ECHO_ERROR = (
    "<return-response>"
    '<set-status code="599" reason="Handled" />'
    + set_header("X-Reason", "@(context.LastError.Reason)")
    + set_header("X-Source", "@(context.LastError.Source)")
    + "</return-response>"
)


class CountingCache(aiohttp_apim.MemoryCache):
    closed = 0

    async def close(self) -> None:
        type(self).closed += 1
        await super().close()


# --- lifecycle ------------------------------------------------------------------------------


async def test_owned_cache_is_closed_on_cleanup_and_pending_writes_finish_first(
    aiohttp_client: AiohttpClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aiohttp_apim.web.gateway.MemoryCache", CountingCache)
    CountingCache.closed = 0
    app = web.Application()
    add_routes(app)
    gateway = aiohttp_apim.setup(app, policies=CACHED, clock=clock)
    assert app[aiohttp_apim.GATEWAY] is gateway
    client = await aiohttp_client(app)
    async with client.get("/shop/items") as response:
        assert response.status == 200
    await client.close()
    assert CountingCache.closed == 1
    assert gateway.stats().pending_writes == 0


async def test_cache_passed_in_is_not_closed_and_shutdown_waits_for_its_writes(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    cache = GatedCache(clock=clock)
    app = web.Application()
    add_routes(app)
    aiohttp_apim.setup(app, policies=CACHED, clock=clock, internal_cache=cache)
    client = await aiohttp_client(app)
    async with client.get("/shop/items") as response:
        assert await response.read() == b"shop:list #1"
    assert cache.finished == 0
    loop = asyncio.get_running_loop()
    loop.call_soon(cache.gate.set)
    await client.close()  # cleanup drains: the write completes before close returns
    assert cache.finished == 1
    assert cache.closes == 0  # whoever creates a cache closes it


async def test_shutdown_stops_waiting_for_cache_writes_at_its_deadline(
    aiohttp_client: AiohttpClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # A write that never ends, with an hour to do it: shutdown waits 0.05 s, then cancels it.
    cache = HangingCache(("set",), clock=clock)
    app = web.Application()
    add_routes(app)
    gateway = aiohttp_apim.setup(
        app,
        policies=CACHED,
        clock=clock,
        internal_cache=cache,
        cache_write_timeout=3600,
        shutdown_timeout=0.05,
    )
    client = await aiohttp_client(app)
    async with client.get("/shop/items") as response:
        assert await response.read() == b"shop:list #1"
    assert gateway.stats().pending_writes == 1
    with caplog.at_level(logging.WARNING, logger="aiohttp_apim"):
        async with asyncio.timeout(30):  # turns the old hang into a failure; measures nothing
            await client.close()
    stats = gateway.stats()
    assert (stats.pending_writes, stats.dropped_writes) == (0, 1)
    assert "1 cache writes still pending" in caplog.text


async def test_operation_policy_of_a_subapp_route_binds(aiohttp_client: AiohttpClient) -> None:
    sub = web.Application()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="sub")

    sub.router.add_get("/items", handler, name="inner:list")
    app = web.Application()
    app.add_subapp("/inner", sub)
    aiohttp_apim.setup(
        app,
        policies={
            "apis/inner/operations/list/policy.xml": policies_xml(
                backend="<base />", outbound=set_header("X-Op", "inner")
            )
        },
    )
    client = await aiohttp_client(app)
    async with client.get("/inner/items") as response:
        assert response.headers["X-Op"] == "inner"


async def test_policy_middleware_with_a_binding_problem_answers_500_without_details(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    policies = {"apis/shop/operations/lsit/policy.xml": policies_xml(backend="<base />")}
    app = web.Application(middlewares=[aiohttp_apim.policy_middleware(policies)])
    backends = add_routes(app)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        for _ in range(2):
            async with client.get("/shop/items") as response:
                assert response.status == 500
                assert json.loads(await response.read())["statusCode"] == 500
    assert backends["shop:list"].calls == 0
    assert sum("lsit" in record.getMessage() for record in caplog.records) == 1


# --- bounds and timeouts ----------------------------------------------------------------------


async def test_writes_past_the_pending_bound_are_dropped_and_counted(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    cache = GatedCache(clock=clock)
    app = web.Application()
    backends = add_routes(app)
    gateway = aiohttp_apim.setup(
        app, policies=CACHED, clock=clock, internal_cache=cache, max_pending_writes=1
    )
    backends["shop:get"].respond(headers={"Cache-Control": "max-age=5"})
    client = await aiohttp_client(app)
    async with client.get("/shop/items/1") as stored:
        assert "no-cache" in cache_control_of(stored.headers.getall("Cache-Control"))
    async with client.get("/shop/items/2") as dropped:
        # Not handed to the cache: left as the backend sent it.
        assert dropped.headers.getall("Cache-Control") == ["max-age=5"]
    assert gateway.dropped_writes == 1
    cache.gate.set()
    await gateway.drain()
    async with client.get("/shop/items/1") as hit:
        assert await hit.read() == b"shop:get #1"


def cache_control_of(lines: list[str]) -> set[str]:
    return {part.strip().split("=")[0] for line in lines for part in line.split(",")}


async def test_a_cache_that_does_not_answer_is_a_miss_after_cache_timeout(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    cache = HangingCache(("get",), clock=clock)
    app = web.Application()
    backends = add_routes(app)
    aiohttp_apim.setup(app, policies=CACHED, clock=clock, internal_cache=cache, cache_timeout=0.01)
    client = await aiohttp_client(app)
    for _ in range(2):
        async with client.get("/shop/items") as response:
            assert response.status == 200
    assert backends["shop:list"].calls == 2


async def test_forward_request_timeout_runs_on_error_with_reason_timeout(
    aiohttp_client: AiohttpClient,
) -> None:
    never = asyncio.Event()

    async def stuck(request: web.Request) -> web.Response:
        await never.wait()
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_get("/slow", stuck, name="shop:slow")
    aiohttp_apim.setup(
        app,
        policies={
            "policy.xml": policies_xml(
                backend='<forward-request timeout-ms="20" />', on_error=ECHO_ERROR
            )
        },
    )
    client = await aiohttp_client(app)
    async with client.get("/slow") as response:
        assert response.status == 599
        assert (response.headers["X-Source"], response.headers["X-Reason"]) == (
            "forward-request",
            "Timeout",
        )


async def test_fail_on_error_status_code_turns_a_404_into_an_error(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                backend='<forward-request fail-on-error-status-code="true" />', on_error=ECHO_ERROR
            )
        }
    )
    app.backends["shop:list"].respond(status=404)
    answer = await app.get()
    assert answer.status == 599
    assert answer.headers["X-Source"] == "forward-request"


# --- what reaches the handler -----------------------------------------------------------------


async def test_expressions_read_the_request_body_and_the_handler_still_gets_it(
    serve: Serve,
) -> None:
    inbound = set_header("X-Body", "@(context.Request.Body.As<string>(preserveContent: true))")
    app = await serve({"policy.xml": policies_xml(inbound=inbound)})
    await app.request("POST", data=b"hello")
    seen = app.backends["shop:list"].last
    assert (seen.headers["X-Body"], seen.body) == ("hello", b"hello")


async def test_a_body_consumed_by_an_expression_is_gone_for_the_backend(serve: Serve) -> None:
    # APIM's documented behaviour: As<T>() without preserveContent consumes the body.
    inbound = set_header("X-Body", "@(context.Request.Body.As<string>())")
    app = await serve({"policy.xml": policies_xml(inbound=inbound)})
    await app.request("POST", data=b"hello")
    seen = app.backends["shop:list"].last
    assert (seen.headers["X-Body"], seen.body, seen.headers["Content-Length"]) == (
        "hello",
        b"",
        "0",
    )


async def test_set_body_in_inbound_is_what_the_handler_reads(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml(inbound="<set-body>replaced body</set-body>")})
    await app.request("POST", data=b"original")
    seen = app.backends["shop:list"].last
    assert (seen.body, seen.headers["Content-Length"]) == (b"replaced body", "13")


# --- what a hit replays -----------------------------------------------------------------------


def cookie_app(clock: FakeClock, **options: Any) -> tuple[web.Application, list[int]]:
    """An app whose handler sets a cookie with ``set_cookie`` (and one as a header line)."""
    calls = [0]

    async def handler(request: web.Request) -> web.Response:
        calls[0] += 1
        response = web.Response(text=f"call {calls[0]}", headers={"X-Set": "1"})
        if calls[0] == 1:
            response.headers.add("Set-Cookie", "a=1")
        response.set_cookie("session", f"s{calls[0]}")
        return response

    app = web.Application()
    app.router.add_get("/shop/items", handler, name="shop:list")
    aiohttp_apim.setup(app, policies=CACHED, clock=clock, **options)
    return app, calls


async def test_a_response_setting_cookies_is_not_stored_by_default(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    # The second response sets its cookie with set_cookie() alone: not stored either.
    app, calls = cookie_app(clock)
    client = await aiohttp_client(app)
    for n in (1, 2, 3):
        async with client.get("/shop/items") as answer:
            assert await answer.read() == f"call {n}".encode()
            assert answer.cookies["session"].value == f"s{n}"
        await app[aiohttp_apim.GATEWAY].drain()
    assert calls[0] == 3


async def test_with_backend_cache_control_ignored_cookies_are_kept_on_the_miss_and_never_replayed(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    app, calls = cookie_app(clock, backend_cache_control="ignore")
    client = await aiohttp_client(app)
    async with client.get("/shop/items") as miss:
        assert miss.cookies["session"].value == "s1"
        assert "a=1" in miss.headers.getall("Set-Cookie")
    await app[aiohttp_apim.GATEWAY].drain()
    async with client.get("/shop/items") as hit:
        assert await hit.read() == b"call 1"
        assert "Set-Cookie" not in hit.headers
        assert hit.headers["X-Set"] == "1"
    assert calls[0] == 1


async def test_payload_bodies_are_buffered_and_cached(serve: Serve) -> None:
    app = await serve(CACHED)
    app.backends["shop:list"].respond(body=b'{"a": 1}', headers={"Content-Type": "x/json"})
    first = await app.get()
    second = await app.get()
    assert first.body == second.body == b'{"a": 1}'
    assert app.calls() == 1


async def test_websocket_upgrades_go_straight_to_the_handler(
    aiohttp_client: AiohttpClient,
) -> None:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await ws.send_str(message.data.upper())
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo, name="shop:ws")
    aiohttp_apim.setup(
        app,
        policies={
            "policy.xml": policies_xml(
                inbound=LOOKUP + '<return-response><set-status code="403" /></return-response>',
                outbound=STORE,
            )
        },
    )
    client = await aiohttp_client(app)
    async with client.ws_connect("/ws") as ws:
        await ws.send_str("hi")
        assert (await ws.receive()).data == "HI"


# --- callers and context ----------------------------------------------------------------------


async def test_missing_key_runs_on_error_with_the_subscription_reason(serve: Serve) -> None:
    app = await serve(
        {"policy.xml": policies_xml(on_error=ECHO_ERROR)},
        subscriptions=subscriptions(required=True),
    )
    missing = await app.get()
    invalid = await app.get(headers={"Ocp-Apim-Subscription-Key": "nope"})
    assert (missing.status, missing.headers["X-Reason"]) == (599, "SubscriptionKeyNotFound")
    assert invalid.headers["X-Reason"] == "SubscriptionKeyInvalid"
    assert missing.headers["X-Source"] == "authorization"
    assert app.calls() == 0


async def test_default_401_carries_the_www_authenticate_challenge(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml()}, subscriptions=subscriptions(required=True))
    answer = await app.get()
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith("AzureApiManagementKey")


async def test_context_timestamp_follows_the_gateway_clock(serve: Serve, clock: FakeClock) -> None:
    outbound = set_header("X-Year", "@(context.Timestamp.Year.ToString())") + set_header(
        "X-Ip", "@(context.Request.IpAddress)"
    )
    app = await serve({"policy.xml": policies_xml(outbound=outbound)})
    answer = await app.get()
    assert answer.headers["X-Year"] == "2025"  # FakeClock starts in June 2025
    assert answer.headers["X-Ip"] == "127.0.0.1"


async def test_downstream_header_on_a_hit_counts_down_with_the_clock(
    serve: Serve, clock: FakeClock
) -> None:
    lookup = LOOKUP.replace("/>", 'downstream-caching-type="public" />')
    app = await serve({"policy.xml": policies_xml(inbound=lookup, outbound=STORE)})
    assert cache_control(await app.get())["max-age"] == "60"
    clock.advance(25)
    assert cache_control(await app.get())["max-age"] == "35"
    assert app.calls() == 1


async def test_external_cache_is_closed_when_the_last_app_using_it_stops(
    aiohttp_client: AiohttpClient,
) -> None:
    external = DictCache()
    clients = []
    for _ in range(2):
        app = web.Application()
        add_routes(app)
        aiohttp_apim.setup(app, policies=CACHED, external_cache=external)
        clients.append(await aiohttp_client(app))
    async with clients[0].get("/shop/items") as response:
        assert await response.read() == b"shop:list #1"
    await clients[0].close()
    assert external.closes == 0
    await clients[1].close()
    assert external.closes == 1
