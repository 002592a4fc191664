"""A hit served before any exchange goes out as a header block prepared once per entry and
second (web/hitresponse.py). On the wire it must be byte for byte what aiohttp writes for the
same response the ordinary way -- which is what the same app writes when an
``on_response_prepare`` handler is registered (that forces the ordinary way) -- and anything
that changes the response, or a request it cannot answer as prepared, must get the ordinary
way's answer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import hypothesis.strategies as st
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Middleware
from hypothesis import given, settings

import aiohttp_apim
from aiohttp_apim.pipeline.entryseal import EntrySeal
from aiohttp_apim.pipeline.responseentries import ResponseEntries
from aiohttp_apim.testing import FakeClock
from aiohttp_apim.web.hitresponse import PreparedHit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

POLICY = """<policies>
  <inbound>
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false"
                  downstream-caching-type="{downstream}">
      <vary-by-query-parameter>id</vary-by-query-parameter>
    </cache-lookup>
  </inbound>
  <backend><forward-request /></backend>
  <outbound><cache-store duration="120" /></outbound>
</policies>"""

# What each id's handler answers: status, headers, body.
Answer = tuple[int, list[tuple[str, str]], bytes]


def make_app(
    answers: dict[str, Answer],
    *,
    downstream: str = "none",
    ordinary: bool = False,
    outer: list[Middleware] | None = None,
    clock: FakeClock | None = None,
) -> tuple[web.Application, aiohttp_apim.Gateway]:
    async def item(request: web.Request) -> web.StreamResponse:
        status, headers, body = answers[request.query["id"]]
        return web.Response(status=status, headers=headers, body=body)

    app = web.Application(middlewares=outer or [])
    app.router.add_get("/item", item, name="shop:item")
    gateway = aiohttp_apim.setup(
        app, {"policy.xml": POLICY.format(downstream=downstream)}, clock=clock or FakeClock()
    )
    if ordinary:

        async def nothing(request: web.Request, response: web.StreamResponse) -> None:
            return None

        app.on_response_prepare.append(nothing)
    return app, gateway


async def raw_exchange(port: int, requests: list[bytes]) -> list[bytes]:
    """Sends ``requests`` one after the other on one connection; each answer's bytes, with the
    ``Date`` line blanked (it is the only thing that may differ between two servers)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        for request in requests:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            found = re.search(rb"(?im)^content-length: *(\d+)\r$", head)
            body = await reader.readexactly(int(found.group(1))) if found else b""
            answers.append(re.sub(rb"(?m)^Date: [^\r]*\r$", b"Date: -\r", head) + body)
    finally:
        writer.close()
    return answers


def get(id_: str, *, version: str = "1.1", extra: str = "") -> bytes:
    return f"GET /item?id={id_} HTTP/{version}\r\nHost: shop.test\r\n{extra}\r\n".encode()


async def both_ways(
    answers: dict[str, Answer],
    requests: list[bytes],
    *,
    downstream: str = "none",
    outer: list[Middleware] | None = None,
) -> tuple[list[bytes], list[bytes], int]:
    """The bytes the app writes for ``requests`` as it is and when forced the ordinary way, and
    how many hits the first one served."""
    results = []
    hits = 0
    for ordinary in (False, True):
        app, gateway = make_app(answers, ordinary=ordinary, downstream=downstream, outer=outer)
        server = TestServer(app)
        await server.start_server()
        try:
            assert server.port is not None
            results.append(await raw_exchange(server.port, requests))
            await gateway.drain()
            if not ordinary:
                hits = gateway.stats().response_hits
        finally:
            await server.close()
    return results[0], results[1], hits


JSON = [("Content-Type", "application/json")]


async def test_a_hit_is_written_as_aiohttp_writes_it() -> None:
    answers: dict[str, Answer] = {
        "json": (200, JSON, b'{"a": 1}'),
        "no-type": (200, [], b"raw"),
        "empty": (200, [], b""),
        "many": (200, [*JSON, ("X-One", "1"), ("x-two", "é ü"), ("X-One", "again")], b"x" * 70_000),
        "own-server": (200, [("Server", "mine"), ("Content-Language", "en")], b"body"),
        "large": (200, JSON, b"y" * 300_000),  # (its head is written before the body)
    }
    requests = [get(name) for name in answers for _ in range(3)]
    prepared, ordinary, hits = await both_ways(answers, requests)
    assert prepared == ordinary
    assert hits == 2 * len(answers)


