"""The benchmark's servers: one aiohttp app per configuration, each in a process of its own.

``python -m benchmarks.servers KIND PORT SIZE [REDIS_URL]`` serves one configuration on
``127.0.0.1:PORT`` until it is terminated. Every app has the route ``GET /item`` (named
``shop:item``, so operation policies bind to it) answering a JSON body of ``SIZE`` bytes, and
``GET /stats`` (outside every API) answering what the gateway counted, if there is one.

The peer's servers (``peer-*``) run under the peer's own virtualenv, which has aiohttp and
aiohttp-cache but not this library: nothing here imports ``aiohttp_apim`` or ``redis`` at module
level, and aiohttp-cache is imported by name so that this module type-checks without it.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

__all__ = ["KINDS", "main", "make_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SLOW_SECONDS = 0.020
"""The delay of the handler behind the caches: what a hit saves."""

ITEM_ROUTE = "shop:item"

FORWARD_ONLY = "<policies><inbound /><backend><forward-request /></backend><outbound /></policies>"

CACHING = """<policies>
  <inbound>
    <base />
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false">
      <vary-by-query-parameter>id</vary-by-query-parameter>
    </cache-lookup>
  </inbound>
  <backend><base /></backend>
  <outbound><base /><cache-store duration="300" /></outbound>
</policies>"""

# The typical expressions of a caching policy: a variable from a header, a vary-by-header, a
# computed duration.
CACHING_WITH_EXPRESSIONS = """<policies>
  <inbound>
    <base />
    <set-variable name="tenant"
        value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Tenant&quot;, &quot;none&quot;))" />
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false">
      <vary-by-header>X-Tenant</vary-by-header>
      <vary-by-query-parameter>id</vary-by-query-parameter>
    </cache-lookup>
  </inbound>
  <backend><base /></backend>
  <outbound><base /><cache-store duration="@(60 * 5)" /></outbound>
</policies>"""

OPERATION_POLICY = "apis/shop/operations/item/policy.xml"

HAND_WRITTEN_MAX_ENTRIES = 50_000
"""The hand-written dict cache forgets everything past this (the miss run stores a lot)."""


def body_of(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes (at least 16)."""
    head, tail = b'{"data": "', b'"}'
    return head + b"x" * max(size - len(head) - len(tail), 0) + tail


def item_handler(body: bytes, delay: float) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        return web.Response(body=body, content_type="application/json")

    return handler


def base_app(body: bytes, delay: float, middlewares: list[Any] | None = None) -> web.Application:
    app = web.Application(middlewares=middlewares or [])
    app.router.add_get("/item", item_handler(body, delay), name=ITEM_ROUTE)
    return app


# --- the reference points ---------------------------------------------------------------------


@web.middleware
async def noop_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await handler(request)


def dict_cache_middleware() -> Any:
    """The least a cache middleware can do: a dict from path and query to the body."""
    entries: dict[str, bytes] = {}

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.path_qs
        body = entries.get(key)
        if body is not None:
            return web.Response(body=body, content_type="application/json")
        response = await handler(request)
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            if len(entries) >= HAND_WRITTEN_MAX_ENTRIES:
                entries.clear()
            entries[key] = response.body
        return response

    return middleware


def redis_prefix(name: str, body: bytes) -> str:
    """The configurations of every body size share one Redis: each keeps to its own keys."""
    return f"{name}-{len(body)}:"


def redis_cache_middleware(url: str, prefix: str) -> Any:
    """The least a Redis cache middleware can do: one GET, the body as the value."""
    redis_asyncio = importlib.import_module("redis.asyncio")
    client = redis_asyncio.Redis.from_url(url)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        key = prefix + request.path_qs
        body = await client.get(key)
        if body is not None:
            return web.Response(body=body, content_type="application/json")
        response = await handler(request)
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            await client.set(key, response.body, ex=300)
        return response

    return middleware


# --- ours -------------------------------------------------------------------------------------


