"""``Cache-Status`` (RFC 9211) over HTTP: what the response cache did, on the wire, when
``setup(..., cache_status=True)``; and the same reason in the DEBUG log line of each lookup and
store."""

from __future__ import annotations

import logging

import pytest
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis

import aiohttp_apim
from aiohttp_apim.pipeline.cachestatus import CacheStatus
from tests.redis_server import RedisServer, free_port
from tests.web.conftest import FakeClock, Serve, policies_xml
from tests.web.test_scenario_stampede import Stampede, plain

LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
POLICY = {
    "policy.xml": policies_xml(inbound=LOOKUP, outbound='<cache-store duration="60" />'),
}


async def test_off_by_default(serve: Serve) -> None:
    served = await serve(POLICY)
    await served.get()
    assert "Cache-Status" not in (await served.get()).headers


async def test_a_miss_stored_then_hits_with_the_seconds_left(serve: Serve) -> None:
    served = await serve(POLICY, cache_status=True)
    first = await served.get()
    assert first.headers["Cache-Status"] == "aiohttp-apim; fwd=uri-miss; stored"
    assert (await served.get()).headers["Cache-Status"] == "aiohttp-apim; hit; ttl=60"
    serve.clock.advance(18)
    hit = await served.get()
    assert hit.headers["Cache-Status"] == "aiohttp-apim; hit; ttl=42"
    assert hit.body == first.body
    assert served.calls() == 1


@pytest.mark.parametrize(
    ("method", "headers", "detail"),
    [
        ("POST", {}, "method"),
        ("GET", {"Authorization": "Bearer x"}, "authorization"),
    ],
)
async def test_a_bypass_says_why(
    serve: Serve, method: str, headers: dict[str, str], detail: str
) -> None:
    served = await serve(POLICY, cache_status=True)
    answer = await served.request(method, headers=headers)
    assert answer.headers["Cache-Status"] == f"aiohttp-apim; fwd=bypass; detail={detail}"
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    assert gateway.stats().response_bypasses == 1


async def test_a_caching_type_with_no_cache_is_a_bypass_for_cache_unavailable(
    serve: Serve,
) -> None:
    lookup = LOOKUP.replace("/>", 'caching-type="external" />')
    served = await serve(
        {"policy.xml": policies_xml(inbound=lookup, outbound='<cache-store duration="60" />')},
        cache_status=True,
    )
    answer = await served.get()
    assert answer.headers["Cache-Status"] == "aiohttp-apim; fwd=bypass; detail=cache-unavailable"


@pytest.mark.parametrize(
    ("status", "headers", "detail"),
    [
        (404, {}, "status"),
        (200, {"Cache-Control": "private"}, "not-storable"),
        (200, {"Set-Cookie": "a=b"}, "not-storable"),
    ],
)
async def test_a_miss_not_stored_says_why(
    serve: Serve, status: int, headers: dict[str, str], detail: str
) -> None:
    served = await serve(POLICY, cache_status=True)
    served.backends["shop:list"].respond(status=status, headers=headers)
    answer = await served.get()
    assert answer.status == status
    assert answer.headers["Cache-Status"] == f"aiohttp-apim; fwd=uri-miss; detail={detail}"


async def test_only_requests_that_meet_a_cache_lookup_get_one(serve: Serve) -> None:
    served = await serve(
        {
            "policy.xml": policies_xml(),
            "apis/shop/operations/list/policy.xml": policies_xml(
                inbound="<base />" + LOOKUP, backend="<base />", outbound="<base />"
            ),
        },
        cache_status=True,
    )
    assert "Cache-Status" in (await served.get()).headers
    assert "Cache-Status" not in (await served.get("/shop/items/1")).headers


async def test_a_handlers_own_cache_status_is_kept_and_ours_follows(serve: Serve) -> None:
    served = await serve(POLICY, cache_status=True)
    served.backends["shop:list"].respond(headers={"Cache-Status": "origin-cache; hit"})
    answer = await served.get()
    assert answer.headers.getall("Cache-Status") == [
        "origin-cache; hit",
        "aiohttp-apim; fwd=uri-miss; stored",
    ]


class _Statuses(Stampede):
    async def get(self, key: str = "1") -> tuple[int, str]:
        assert self.client is not None
        async with self.client.get("/shop/items", params={"id": key}) as answer:
            await answer.read()
            return answer.status, answer.headers["Cache-Status"]