async def test_a_public_downstream_max_age_follows_the_entry_s_age() -> None:
    answers: dict[str, Answer] = {"a": (200, JSON, b"{}")}
    requests = [get("a")] * 3
    prepared, ordinary, hits = await both_ways(answers, requests, downstream="public")
    assert prepared == ordinary
    assert b"Cache-Control: public, max-age=120, must-revalidate\r\n" in prepared[1]
    assert hits == 2
    # And as the entry ages, within the same second of Date.
    clock = FakeClock()
    app, _ = make_app(answers, downstream="public", clock=clock)
    server = TestServer(app)
    await server.start_server()
    try:
        assert server.port is not None
        seen = [await raw_exchange(server.port, [get("a")]) for _ in range(2)]
        clock.advance(30)
        seen.append(await raw_exchange(server.port, [get("a")]))
    finally:
        await server.close()
    assert b"max-age=120," in seen[1][0]
    assert b"max-age=90," in seen[2][0]


async def test_requests_it_cannot_answer_as_prepared_get_the_ordinary_answer() -> None:
    answers: dict[str, Answer] = {"a": (200, JSON, b"{}")}
    requests = [
        get("a"),
        get("a", extra="Connection: close\r\n"),
    ]
    prepared, ordinary, hits = await both_ways(answers, requests)
    assert prepared == ordinary
    assert b"Connection: close\r\n" in prepared[1]
    assert hits == 1
    requests = [get("a", version="1.0", extra="Connection: keep-alive\r\n")] * 2
    prepared, ordinary, hits = await both_ways(answers, requests)
    assert prepared == ordinary
    assert prepared[1].startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"Connection: keep-alive\r\n" in prepared[1]
    assert hits == 1


async def test_an_outer_middleware_that_changes_the_hit_has_its_change_written() -> None:
    @web.middleware
    async def stamp(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers["X-Stamped"] = "yes"
        if request.query.get("id") == "cookie":
            response.set_cookie("seen", "1")
        if request.query.get("id") == "status":
            response.set_status(203, "Changed")
        return response

    answers: dict[str, Answer] = {
        "plain": (200, JSON, b"{}"),
        "cookie": (200, JSON, b"{}"),
        "status": (200, JSON, b"{}"),
    }
    requests = [get(name) for name in answers for _ in range(2)]
    prepared, ordinary, hits = await both_ways(answers, requests, outer=[stamp])
    assert prepared == ordinary
    assert all(b"X-Stamped: yes\r\n" in answer for answer in prepared)
    assert b"Set-Cookie: seen=1" in prepared[3]
    assert prepared[5].startswith(b"HTTP/1.1 203 Changed\r\n")
    assert hits == 3


_NAMES = st.sampled_from(["X-A", "x-b", "Content-Language", "ETag", "Last-Modified", "X-Long"])
_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x24F, blacklist_characters="\x7f"),
    max_size=40,
).map(str.strip)


@settings(max_examples=25)
@given(
    headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=5),
    content_type=st.sampled_from([None, "application/json", "text/plain; charset=utf-8"]),
    body=st.binary(max_size=3000),
    status=st.sampled_from([200, 200, 203, 404]),
)
async def test_any_stored_answer_is_written_the_same_either_way(
    headers: list[tuple[str, str]], content_type: str | None, body: bytes, status: int
) -> None:
    lines = headers + ([("Content-Type", content_type)] if content_type else [])
    answers: dict[str, Answer] = {"x": (status, lines, body)}
    prepared, ordinary, _ = await both_ways(answers, [get("x")] * 3)
    assert prepared == ordinary


def test_a_prepared_hit_is_made_as_aiohttp_makes_a_response() -> None:
    # PreparedHit sets Response's attributes itself: an aiohttp whose Response sets others
    # must fail here, not on a request.
    entries = ResponseEntries(EntrySeal())
    value = entries.write("k", 200, "OK", JSON, b"{}", 0)
    hit = PreparedHit(entries.read("k", value), "no-cache")
    ordinary = web.Response(status=200, reason="OK", headers=JSON, body=b"{}")
    ordinary.headers["Cache-Control"] = "no-cache"
    ours = {name for name in vars(hit) if name not in ("_entry", "_cache_control", "_made")}
    assert ours == set(vars(ordinary))
    assert hit.body == ordinary.body
    assert hit.headers == ordinary.headers
    assert (hit.status, hit.reason, hit.content_type) == (200, "OK", "application/json")
