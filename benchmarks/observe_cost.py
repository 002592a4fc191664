"""What observation costs a cache hit, in process: µs per request through the gateway's
middleware (a 1 KiB hit from the memory cache; no socket, no HTTP parsing), with nothing on and
with each of ``cache_status``, ``metrics`` (a private registry) and ``tracing`` (the global
provider with no SDK set up, an SDK provider without exporters, and one exporting to memory), best of a few runs, in CPU time of the process (other processes on the machine do not count). With nothing on, the hit
path must cost what it cost before observation existed.

Usage: python -m benchmarks.observe_cost [--count N] [--runs N] [--baseline-only]

``--baseline-only`` measures nothing-on alone; it runs against any version of the package (run
it with ``PYTHONPATH`` pointing at another checkout to compare).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

import aiohttp_apim

POLICY = {
    "policy.xml": (
        "<policies><inbound>"
        '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">'
        "<vary-by-query-parameter>page</vary-by-query-parameter></cache-lookup>"
        "</inbound><backend><forward-request /></backend>"
        '<outbound><cache-store duration="3600" /></outbound><on-error /></policies>'
    )
}
BODY = b"x" * 1024


async def _handler(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/octet-stream")


async def per_hit(options: dict[str, Any], count: int, runs: int) -> float:
    """µs per hit through the middleware with ``options``, the best of ``runs``."""
    app = web.Application()
    app.router.add_get("/shop/items", _handler, name="shop:list")
    gateway = aiohttp_apim.setup(app, policies=POLICY, **options)
    gateway.bind(app)
    request = make_mocked_request("GET", "/shop/items?page=1", app=app)
    match_info = await app.router.resolve(request)
    match_info.add_app(app)
    request._match_info = match_info  # what aiohttp's request handler does
    middleware = gateway.middleware
    first = await middleware(request, _handler)  # the miss that stores the entry
    assert first.status == 200
    await gateway.drain()
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        started = time.process_time()
        for _ in range(count):
            await middleware(request, _handler)
        best = min(best, (time.process_time() - started) / count * 1e6)
    assert gateway.stats().response_hits == count * runs
    await gateway.close()
    return best


def _configurations(baseline_only: bool) -> dict[str, dict[str, Any]]:
    configurations: dict[str, dict[str, Any]] = {"nothing on": {}}
    if baseline_only:
        return configurations
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from prometheus_client.registry import CollectorRegistry

    exporting = TracerProvider()
    exporting.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    configurations.update(
        {
            "cache_status": {"cache_status": True},
            "metrics": {"metrics": CollectorRegistry()},
            "tracing=True, no SDK set up": {"tracing": True},
            "tracing (no exporter)": {"tracing": TracerProvider()},
            "tracing (in-memory exporter)": {"tracing": exporting},
            "all three (no exporter)": {
                "cache_status": True,
                "metrics": CollectorRegistry(),
                "tracing": TracerProvider(),
            },
        }
    )
    return configurations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="hits per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per configuration (best kept)")
    parser.add_argument("--baseline-only", action="store_true", help="nothing on, only")
    arguments = parser.parse_args(argv)
    for name, options in _configurations(arguments.baseline_only).items():
        micros = asyncio.run(per_hit(options, arguments.count, arguments.runs))
        print(f"{name:<30} {micros:7.2f} µs per hit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