async def test_requests_that_waited_for_another_ones_entry_are_collapsed(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    stampede = _Statuses(5, plain)
    await stampede.start(aiohttp_client, clock, cache_status=True)
    answers = await stampede.run(5)
    assert stampede.calls == 1
    assert sorted(status for _, status in answers) == [
        "aiohttp-apim; fwd=miss; collapsed",
    ] * 4 + ["aiohttp-apim; fwd=uri-miss; stored"]


async def test_the_debug_line_of_each_lookup_and_store_gives_the_reason(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim.pipeline.observers")  # as the app starts
    served = await serve(POLICY, cache_status=True)
    served.backends["shop:list"].respond(headers={"Cache-Control": "no-store"})
    await served.get()
    await served.request("POST")
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp_apim.pipeline.observers"]
    assert len(lines) == 4, lines
    assert lines[0].startswith("cache-lookup miss")
    assert "API shop, operation list, cache memory" in lines[0]
    assert "key hash " in lines[0]
    assert "/shop/items" not in lines[0]
    assert lines[1].startswith("cache-store not-stored")
    assert "Cache-Control: no-store" in lines[1]
    assert lines[2].startswith("cache-lookup bypass")
    assert lines[2].endswith(": method")
    assert lines[3].startswith("cache-store not-stored")
    assert "no cache-lookup missed" in lines[3]


async def test_the_debug_line_needs_no_option(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim.pipeline.observers")
    served = await serve(POLICY)
    await served.get()
    await served.get()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp_apim.pipeline.observers"]
    assert [line.split(" (")[0] for line in lines] == [
        "cache-lookup miss",
        "cache-store stored",
        "cache-lookup hit",
    ]
    assert "Cache-Status" not in (await served.get()).headers


@pytest.mark.parametrize(
    ("status", "rendered"),
    [
        (CacheStatus("hit", ttl=41.6), "aiohttp-apim; hit; ttl=41"),
        (CacheStatus("hit"), "aiohttp-apim; hit"),
        (CacheStatus("stale"), "aiohttp-apim; hit; stale"),
        (CacheStatus("stale", ttl=-2.5), "aiohttp-apim; hit; stale; ttl=-3"),
        (CacheStatus("collapsed"), "aiohttp-apim; fwd=miss; collapsed"),
        (CacheStatus("miss"), "aiohttp-apim; fwd=uri-miss"),
        (CacheStatus("miss", stored=True), "aiohttp-apim; fwd=uri-miss; stored"),
        (
            CacheStatus("miss", stored=False, store_detail="size"),
            "aiohttp-apim; fwd=uri-miss; detail=size",
        ),
        (CacheStatus("bypass", "method"), "aiohttp-apim; fwd=bypass; detail=method"),
    ],
)
def test_each_outcome_renders_as_rfc_9211_says(status: CacheStatus, rendered: str) -> None:
    assert status.render() == rendered


async def test_no_debug_line_when_the_logger_did_not_say_debug_at_startup(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    served = await serve(POLICY, cache_status=True)
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim.pipeline.observers")
    await served.get()
    assert [r for r in caplog.records if r.name == "aiohttp_apim.pipeline.observers"] == []


async def test_a_cache_that_fails_is_a_miss_that_says_cache_error(serve: Serve) -> None:
    dead = aiohttp_apim.RedisCache.from_url(
        f"redis://127.0.0.1:{free_port()}/0", client="redis-py", connect_timeout=0.5
    )
    served = await serve(POLICY, external_cache=dead, cache_status=True)
    answer = await served.get()
    assert answer.status == 200
    assert answer.headers["Cache-Status"] == "aiohttp-apim; fwd=uri-miss; detail=cache-error"


async def test_a_damaged_entry_is_a_miss_that_says_bad_entry(
    serve: Serve, redis_server: RedisServer, redis_prefix: str
) -> None:
    cache = aiohttp_apim.RedisCache.from_url(
        redis_server.url, prefix=redis_prefix, operation_timeout=2.0
    )
    served = await serve(POLICY, external_cache=cache, cache_status=True)
    await served.get()
    client = Redis.from_url(redis_server.url)
    try:
        [key] = [k async for k in client.scan_iter(match=redis_prefix.encode() + b"resp|*")]
        stored = await client.get(key)
        assert isinstance(stored, bytes)
        await client.set(key, stored[:-1] + bytes([stored[-1] ^ 1]), px=60_000)
    finally:
        await client.aclose()
    answer = await served.get()
    assert answer.headers["Cache-Status"] == "aiohttp-apim; fwd=uri-miss; detail=bad-entry"
    assert (await served.get()).headers["Cache-Status"].startswith("aiohttp-apim; hit")
