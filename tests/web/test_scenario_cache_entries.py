"""Entries read back from a shared cache are never trusted, over HTTP against a real Redis.

Whoever can write to the Redis can put any bytes under any key; without a signing key they can
also compute the entry's checksum. The gateway must still never replay a response aiohttp
cannot send as it is (framing headers, a 1xx status, a line break in a header), never serve an
entry under a key it was not written for, and, with ``cache_signing_key``, never serve what was
written without the key. A bad entry is a miss, logged and counted, and is removed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

import aiohttp_apim
from aiohttp_apim.pipeline.entryseal import EntrySeal
from tests.pipeline.test_responsecodec import raw
from tests.redis_server import RedisServer
from tests.web.conftest import LOOKUP, STORE, Serve, Served, policies_xml

CACHED = {"policy.xml": policies_xml(inbound=LOOKUP, outbound=STORE)}
SECRET = "a secret the instances share"


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        await client.aclose()


def external(redis_server: RedisServer, prefix: str) -> aiohttp_apim.RedisCache:
    return aiohttp_apim.RedisCache.from_url(redis_server.url, prefix=prefix, operation_timeout=2.0)


async def stored_key(redis: Redis, prefix: str) -> bytes:
    """The one response entry under ``prefix`` (the test stored it)."""
    keys: list[bytes] = [key async for key in redis.scan_iter(match=prefix.encode() + b"resp|*")]
    assert len(keys) == 1, keys
    return keys[0]


async def plant(redis: Redis, key: bytes, prefix: str, entry: bytes, *, seal: bool) -> bytes:
    """Write ``entry`` under ``key`` as an attacker with write access would: with a checksum
    that matches (anyone can compute it) when ``seal``."""
    data = EntrySeal().seal(key[len(prefix) :].decode(), [entry]) if seal else entry
    await redis.set(key, data, px=60_000)
    return data


async def get(app: Served, path: str = "/shop/items") -> tuple[int, bytes]:
    # The guard only turns a hang (a client waiting for a body that never ends) into a failure.
    async with asyncio.timeout(30):
        answer = await app.get(path)
    return answer.status, answer.body


ATTACKS = {
    # Content-Length shorter than the body: a second response on the wire, with a cookie.
    "short-content-length": raw(
        headers=[("Content-Length", "2")],
        body=b"ok"
        + b"HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker\r\nContent-Length: 0\r\n\r\n",
    ),
    "long-content-length": raw(headers=[("Content-Length", "9999")], body=b"short"),
    "chunked": raw(headers=[("Transfer-Encoding", "chunked")], body=b"not chunks"),
    "status-100": raw(status=100, body=b""),
    "status-700": raw(status=700, body=b""),
    "crlf-in-a-header": raw(headers=[("X-A", "1\r\nSet-Cookie: session=attacker")]),
    "nul-in-a-header": raw(headers=[("X-A", "1\x00")]),
    "set-cookie": raw(headers=[("Set-Cookie", "session=attacker")], body=b"page"),
    "previous-format": b"APR\x01" + raw(body=b"page")[4:],
}


@pytest.mark.parametrize("entry", list(ATTACKS.values()), ids=list(ATTACKS))
async def test_an_entry_no_gateway_would_write_is_a_miss_and_is_removed(
    serve: Serve, redis_server: RedisServer, redis: Redis, redis_prefix: str, entry: bytes
) -> None:
    app = await serve(CACHED, external_cache=external(redis_server, redis_prefix))
    assert await get(app) == (200, b"shop:list #1")
    key = await stored_key(redis, redis_prefix)
    await plant(redis, key, redis_prefix, entry, seal=True)
    # The backend's next answer is not storable: whatever the key holds afterwards, the
    # gateway did not write it.
    app.backends["shop:list"].respond(headers={"Cache-Control": "no-store"}, body=b"fresh")
    assert await get(app) == (200, b"fresh")
    assert await get(app) == (200, b"fresh")  # the connection is intact, the entry gone
    assert await redis.exists(key) == 0
    assert app.gateway.stats().cache_errors >= 1  # type: ignore[attr-defined]


async def test_an_entry_moved_under_another_key_is_not_served(
    serve: Serve, redis_server: RedisServer, redis: Redis, redis_prefix: str
) -> None:
    # Alice's entry (right checksum, for her key) copied under the key of /shop/items/2.
    app = await serve(CACHED, external_cache=external(redis_server, redis_prefix))
    await get(app, "/shop/items/1")
    alice = await stored_key(redis, redis_prefix)
    entry = await redis.get(alice)
    assert entry is not None
    await redis.delete(alice)
    await get(app, "/shop/items/2")
    bob = await stored_key(redis, redis_prefix)
    await redis.set(bob, entry, px=60_000)
    assert await get(app, "/shop/items/2") == (200, b"shop:get #3")
    assert app.calls("shop:get") == 3


async def test_damaged_bytes_are_a_miss(
    serve: Serve, redis_server: RedisServer, redis: Redis, redis_prefix: str
) -> None:
    app = await serve(CACHED, external_cache=external(redis_server, redis_prefix))
    await get(app)
    key = await stored_key(redis, redis_prefix)
    stored = await redis.get(key)
    assert isinstance(stored, bytes)
    entry = bytearray(stored)
    entry[-10] ^= 0x01  # one bit of the body
    await redis.set(key, bytes(entry), px=60_000)
    assert await get(app) == (200, b"shop:list #2")
    assert await get(app) == (200, b"shop:list #2")  # its own answer was stored in its place


# --- a signing key ----------------------------------------------------------------------------


async def test_instances_with_the_signing_key_share_entries_and_serve_nothing_forged(
    serve: Serve, redis_server: RedisServer, redis: Redis, redis_prefix: str
) -> None:
    one = await serve(
        CACHED, external_cache=external(redis_server, redis_prefix), cache_signing_key=SECRET
    )
    two = await serve(
        CACHED, external_cache=external(redis_server, redis_prefix), cache_signing_key=SECRET
    )
    assert await get(one) == (200, b"shop:list #1")
    assert await get(two) == (200, b"shop:list #1")  # signed by one, opened by two
    assert two.calls() == 0
    # A forger can compute a checksum, not the signature: a well-formed page is not served.
    key = await stored_key(redis, redis_prefix)
    await plant(redis, key, redis_prefix, raw(body=b"attacker's page"), seal=True)
    assert await get(two) == (200, b"shop:list #1")
    assert two.calls() == 1


@pytest.mark.parametrize("other", [{}, {"cache_signing_key": "another secret entirely"}])
async def test_an_instance_without_the_same_key_serves_none_of_the_signed_entries(
    serve: Serve,
    redis_server: RedisServer,
    redis_prefix: str,
    other: dict[str, Any],
) -> None:
    signed = await serve(
        CACHED, external_cache=external(redis_server, redis_prefix), cache_signing_key=SECRET
    )
    stranger = await serve(CACHED, external_cache=external(redis_server, redis_prefix), **other)
    await get(signed)
    assert await get(stranger) == (200, b"shop:list #1")
    assert stranger.calls() == 1


def test_a_short_signing_key_is_refused_at_setup() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        aiohttp_apim.Gateway(CACHED, cache_signing_key="short")


async def test_an_in_process_entry_copied_to_a_shared_cache_is_not_served(
    serve: Serve, redis_server: RedisServer, redis: Redis, redis_prefix: str
) -> None:
    # An entry written to the in-process cache is bound to its key by a trailer that means
    # nothing outside this process: copied, byte for byte, under the same key of a shared
    # cache, it is a miss (logged, counted, removed), never served.
    memory = aiohttp_apim.MemoryCache()
    here = await serve(CACHED, internal_cache=memory)
    assert await get(here) == (200, b"shop:list #1")
    assert await get(here) == (200, b"shop:list #1")  # (served from the in-process cache)
    [(key, (local, _, _))] = memory._entries.items()
    shared = await serve(CACHED, external_cache=external(redis_server, redis_prefix))
    await redis.set(redis_prefix.encode() + key.encode(), local, px=60_000)
    shared.backends["shop:list"].respond(body=b"fresh")
    assert await get(shared) == (200, b"fresh")
    assert shared.gateway.stats().cache_errors >= 1  # type: ignore[attr-defined]
