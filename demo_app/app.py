"""The demo catalog API: a few aiohttp handlers standing in for a real backend, with APIM
policies from ``demo_app/policies`` in front of them."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

import aiohttp_apim

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

POLICIES = Path(__file__).parent / "policies"

PRODUCTS = [
    {"id": n, "name": name, "price": price}
    for n, (name, price) in enumerate(
        [
            ("teapot", 24.0),
            ("kettle", 39.5),
            ("mug", 8.0),
            ("saucer", 4.5),
            ("infuser", 6.0),
            ("tea tin", 12.0),
            ("strainer", 5.5),
        ],
        start=1,
    )
]

BACKEND_DELAY = web.AppKey("backend_delay", float)
BACKEND_CALLS: web.AppKey[Iterator[int]] = web.AppKey("backend_calls")


def _backend_call(request: web.Request) -> dict[str, object]:
    """What every backend answer says about itself, so a cached copy is easy to recognise."""
    calls: Iterator[int] = request.app[BACKEND_CALLS]
    return {"backend_call": next(calls), "generated_at": time.time()}


async def list_products(request: web.Request) -> web.Response:
    page = max(int(request.query.get("page", "1") or 1), 1)
    size = min(max(int(request.query.get("size", "3") or 3), 1), 50)
    items = PRODUCTS[(page - 1) * size : page * size]
    return web.json_response({"page": page, "size": size, "items": items, **_backend_call(request)})


async def get_product(request: web.Request) -> web.Response:
    # The deliberately slow backend: the cache is what makes the second call fast.
    await asyncio.sleep(request.app[BACKEND_DELAY])
    product_id = request.match_info["id"]
    for product in PRODUCTS:
        if str(product["id"]) == product_id:
            return web.json_response(
                {**product, **_backend_call(request)}, headers={"Cache-Control": "max-age=45"}
            )
    return web.json_response({"error": f"no product {product_id}"}, status=404)


async def search(request: web.Request) -> web.Response:
    text = request.query.get("q", "").lower()
    hits = [p for p in PRODUCTS if text in str(p["name"])]
    return web.json_response({"q": text, "items": hits, **_backend_call(request)})


async def featured(request: web.Request) -> web.Response:
    # Another slow computation, cached as a value (see policies/.../featured/policy.xml).
    await asyncio.sleep(request.app[BACKEND_DELAY])
    picks = sorted(PRODUCTS, key=lambda p: float(str(p["price"])), reverse=True)[:3]
    return web.json_response({"featured": picks, **_backend_call(request)})


async def create_product(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"created": body, **_backend_call(request)}, status=201)


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_app(
    *,
    backend_delay: float = 1.0,
    clock: Callable[[], float] | None = None,
    redis_url: str | None = None,
    redis_prefix: str = "demo:",
    external_cache: aiohttp_apim.Cache | None = None,
) -> web.Application:
    """The demo application; tests pass ``backend_delay=0`` and their own clock.

    With ``redis_url`` the gateway gets Redis as its external cache: ``prefer-external``
    policies (the default caching-type) then cache there, shared by every demo process that
    uses the same URL and ``redis_prefix`` (the start of every key the demo writes).
    ``external_cache`` is another external cache instead (tests pass an in-memory one)."""
    app = web.Application()
    app[BACKEND_DELAY] = backend_delay
    app[BACKEND_CALLS] = itertools.count(1)
    app.router.add_get("/catalog/products", list_products, name="catalog:list-products")
    app.router.add_post("/catalog/products", create_product, name="catalog:create-product")
    app.router.add_get("/catalog/products/{id}", get_product, name="catalog:get-product")
    app.router.add_get("/catalog/search", search, name="catalog:search")
    app.router.add_get("/catalog/featured", featured, name="catalog:featured")
    app.router.add_get("/health", health)
    external = (
        external_cache
        if redis_url is None
        else aiohttp_apim.RedisCache.from_url(redis_url, prefix=redis_prefix)
    )
    registry = _metrics_registry()
    aiohttp_apim.setup(
        app,
        policies=POLICIES,
        clock=clock,
        external_cache=external,
        # What operators look at: each answer says what the cache did (Cache-Status), and
        # GET /metrics counts it all for Prometheus.
        cache_status=True,
        metrics=False if registry is None else registry,
    )
    if registry is not None:
        from aiohttp_apim.metrics import add_metrics_route

        add_metrics_route(app, registry=registry)
    return app


def _metrics_registry() -> CollectorRegistry | None:
    """A registry of the app's own for ``/metrics``, when prometheus-client is installed."""
    try:
        from prometheus_client.registry import CollectorRegistry
    except ImportError:
        return None
    return CollectorRegistry()


def metrics_available() -> bool:
    """Whether the demo serves ``/metrics`` (the prometheus extra is installed)."""
    return _metrics_registry() is not None