def apim_app(
    body: bytes,
    delay: float,
    policies: dict[str, str],
    redis_url: str | None,
    *,
    near: bool = False,
) -> Any:
    """The gateway; on Redis when ``redis_url`` is given, with a near cache in front of it when
    ``near``."""
    import aiohttp_apim

    app = base_app(body, delay)
    external: Any = None
    if redis_url is not None:
        name = "apim-near" if near else "apim"
        external = aiohttp_apim.RedisCache.from_url(redis_url, prefix=redis_prefix(name, body))
        if near:
            external = aiohttp_apim.NearCache(external)
    gateway = aiohttp_apim.setup(app, policies, external_cache=external)

    async def stats(request: web.Request) -> web.StreamResponse:
        counted = gateway.stats()
        return web.json_response({"hits": counted.response_hits, "misses": counted.response_misses})

    app.router.add_get("/stats", stats)
    return app


# --- the peer: aiohttp-cache ------------------------------------------------------------------


def peer_app(body: bytes, delay: float, redis_url: str | None) -> web.Application:
    """aiohttp-cache at its best for these requests: keys of method, host and path with query
    (a GET has no body nor content type to add) kept as they are (the default hashes each key
    with SHA-256, which costs it time that ours does not spend either)."""
    aiohttp_cache = importlib.import_module("aiohttp_cache")
    keys = aiohttp_cache.AvailableKeys
    best: dict[str, Any] = {
        "key_pattern": (keys.method, keys.host, keys.path),
        "encrypt_key": False,
    }
    app = web.Application()
    handler = aiohttp_cache.cache(expires=300)(item_handler(body, delay))
    app.router.add_get("/item", handler, name=ITEM_ROUTE)
    if redis_url is None:
        aiohttp_cache.setup_cache(app, **best)
    else:
        host, _, port = redis_url.removeprefix("redis://").partition(":")
        config = aiohttp_cache.RedisConfig(
            host=host, port=int(port), key_prefix=redis_prefix("peer", body)
        )
        aiohttp_cache.setup_cache(app, cache_type="redis", backend_config=config, **best)
    return app


# --- the kinds --------------------------------------------------------------------------------

Builder = Callable[[bytes, str | None], web.Application]

KINDS: dict[str, Builder] = {
    "bare": lambda body, redis: base_app(body, 0),
    "bare-slow": lambda body, redis: base_app(body, SLOW_SECONDS),
    "noop": lambda body, redis: base_app(body, 0, [noop_middleware]),
    "dict-hit": lambda body, redis: base_app(body, SLOW_SECONDS, [dict_cache_middleware()]),
    "dict-miss": lambda body, redis: base_app(body, 0, [dict_cache_middleware()]),
    "redis-hand-hit": lambda body, redis: base_app(
        body, SLOW_SECONDS, [redis_cache_middleware(_need(redis), redis_prefix("hand", body))]
    ),
    "apim-forward": lambda body, redis: apim_app(body, 0, {"policy.xml": FORWARD_ONLY}, None),
    "apim-hit": lambda body, redis: apim_app(body, SLOW_SECONDS, {OPERATION_POLICY: CACHING}, None),
    "apim-hit-expr": lambda body, redis: apim_app(
        body, SLOW_SECONDS, {OPERATION_POLICY: CACHING_WITH_EXPRESSIONS}, None
    ),
    "apim-miss": lambda body, redis: apim_app(body, 0, {OPERATION_POLICY: CACHING}, None),
    "apim-miss-slow": lambda body, redis: apim_app(
        body, SLOW_SECONDS, {OPERATION_POLICY: CACHING}, None
    ),
    "apim-redis-hit": lambda body, redis: apim_app(
        body, SLOW_SECONDS, {OPERATION_POLICY: CACHING}, _need(redis)
    ),
    "apim-redis-near-hit": lambda body, redis: apim_app(
        body, SLOW_SECONDS, {OPERATION_POLICY: CACHING}, _need(redis), near=True
    ),
    "peer-hit": lambda body, redis: peer_app(body, SLOW_SECONDS, None),
    "peer-miss": lambda body, redis: peer_app(body, 0, None),
    "peer-redis-hit": lambda body, redis: peer_app(body, SLOW_SECONDS, _need(redis)),
}


def _need(redis_url: str | None) -> str:
    if redis_url is None:
        raise SystemExit("this configuration needs a Redis URL")
    return redis_url


def make_app(kind: str, size: int, redis_url: str | None = None) -> web.Application:
    return KINDS[kind](body_of(size), redis_url)


def main(argv: list[str]) -> None:
    kind, port, size = argv[0], int(argv[1]), int(argv[2])
    redis_url = argv[3] if len(argv) > 3 else None
    app = make_app(kind, size, redis_url)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(sys.argv[1:])
