"""The early lookup remembers the keys of the request targets that found an entry (the shape's
``memo``): a repeated request skips parsing the query string and escaping. A remembered key must
be exactly the key the request would get without the memo, or one client would be served
another's entry.

The differential test runs one sequence of requests -- raw targets with repeated, empty,
encoded and differently cased query parameters, several hosts, the vary-by header absent,
empty, repeated or differently cased -- through two gateways with the same policy: one as it is
(early lookup, memo), one with ``cache_status`` on, which observes the caching steps and so
keeps every request on the whole pipeline (no memo). Every answer names the handler call that
made it, so an entry served to the wrong request shows.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict
from yarl import URL

import aiohttp_apim
from aiohttp_apim.pipeline import keys
from aiohttp_apim.pipeline.keys import KEY_MEMO_ENTRIES, KEY_MEMO_MAX_CHARS, KeyShape
from aiohttp_apim.pipeline.steps import caching
from tests.web.conftest import STORE, FakeClock, policies_xml

POLICY = policies_xml(
    inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">'
    "<vary-by-header>X-Tenant</vary-by-header>"
    "<vary-by-query-parameter>id</vary-by-query-parameter></cache-lookup>",
    outbound=STORE,
)
POLICY_NO_HEADER = policies_xml(
    inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">'
    "<vary-by-query-parameter>id</vary-by-query-parameter></cache-lookup>",
    outbound=STORE,
)

_NAMES = st.sampled_from(["id", "ID", "Id", "x", "id%20", "i%64"])
_VALUES = st.sampled_from(["1", "2", "", "a,b", "a%2Cb", "%31", "a+b", "a%20b", "%7C", "|=!"])
_QUERY = st.lists(st.tuples(_NAMES, _VALUES), max_size=3).map(
    lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
)
_TARGET = st.tuples(st.sampled_from(["/shop/items", "/shop/items?"]), _QUERY).map(
    lambda parts: parts[0] + ("?" if "?" not in parts[0] and parts[1] else "") + parts[1]
)
_HOST = st.sampled_from(["a.example", "A.example", "a.example:8080", "b.example"])
_TENANT = st.sampled_from([(), ("t1",), ("T1",), ("",), ("t1", "t2"), ("t2", "t1")])

Request = tuple[str, str, tuple[str, ...]]


async def _run(policy: str, requests: list[Request], **options: Any) -> tuple[list[Any], Any]:
    clock = FakeClock()
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        return web.Response(text=f"call {calls}")

    app = web.Application()
    app.router.add_get("/shop/items", handler, name="shop:list")
    gateway = aiohttp_apim.setup(app, policies={"policy.xml": policy}, clock=clock, **options)
    seen: list[Any] = []
    async with TestClient(TestServer(app)) as client:
        for target, host, tenants in requests:
            headers = CIMultiDict([("Host", host)])
            for tenant in tenants:
                headers.add("X-Tenant", tenant)
            url = client.make_url("/").join(URL(target, encoded=True))
            async with client.session.get(url, headers=headers) as response:
                seen.append((response.status, await response.text()))
            await gateway.drain()
    return seen, gateway.stats()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    header=st.booleans(),
    requests=st.lists(st.tuples(_TARGET, _HOST, _TENANT), min_size=1, max_size=14),
)
def test_a_remembered_key_serves_exactly_what_the_whole_pipeline_serves(
    header: bool, requests: list[Request]
) -> None:
    policy = POLICY if header else POLICY_NO_HEADER
    remembered = 0
    real = keys.remember_key

    def counting(*args: Any) -> None:
        nonlocal remembered
        remembered += 1
        real(*args)

    async def both() -> tuple[Any, Any]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(caching, "remember_key", counting)
            fast = await _run(policy, requests)
        return fast, await _run(policy, requests, cache_status=True)

    (fast, fast_stats), (full, full_stats) = asyncio.run(both())
    assert fast == full
    assert fast_stats.response_hits == full_stats.response_hits
    assert fast_stats.response_misses == full_stats.response_misses
    if full_stats.response_hits and all(len(tenants) <= 1 for _, _, tenants in requests):
        assert remembered  # (a hit's key is remembered: the memo was exercised)


# --- what a key is remembered by ------------------------------------------------------------

_SHAPES = [
    KeyShape.build(
        generation="g",
        product=None,
        api="shop",
        revision="1",
        operation="list",
        vary_by_headers=headers,
        vary_by_query_parameters=["id"],
        vary_by_host=host,
    )
    for headers in ([], ["X-Tenant"], ["X-Tenant", "X-Region"])
    for host in (False, True)
]

_TEXT = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=6)


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str]]]:
    target = "/shop/items?" + draw(_TEXT.map(lambda t: t.replace(" ", "%20").replace("#", "")))
    host = draw(_TEXT)
    headers = draw(
        st.lists(st.tuples(st.sampled_from(["X-Tenant", "X-Region"]), _TEXT), max_size=3)
    )
    return target, host, headers


def _mocked(target: str, host: str, headers: list[tuple[str, str]]) -> web.Request:
    return make_mocked_request("GET", target, headers=CIMultiDict([("Host", host), *headers]))


@settings(max_examples=300, deadline=None)
@given(shape=st.sampled_from(_SHAPES), one=_requests(), other=_requests())
def test_requests_remembered_alike_have_the_same_key(
    shape: KeyShape,
    one: tuple[str, str, list[tuple[str, str]]],
    other: tuple[str, str, list[tuple[str, str]]],
) -> None:
    """Two requests with the same memo target get the same key without the memo: the target
    holds everything the key is made of (NULs, separators and empty values included)."""
    first, second = _mocked(*one), _mocked(*other)
    target = caching._memo_target(first, shape)
    if target is None or target != caching._memo_target(second, shape):
        return
    from aiohttp_apim.pipeline.keys import key_of

    def key(request: web.Request) -> str:
        return key_of(
            shape,
            request.rel_url.raw_path,
            caching._Values(request.headers),
            caching._Values(request.query),
            request.host,
            False,
            None,
            False,
            (),
        )

    assert key(first) == key(second)


def test_the_memo_is_bounded_and_skips_long_targets() -> None:
    shape = _SHAPES[3]  # (by X-Tenant and host)
    memo = shape.memo
    for n in range(KEY_MEMO_ENTRIES + 10):
        keys.remember_key(memo, f"/t{n}", f"k{n}")
    assert len(memo) <= KEY_MEMO_ENTRIES
    assert memo["/t" + str(KEY_MEMO_ENTRIES + 9)] == "k" + str(KEY_MEMO_ENTRIES + 9)
    long = "/shop/items?id=" + "x" * KEY_MEMO_MAX_CHARS
    assert caching._memo_target(_mocked(long, "h", []), shape) is None
    long_header = [("X-Tenant", "t" * (KEY_MEMO_MAX_CHARS + 1))]
    assert caching._memo_target(_mocked("/shop/items?id=1", "h", long_header), shape) is None
    repeated = [("X-Tenant", "a"), ("X-Tenant", "b")]
    assert caching._memo_target(_mocked("/shop/items?id=1", "h", repeated), shape) is None
