"""In-process cost of one cache hit through the gateway's middleware, in µs: no sockets, no
HTTP parsing -- the policies' own work per hit (route lookup, key, memory-cache read, response).

Run: ``python -m benchmarks.hit_path [--rounds N] [--hits N]``. Prints, per setup, the best of
``rounds`` rounds of ``hits`` hits each: the plain gateway, with the stale windows on, and after
a purge (the key then holds a purge generation), so that what an extension costs a hit when it
is off -- and when it is on -- can be compared with the plain one, and across revisions
(``PYTHONPATH=<other checkout> python -m benchmarks.hit_path`` for the one to compare with).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

import aiohttp_apim

__all__ = ["main", "measure"]

POLICY = {
    "policy.xml": """<policies>
  <inbound>
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false"
                  downstream-caching-type="public" />
  </inbound>
  <backend><forward-request /></backend>
  <outbound><cache-store duration="3600" /></outbound>
  <on-error />
</policies>"""
}


async def _items(request: web.Request) -> web.Response:
    return web.Response(text="items")


async def measure(hits: int, rounds: int, *, purge: bool = False, **options: Any) -> float:
    """The best µs per hit over ``rounds`` rounds of ``hits`` hits."""
    app = web.Application()
    app.router.add_get("/shop/items", _items, name="shop:list")
    gateway = aiohttp_apim.setup(app, POLICY, **options)
    app.freeze()
    gateway.bind(app)
    if purge:
        await gateway.purge(api="shop")
    middleware: Callable[..., Awaitable[web.StreamResponse]] = gateway.middleware
    request = make_mocked_request("GET", "/shop/items", app=app)
    match = await app.router.resolve(request)
    match.add_app(app)
    request._match_info = match
    handler = match.handler
    await middleware(request, handler)  # the miss that stores
    await gateway.drain()
    assert gateway.stats().response_misses == 1
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(hits):
            await middleware(request, handler)
        best = min(best, (time.perf_counter() - started) / hits)
    assert gateway.stats().response_hits == hits * rounds
    await gateway.close()
    return best * 1e6


SETUPS: dict[str, dict[str, Any]] = {
    "plain": {},
    "stale windows on": {"stale_while_revalidate": 30, "stale_if_error": 300},
    "after a purge": {"purge": True},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hit_path", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--hits", type=int, default=20000)
    parser.add_argument("--only", default="", help="comma-separated setups (default: all)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    for name, options in SETUPS.items():
        if only and name not in only:
            continue
        try:
            micros = asyncio.run(measure(args.hits, args.rounds, **options))
        except (TypeError, AttributeError) as unknown:  # an older revision: no such option
            print(f"{name:<18} (not in this revision: {unknown})")
            continue
        print(f"{name:<18} {micros:7.2f} µs per hit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
