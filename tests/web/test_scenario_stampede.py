"""Stampede protection over HTTP: concurrent misses of one key wait for the first one's answer.

Each test holds the first request inside the handler (a gate) until every other request has
reached the gateway (an outer middleware counts arrivals; with the in-process cache nothing
between that middleware and the wait for the first request's answer yields to the loop), then
lets it go. No test sleeps or measures time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiohttp.typedefs import Handler
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from tests.web.conftest import FakeClock, policies_xml

POLICY = {
    "policy.xml": policies_xml(
        inbound=(
            '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">'
            "<vary-by-query-parameter>id</vary-by-query-parameter></cache-lookup>"
        ),
        outbound='<cache-store duration="60" />',
    )
}

Reply = Callable[[int], Awaitable[web.Response]]


async def plain(call: int) -> web.Response:
    return web.Response(text=f"item #{call}")


class Stampede:
    """An app whose handler holds its first call of key ``hold`` (every call with ``hold_all``)
    until ``released`` is set."""

    def __init__(
        self, expected: int, first: Reply, *, hold: str = "1", hold_all: bool = False
    ) -> None:
        self.expected = expected
        self.first = first
        self.hold = hold
        self.hold_all = hold_all
        self.calls = 0
        self.arrived = 0
        self.all_in = asyncio.Event()
        self.holding = asyncio.Event()
        self.released = asyncio.Event()
        self.client: TestClient[web.Request, web.Application] | None = None

    @web.middleware
    async def arrivals(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.arrived += 1
        if self.arrived == self.expected:
            self.all_in.set()
        return await handler(request)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        call = self.calls
        if (call == 1 or self.hold_all) and request.query.get("id") == self.hold:
            self.holding.set()
            await self.released.wait()
            return await (self.first if call == 1 else plain)(call)
        return await plain(call)

    async def start(self, aiohttp_client: AiohttpClient, clock: FakeClock, **options: Any) -> None:
        app = web.Application(middlewares=[self.arrivals])
        app.router.add_get("/shop/items", self.handle, name="shop:list")
        aiohttp_apim.setup(app, policies=POLICY, clock=clock, **options)
        # One connection per request: the client must not queue them behind each other.
        self.client = await aiohttp_client(app, connector=aiohttp.TCPConnector(limit=0))

    async def get(self, key: str = "1") -> tuple[int, str]:
        assert self.client is not None
        async with self.client.get("/shop/items", params={"id": key}) as answer:
            return answer.status, await answer.text()

    async def run(self, count: int, key: str = "1") -> list[tuple[int, str]]:
        """``count`` concurrent GETs of one key; the first call is released once all are in."""
        async with asyncio.timeout(60):  # turns a hang into a failure; nothing measures time
            requests = [asyncio.ensure_future(self.get(key)) for _ in range(count)]
            await self.all_in.wait()
            self.released.set()
            return await asyncio.gather(*requests)


async def test_200_concurrent_cold_requests_for_one_key_call_the_handler_once(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    stampede = Stampede(200, plain)
    await stampede.start(aiohttp_client, clock)
    answers = await stampede.run(200)
    assert stampede.calls == 1
    assert answers == [(200, "item #1")] * 200


async def fails(call: int) -> web.Response:
    raise RuntimeError("the backend fell over")


async def answers_500(call: int) -> web.Response:
    return web.Response(status=500, text=f"item #{call}")


async def sets_a_cookie(call: int) -> web.Response:
    return web.Response(text=f"item #{call}", headers={"Set-Cookie": "session=first"})


async def private(call: int) -> web.Response:
    return web.Response(text=f"item #{call}", headers={"Cache-Control": "private"})


async def cookie_by_api(call: int) -> web.Response:
    response = web.Response(text=f"item #{call}")
    response.set_cookie("session", "first")
    return response


@pytest.mark.parametrize(
    ("first", "status"),
    [(fails, 500), (answers_500, 500), (sets_a_cookie, 200), (private, 200), (cookie_by_api, 200)],
    ids=["raises", "500", "set-cookie", "private", "set_cookie()"],
)
async def test_a_first_request_that_fails_or_is_not_stored_lets_every_waiter_through(
    aiohttp_client: AiohttpClient, clock: FakeClock, first: Reply, status: int
) -> None:
    stampede = Stampede(20, first)
    await stampede.start(aiohttp_client, clock)
    answers = await stampede.run(20)
    # Every waiter ran its own backend call, and got its own answer.
    assert stampede.calls == 20
    assert answers[0][0] == status
    assert sorted(answers[1:]) == sorted((200, f"item #{n}") for n in range(2, 21))


async def test_different_keys_never_wait_on_each_other(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    stampede = Stampede(2, plain)
    await stampede.start(aiohttp_client, clock)
    async with asyncio.timeout(60):
        held = asyncio.ensure_future(stampede.get("1"))
        await stampede.holding.wait()
        other = await stampede.get("2")  # answered while the first key's call is held
        assert not held.done()
        stampede.released.set()
        assert await held == (200, "item #1")
    assert other == (200, "item #2")


async def test_a_waiter_stops_waiting_after_the_stampede_timeout(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    stampede = Stampede(6, plain)
    await stampede.start(aiohttp_client, clock, stampede_timeout=0.05)
    async with asyncio.timeout(60):
        held = asyncio.ensure_future(stampede.get("1"))
        await stampede.holding.wait()
        waiters = await asyncio.gather(*(stampede.get("1") for _ in range(5)))
        assert not held.done()  # the waiters gave up on it and went to the handler
        stampede.released.set()
        assert await held == (200, "item #1")
    assert sorted(waiters) == [(200, f"item #{n}") for n in range(2, 7)]


async def test_stampede_protection_can_be_turned_off(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    stampede = Stampede(20, plain, hold_all=True)
    await stampede.start(aiohttp_client, clock, stampede_protection=False)
    answers = await stampede.run(20)
    assert stampede.calls == 20
    assert len(set(answers)) == 20
