"""Response caching over HTTP: cache-lookup and cache-store (spec sections 3, 4.4, 4.6, 5).

The backend's call counter tells a hit from a miss; the default body ``"shop:list #<call>"`` tells
which backend call produced an answer. Keys are covered in test_scenario_cache_key.py and the
downstream Cache-Control header in test_scenario_downstream.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.cache import CacheHit, CacheUnavailable
from tests.doubles import DictCache, FailingCache, GatedCache
from tests.web.conftest import (
    CACHED,
    LOOKUP,
    PROBE,
    STORE,
    FakeClock,
    Serve,
    Served,
    policies_xml,
    set_header,
)

# --- hits and misses ------------------------------------------------------------------------


async def assert_the_cached_operation_still_hits(app: Served) -> None:
    """The control of every "not stored" test: caching does work in the same app, so a
    gateway that caches nothing cannot pass it."""
    await app.get("/shop/items/1")
    await app.get("/shop/items/1")
    assert app.calls("shop:get") == 1


async def test_second_get_is_served_from_cache_without_calling_the_backend(serve: Serve) -> None:
    app = await serve(CACHED)
    first = await app.get()
    second = await app.get()
    assert first.status == second.status == 200
    assert first.body == second.body == b"shop:list #1"
    assert app.calls() == 1


async def test_hit_replays_status_headers_and_body_exactly(serve: Serve) -> None:
    app = await serve(CACHED)
    payload = bytes(range(256)) + b"\xff\xfe not utf-8 \x80"
    app.backends["shop:list"].respond(
        headers=[
            ("Content-Type", "application/x-custom"),
            ("X-Backend", "one"),
            ("X-Multi", "a"),
            ("X-Multi", "b"),
        ],
        body=payload,
    )
    await app.get()
    hit = await app.get()
    assert app.calls() == 1
    assert hit.status == 200
    assert hit.body == payload
    assert hit.headers["Content-Type"] == "application/x-custom"
    assert hit.headers["X-Backend"] == "one"
    assert hit.headers.getall("X-Multi") == ["a", "b"]


# --- GET only -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_non_get_is_neither_served_from_nor_stored_in_cache(
    serve: Serve, method: str
) -> None:
    app = await serve(CACHED)
    await app.get()
    assert (await app.request(method, data=b"{}")).body == b"shop:list #2"
    assert (await app.request(method, data=b"{}")).body == b"shop:list #3"
    # The entry stored by the first GET is still the one served.
    assert (await app.get()).body == b"shop:list #1"
    assert app.calls() == 3


async def test_head_is_neither_served_from_nor_stored_in_cache(serve: Serve) -> None:
    app = await serve(CACHED)
    await app.request("HEAD")
    await app.request("HEAD")
    assert app.calls() == 2
    assert (await app.get()).body == b"shop:list #3"
    assert (await app.get()).body == b"shop:list #3"
    await app.request("HEAD")
    assert app.calls() == 4
    assert (await app.get()).body == b"shop:list #3"
    assert app.calls() == 4


# --- what a hit skips and where outbound resumes --------------------------------------------


async def test_hit_skips_the_inbound_statements_after_the_lookup(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(
            inbound='<set-variable name="before" value="yes" />'
            + LOOKUP
            + '<set-variable name="after" value="yes" />',
            outbound=STORE
            + set_header(
                "X-Inbound",
                '@((context.Variables.ContainsKey("before") ? "before" : "-") + ","'
                ' + (context.Variables.ContainsKey("after") ? "after" : "-"))',
            ),
        )
    }
    app = await serve(policies)
    assert (await app.get()).headers["X-Inbound"] == "before,after"
    assert (await app.get()).headers["X-Inbound"] == "before,-"
    assert app.calls() == 1


async def test_hit_resumes_outbound_after_cache_store(serve: Serve) -> None:
    # Before cache-store: part of the stored copy, not run again on a hit.
    # After cache-store: runs on every response, hit or miss.
    policies = {
        "policy.xml": policies_xml(
            inbound=LOOKUP,
            outbound=set_header("X-Before", PROBE) + STORE + set_header("X-After", PROBE),
        )
    }
    app = await serve(policies)
    miss = await app.get(headers={"X-Probe": "one"})
    hit = await app.get(headers={"X-Probe": "two"})
    assert app.calls() == 1
    assert (miss.headers["X-Before"], miss.headers["X-After"]) == ("one", "one")
    assert (hit.headers["X-Before"], hit.headers["X-After"]) == ("one", "two")


async def test_hit_resumes_inside_choose_after_cache_store_then_after_the_choose(
    serve: Serve,
) -> None:
    outbound = (
        '<choose><when condition="@(context.Response.StatusCode == 200)">'
        + set_header("X-Before", PROBE)
        + STORE
        + set_header("X-Sibling", PROBE)
        + "</when></choose>"
        + set_header("X-After-Choose", PROBE)
    )
    app = await serve({"policy.xml": policies_xml(inbound=LOOKUP, outbound=outbound)})
    await app.get(headers={"X-Probe": "one"})
    hit = await app.get(headers={"X-Probe": "two"})
    assert app.calls() == 1
    assert hit.headers["X-Before"] == "one"
    assert hit.headers["X-Sibling"] == "two"
    assert hit.headers["X-After-Choose"] == "two"


async def test_hit_resumes_after_cache_store_in_the_effective_outbound_across_scopes(
    serve: Serve,
) -> None:
    policies = {
        "policy.xml": policies_xml(outbound=set_header("X-Global", PROBE)),
        "apis/shop/operations/list/policy.xml": policies_xml(
            inbound="<base />" + LOOKUP,
            backend="<base />",
            outbound=set_header("X-Operation", PROBE) + STORE + "<base />",
        ),
    }
    app = await serve(policies)
    await app.get(headers={"X-Probe": "one"})
    hit = await app.get(headers={"X-Probe": "two"})
    assert app.calls() == 1
    assert hit.headers["X-Operation"] == "one"
    assert hit.headers["X-Global"] == "two"


# --- when nothing is cached -----------------------------------------------------------------


async def test_no_cache_lookup_in_effect_means_nothing_is_cached(serve: Serve) -> None:
    # The lookup is only in shop:list; the global cache-store alone caches nothing for shop:get.
    policies = {
        "policy.xml": policies_xml(outbound=STORE),
        "apis/shop/operations/list/policy.xml": policies_xml(
            inbound="<base />" + LOOKUP, backend="<base />", outbound="<base />"
        ),
    }
    app = await serve(policies)
    await app.get("/shop/items/1")
    await app.get("/shop/items/1")
    assert app.calls("shop:get") == 2
    await app.get("/shop/items")
    await app.get("/shop/items")
    assert app.calls("shop:list") == 1


async def test_cache_lookup_in_a_branch_not_taken_caches_nothing(serve: Serve) -> None:
    inbound = (
        '<choose><when condition="@(context.Request.Headers.ContainsKey("X-Cache-Me"))">'
        + LOOKUP
        + "</when></choose>"
    )
    app = await serve({"policy.xml": policies_xml(inbound=inbound, outbound=STORE)})
    await app.get()
    await app.get()
    assert app.calls() == 2
    await app.get(headers={"X-Cache-Me": "1"})
    await app.get(headers={"X-Cache-Me": "1"})
    assert app.calls() == 3


async def test_cache_lookup_without_cache_store_stores_nothing(serve: Serve) -> None:
    # Only shop:get has a cache-store; shop:list looks up but never stores.
    policies = {
        "policy.xml": policies_xml(inbound=LOOKUP),
        "apis/shop/operations/get/policy.xml": policies_xml(
            inbound="<base />", backend="<base />", outbound="<base />" + STORE
        ),
    }
    app = await serve(policies)
    await app.get()
    await app.get()
    assert app.calls() == 2
    await assert_the_cached_operation_still_hits(app)


# --- Authorization --------------------------------------------------------------------------


async def test_request_with_authorization_is_not_served_from_cache(serve: Serve) -> None:
    app = await serve(CACHED)
    await app.get()
    answer = await app.get(headers={"Authorization": "Bearer a"})
    assert answer.body == b"shop:list #2"
    assert (await app.get()).body == b"shop:list #1"
    assert app.calls() == 2


async def test_response_to_request_with_authorization_is_not_stored(serve: Serve) -> None:
    app = await serve(CACHED)
    await app.get(headers={"Authorization": "Bearer a"})
    await app.get(headers={"Authorization": "Bearer a"})
    assert app.calls() == 2
    assert (await app.get()).body == b"shop:list #3"
    assert (await app.get()).body == b"shop:list #3"


async def test_allow_private_response_caching_caches_requests_with_authorization(
    serve: Serve,
) -> None:
    lookup = (
        '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" '
        'allow-private-response-caching="true" />'
    )
    app = await serve({"policy.xml": policies_xml(inbound=lookup, outbound=STORE)})
    await app.get(headers={"Authorization": "Bearer a"})
    hit = await app.get(headers={"Authorization": "Bearer a"})
    assert hit.body == b"shop:list #1"
    assert app.calls() == 1


# --- which responses cache-store keeps ------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
async def test_only_200_is_stored_by_default(serve: Serve, status: int) -> None:
    app = await serve(CACHED)
    app.backends["shop:list"].respond(status=status)
    await app.get()
    assert (await app.get()).status == status
    assert app.calls() == 2
    app.backends["shop:list"].respond(status=200)
    await app.get()
    assert (await app.get()).body == b"shop:list #3"
    assert app.calls() == 3


@pytest.mark.parametrize(
    "cache_response", ["true", "@(context.Response.StatusCode == 404)"], ids=["literal", "expr"]
)
async def test_cache_response_true_stores_a_404(serve: Serve, cache_response: str) -> None:
    store = f'<cache-store duration="60" cache-response="{cache_response}" />'
    app = await serve({"policy.xml": policies_xml(inbound=LOOKUP, outbound=store)})
    app.backends["shop:list"].respond(status=404)
    await app.get()
    hit = await app.get()
    assert (hit.status, hit.body) == (404, b"shop:list #1")
    assert app.calls() == 1


# --- duration and expiry --------------------------------------------------------------------


async def test_entry_is_served_until_just_before_its_duration_ends(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(CACHED)
    await app.get()
    clock.advance(59)
    assert (await app.get()).body == b"shop:list #1"
    assert app.calls() == 1


async def test_entry_expires_after_its_duration_and_is_stored_again(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(CACHED)
    await app.get()
    clock.advance(61)
    assert (await app.get()).body == b"shop:list #2"
    assert (await app.get()).body == b"shop:list #2"
    assert app.calls() == 2


@pytest.mark.parametrize("duration", ["0", "@(-1)"])
async def test_duration_of_zero_or_less_stores_nothing(serve: Serve, duration: str) -> None:
    policies = {
        **CACHED,
        "apis/shop/operations/list/policy.xml": policies_xml(
            inbound="<base />",
            backend="<base />",
            outbound=f'<cache-store duration="{duration}" />',
        ),
    }
    app = await serve(policies)
    await app.get()
    await app.get()
    assert app.calls() == 2
    # The same lookup with the global 60-second cache-store does store (shop:get).
    await assert_the_cached_operation_still_hits(app)


def _store_for_max_age(pattern: str) -> str:
    """The documented "duration from the backend's max-age" outbound, with ``pattern`` as the
    regex argument of Regex.Match (a C# string literal, written as users write it)."""
    return (
        '<set-variable name="maxAge" value="@(Regex.Match(context.Response.Headers'
        '.GetValueOrDefault("Cache-Control", ""), ' + pattern + ').Groups["maxAge"]?.Value)" />'
        '<cache-store duration="@(string.IsNullOrEmpty((string)context.Variables["maxAge"])'
        ' ? 300 : int.Parse((string)context.Variables["maxAge"]))" />'
    )


async def test_duration_from_backend_max_age_with_verbatim_regex(
    serve: Serve, clock: FakeClock
) -> None:
    outbound = _store_for_max_age(r'@"max-age=(?<maxAge>\d+)"')
    app = await serve({"policy.xml": policies_xml(inbound=LOOKUP, outbound=outbound)})
    app.backends["shop:list"].respond(headers={"Cache-Control": "max-age=10"})
    await app.get()
    clock.advance(9)
    await app.get()
    assert app.calls() == 1
    clock.advance(2)
    await app.get()
    assert app.calls() == 2


async def test_duration_from_doc_bug_regex_never_matches_and_falls_back_to_300(
    serve: Serve, clock: FakeClock
) -> None:
    # The regular string "@(max-age=(?<maxAge>\\d+))" is the regex @(max-age=...),
    # which needs a literal "@" and never matches "max-age=10": the duration is 300.
    outbound = _store_for_max_age(r'"@(max-age=(?<maxAge>\\d+))"')
    app = await serve({"policy.xml": policies_xml(inbound=LOOKUP, outbound=outbound)})
    app.backends["shop:list"].respond(headers={"Cache-Control": "max-age=10"})
    await app.get()
    clock.advance(11)
    await app.get()
    assert app.calls() == 1
    clock.advance(290)
    await app.get()
    assert app.calls() == 2


# --- size -----------------------------------------------------------------------------------


async def test_response_larger_than_max_entry_bytes_is_not_stored(serve: Serve) -> None:
    cache = aiohttp_apim.MemoryCache(max_entry_bytes=8 * 1024)
    app = await serve(CACHED, internal_cache=cache)
    app.backends["shop:get"].respond(body=b"x" * (64 * 1024))
    first = await app.get("/shop/items/big")
    second = await app.get("/shop/items/big")
    assert first.body == second.body == b"x" * (64 * 1024)
    assert app.calls("shop:get") == 2
    # A small response still fits the same cache.
    await app.get("/shop/items")
    await app.get("/shop/items")
    assert app.calls("shop:list") == 1


async def test_response_over_2_mib_is_not_stored_by_default(serve: Serve) -> None:
    app = await serve(CACHED)
    app.backends["shop:list"].respond(body=b"x" * (2 * 1024 * 1024 + 1))
    await app.get()
    await app.get()
    assert app.calls() == 2
    await assert_the_cached_operation_still_hits(app)


# --- what a hit replays ---------------------------------------------------------------------


async def test_hop_by_hop_headers_are_not_replayed_from_the_cache(serve: Serve) -> None:
    app = await serve(CACHED)
    app.backends["shop:list"].respond(
        headers=[
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=99"),
            ("Content-Type", "application/json"),
            ("X-Request-Cost", "7"),
        ],
        body=b'{"items": []}',
    )
    await app.get()
    hit = await app.get()
    assert app.calls() == 1
    assert "Keep-Alive" not in hit.headers
    assert "Connection" not in hit.headers
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.headers["X-Request-Cost"] == "7"
    assert hit.body == b'{"items": []}'


async def test_stream_response_prepared_by_the_handler_passes_through_uncached(
    serve: Serve,
) -> None:
    app = await serve(CACHED)
    app.backends["shop:list"].respond(
        headers={"Content-Type": "text/plain"}, chunks=[b"chunk-1,", b"chunk-2,", b"chunk-3"]
    )
    first = await app.get()
    second = await app.get()
    assert first.status == second.status == 200
    assert first.body == second.body == b"chunk-1,chunk-2,chunk-3"
    assert app.calls() == 2
    await assert_the_cached_operation_still_hits(app)


# --- request headers the backend sees -------------------------------------------------------

CACHE_REQUEST_HEADERS = {
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
    "If-None-Match": '"v1"',
    "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
    "If-Match": '"v1"',
    "If-Unmodified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
    "If-Range": '"v1"',
    "Range": "bytes=0-3",
}


async def test_cache_request_headers_are_removed_before_the_backend_on_a_miss(
    serve: Serve,
) -> None:
    app = await serve(CACHED)
    answer = await app.get(headers={**CACHE_REQUEST_HEADERS, "X-Other": "kept"})
    assert answer.status == 200
    seen = app.backends["shop:list"].last.headers
    assert [name for name in CACHE_REQUEST_HEADERS if name in seen] == []
    assert seen["X-Other"] == "kept"


async def test_cache_request_headers_reach_the_backend_on_a_non_get(serve: Serve) -> None:
    app = await serve(CACHED)
    await app.request("POST", headers=CACHE_REQUEST_HEADERS, data=b"{}")
    seen = app.backends["shop:list"].last.headers
    assert {name: seen.get(name) for name in CACHE_REQUEST_HEADERS} == CACHE_REQUEST_HEADERS
    await app.get(headers=CACHE_REQUEST_HEADERS)
    assert "Cache-Control" not in app.backends["shop:list"].last.headers


async def test_cache_request_headers_reach_the_backend_when_authorization_blocks_the_lookup(
    serve: Serve,
) -> None:
    app = await serve(CACHED)
    await app.get(headers={**CACHE_REQUEST_HEADERS, "Authorization": "Bearer a"})
    seen = app.backends["shop:list"].last.headers
    assert {name: seen.get(name) for name in CACHE_REQUEST_HEADERS} == CACHE_REQUEST_HEADERS
    await app.get(headers=CACHE_REQUEST_HEADERS)
    assert "Cache-Control" not in app.backends["shop:list"].last.headers


# --- one cache, several apps ----------------------------------------------------------------


async def test_two_apps_given_the_same_memory_cache_share_entries(serve: Serve) -> None:
    cache = aiohttp_apim.MemoryCache()
    first_app = await serve(CACHED, internal_cache=cache)
    second_app = await serve(CACHED, internal_cache=cache)
    await first_app.get()
    hit = await second_app.get()
    assert hit.body == b"shop:list #1"
    assert first_app.calls() == 1
    assert second_app.calls() == 0


async def test_apps_with_different_policies_do_not_share_entries(serve: Serve) -> None:
    cache = aiohttp_apim.MemoryCache()
    other = {"policy.xml": policies_xml(inbound=LOOKUP, outbound='<cache-store duration="120" />')}
    first_app = await serve(CACHED, internal_cache=cache)
    second_app = await serve(other, internal_cache=cache)
    await first_app.get()
    await second_app.get()
    await first_app.get()
    assert first_app.calls() == 1
    assert second_app.calls() == 1


# --- best effort: the cache never fails a request -------------------------------------------


CACHED_AND_STAMPED = {
    "policy.xml": policies_xml(inbound=LOOKUP, outbound=STORE + set_header("X-Pipeline", "ran"))
}


@pytest.mark.parametrize("error", [CacheUnavailable, RuntimeError])
async def test_cache_that_raises_on_every_call_never_fails_the_request(
    serve: Serve, error: type[Exception]
) -> None:
    app = await serve(CACHED_AND_STAMPED, internal_cache=FailingCache(error=error("cache down")))
    first = await app.get()
    second = await app.get()
    assert (first.status, first.body) == (200, b"shop:list #1")
    assert (second.status, second.body) == (200, b"shop:list #2")
    assert first.headers["X-Pipeline"] == second.headers["X-Pipeline"] == "ran"
    assert app.calls() == 2


class GarbageCache(DictCache):
    """A cache that answers every read with bytes no gateway wrote, and forgets every write."""

    async def get(self, key: str) -> CacheHit | None:
        return CacheHit(b"\x00\xffnot an entry", 30.0)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        pass


async def test_cache_returning_garbage_is_a_miss(serve: Serve) -> None:
    app = await serve(CACHED_AND_STAMPED, internal_cache=GarbageCache())
    answer = await app.get()
    assert (answer.status, answer.body) == (200, b"shop:list #1")
    assert answer.headers["X-Pipeline"] == "ran"
    assert app.calls() == 1


async def test_cache_store_never_delays_the_response(serve: Serve, clock: FakeClock) -> None:
    cache = GatedCache(clock=clock)
    gate = cache.gate
    app = await serve(CACHED, internal_cache=cache)
    try:
        # The guard only turns a hang into a clear failure; nothing here measures time.
        async with asyncio.timeout(30):
            async with app.client.get("/shop/items") as response:
                assert response.status == 200
                assert await response.read() == b"shop:list #1"
    except TimeoutError:
        pytest.fail("the response waited for the cache write")
    finally:
        gate.set()
    await app.gateway.drain()
    hit = await app.get()
    assert hit.body == b"shop:list #1"
    assert app.calls() == 1


# --- what the backend says must not be shared (safety beyond APIM) -------------------------
# APIM stores whatever cache-store is given; by default the gateway leaves alone what the
# backend marked as one caller's, and backend_cache_control="ignore" brings APIM's way back.

ACCOUNT_PAGE = {"policy.xml": policies_xml(inbound=LOOKUP, outbound=STORE)}


UNSHARED = [
    {"Cache-Control": "private"},
    {"Cache-Control": "no-store"},
    {"Cache-Control": "no-cache"},
    {"Cache-Control": "max-age=60, private"},
    {"Vary": "*"},
    {"Vary": "Cookie"},
    {"Vary": "Accept-Language"},
    {"Set-Cookie": "cart=alice-1"},
]
"""What a backend says when a response is one caller's (or may differ by unkeyed input)."""


def header_ids(headers: dict[str, str]) -> str:
    return "-".join(f"{k}:{v}" for k, v in headers.items())


@pytest.mark.parametrize("headers", UNSHARED, ids=header_ids)
async def test_a_response_meant_for_one_caller_is_not_stored(
    serve: Serve, headers: dict[str, str]
) -> None:
    app = await serve(ACCOUNT_PAGE)
    app.backends["shop:list"].respond(headers=headers)
    alice = await app.get(headers={"Cookie": "session=alice"})
    bob = await app.get(headers={"Cookie": "session=bob"})
    assert (alice.body, bob.body) == (b"shop:list #1", b"shop:list #2")
    assert app.calls() == 2
    await assert_the_cached_operation_still_hits(app)


@pytest.mark.parametrize("headers", UNSHARED, ids=header_ids)
async def test_backend_cache_control_ignore_stores_it_as_apim_does(
    serve: Serve, headers: dict[str, str]
) -> None:
    app = await serve(ACCOUNT_PAGE, backend_cache_control="ignore")
    app.backends["shop:list"].respond(headers=headers)
    await app.get(headers={"Cookie": "session=alice"})
    shared = await app.get(headers={"Cookie": "session=bob"})
    assert shared.body == b"shop:list #1"
    assert app.calls() == 1
    assert "Set-Cookie" not in shared.headers  # never replayed, whatever the option


async def test_a_response_varying_on_a_header_the_key_holds_is_stored(serve: Serve) -> None:
    lookup = (
        '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">'
        "<vary-by-header>Accept-Language</vary-by-header></cache-lookup>"
    )
    app = await serve({"policy.xml": policies_xml(inbound=lookup, outbound=STORE)})
    app.backends["shop:list"].respond(headers={"Vary": "Accept-Language, Host"})
    await app.get(headers={"Accept-Language": "fr"})
    hit = await app.get(headers={"Accept-Language": "fr"})
    other = await app.get(headers={"Accept-Language": "en"})
    assert (hit.body, other.body) == (b"shop:list #1", b"shop:list #2")
    assert app.calls() == 2


@pytest.mark.parametrize(
    "option", [{}, {"backend_cache_control": "ignore"}], ids=["honor", "ignore"]
)
@pytest.mark.parametrize("status", [206, 304])
async def test_206_and_304_are_never_stored_even_with_cache_response(
    serve: Serve, status: int, option: dict[str, Any]
) -> None:
    store = '<cache-store duration="60" cache-response="true" />'
    app = await serve({"policy.xml": policies_xml(inbound=LOOKUP, outbound=store)}, **option)
    app.backends["shop:list"].respond(status=status, body=b"" if status == 304 else b"part")
    await app.get()
    await app.get()
    assert app.calls() == 2
    app.backends["shop:list"].respond(status=200)
    await app.get()
    assert (await app.get()).body == b"shop:list #3"


async def test_a_range_request_cannot_put_a_fragment_in_the_cache(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    # With cache-response="true" a 206 would be stored for everyone: the miss asks for it all.
    page = b"the whole page, not four bytes of it"
    seen: list[str | None] = []

    async def ranged(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Range"))
        if "Range" in request.headers:
            return web.Response(status=206, body=page[:4])
        return web.Response(body=page)

    app = web.Application()
    app.router.add_get("/shop/items", ranged, name="shop:list")
    store = '<cache-store duration="60" cache-response="true" />'
    policies = {"policy.xml": policies_xml(inbound=LOOKUP, outbound=store)}
    gateway = aiohttp_apim.setup(app, policies=policies, clock=clock)
    client = await aiohttp_client(app)
    async with client.get("/shop/items", headers={"Range": "bytes=0-3"}) as attacker:
        assert (attacker.status, await attacker.read()) == (200, page)
    await gateway.drain()
    async with client.get("/shop/items") as visitor:
        assert (visitor.status, await visitor.read()) == (200, page)
    assert seen == [None]


@pytest.mark.parametrize(
    ("attributes", "option", "shared"),
    [
        ("", {}, False),
        ('allow-private-response-caching="true"', {}, True),
        ("", {"backend_cache_control": "ignore"}, True),
    ],
    ids=["default", "allow-private", "ignore"],
)
async def test_proxy_authorization_counts_like_authorization(
    serve: Serve, attributes: str, option: dict[str, Any], shared: bool
) -> None:
    lookup = (
        f'<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" {attributes} />'
    )
    app = await serve({"policy.xml": policies_xml(inbound=lookup, outbound=STORE)}, **option)
    await app.get(headers={"Proxy-Authorization": "Basic YWxpY2U6c2VjcmV0"})
    anonymous = await app.get()
    assert (anonymous.body == b"shop:list #1") is shared
    assert app.calls() == (1 if shared else 2)
