"""Prometheus metrics over HTTP: ``setup(..., metrics=registry)`` and
``aiohttp_apim.metrics.add_metrics_route``, read back from ``GET /metrics`` with
prometheus-client's own parser; ``gateway.stats()`` reads the same numbers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.metrics import add_metrics_route
from tests.redis_server import free_port
from tests.web.conftest import Backends, FakeClock, Served, build_app, policies_xml

LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'

API_CACHING = policies_xml(
    inbound="<base />" + LOOKUP,
    backend="<base />",
    outbound='<base /><cache-store duration="60" />',
)
"""Response caching for the API (GET /metrics, global scope only, is no lookup of its own)."""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(served: Served) -> Samples:
    answer = await served.get("/metrics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_cache_counters_by_api_operation_and_cache_match_stats(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    served, gateway = await _metrics_app(
        aiohttp_client,
        clock,
        {
            # API scope: GET /metrics (global scope only) is no lookup of its own
            "apis/shop/policy.xml": policies_xml(
                inbound="<base />"
                + LOOKUP
                + '<cache-lookup-value key="k" variable-name="v" />'
                + '<cache-store-value key="k" value="x" duration="60" />',
                backend="<base />",
                outbound='<base /><cache-store duration="60" />',
            )
        },
    )
    await served.get()  # response miss + store, value miss + store
    await served.get()  # response hit
    await served.request("POST")  # bypass: method
    await served.get(headers={"Authorization": "Basic eA=="})  # bypass: authorization
    samples = await scrape(served)
    scope = {"api": "shop", "operation": "list", "cache": "memory"}
    assert value(samples, "aiohttp_apim_cache_hits_total", **scope, kind="response") == 1
    assert value(samples, "aiohttp_apim_cache_misses_total", **scope, kind="response") == 1
    assert value(samples, "aiohttp_apim_cache_stores_total", **scope, kind="response") == 1
    # the value: a miss, then hits (the response hit skipped the rest of inbound)
    assert value(samples, "aiohttp_apim_cache_misses_total", **scope, kind="value") == 1
    assert value(samples, "aiohttp_apim_cache_hits_total", **scope, kind="value") == 2
    assert value(samples, "aiohttp_apim_cache_stores_total", **scope, kind="value") == 3
    for reason in ("method", "authorization"):
        assert value(samples, "aiohttp_apim_cache_bypasses_total", **scope, reason=reason) == 1
    # the lookup read was timed twice (the miss and the hit), in the memory cache's histogram
    assert value(samples, "aiohttp_apim_cache_lookup_seconds_count", cache="memory") == 2
    assert value(samples, "aiohttp_apim_memory_cache_entries", cache="memory") == 2
    assert value(samples, "aiohttp_apim_memory_cache_bytes", cache="memory") > 0
    assert value(samples, "aiohttp_apim_cache_pending_writes") == 0
    stats = gateway.stats()
    assert (stats.response_hits, stats.response_misses, stats.response_stores) == (1, 1, 1)
    assert (stats.value_hits, stats.value_stores, stats.response_bypasses) == (2, 3, 2)
    # no label is a key, a caller or a path
    labels = {v for _, pairs in samples for _, v in pairs}
    assert not any("/" in label or "|" in label or "eA==" in label for label in labels)


async def test_rate_limits_and_call_outs_are_counted(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"
    served, gateway = await _metrics_app(
        aiohttp_client,
        clock,
        {
            "apis/shop/policy.xml": policies_xml(
                inbound='<base /><rate-limit-by-key calls="1" renewal-period="60" '
                'counter-key="all" /><send-request mode="new" response-variable-name="r" '
                f'timeout="5" ignore-error="true"><set-url>{dead}</set-url></send-request>',
                backend="<base />",
                outbound="<base />",
            )
        },
    )
    assert (await served.get()).status == 200
    assert (await served.get()).status == 429
    samples = await scrape(served)
    where = {"api": "shop", "operation": "list"}
    assert value(samples, "aiohttp_apim_rate_limited_total", **where, cache="memory") == 1
    assert value(samples, "aiohttp_apim_send_requests_total", **where) == 1
    assert value(samples, "aiohttp_apim_send_request_errors_total", **where) == 1
    stats = gateway.stats()
    assert (stats.rate_limited, stats.send_requests, stats.send_request_errors) == (1, 1, 1)


async def test_a_redis_that_is_down_shows_as_errors_and_an_open_breaker(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    pytest.importorskip("redis")
    external = aiohttp_apim.RedisCache.from_url(
        f"redis://127.0.0.1:{free_port()}/0", client="redis-py", connect_timeout=0.5
    )
    served, gateway = await _metrics_app(
        aiohttp_client,
        clock,
        {"apis/shop/policy.xml": API_CACHING},
        external_cache=external,
    )
    for _ in range(4):  # three failures open the breaker; the fourth is refused at once
        assert (await served.get()).status == 200
    samples = await scrape(served)
    assert value(samples, "aiohttp_apim_cache_errors_total", cache="redis", operation="read") == 4
    assert value(samples, "aiohttp_apim_cache_writes_failed_total", cache="redis") >= 1
    assert (
        value(
            samples,
            "aiohttp_apim_cache_breaker_transitions_total",
            cache="redis",
            node="",
            state="open",
        )
        == 1
    )
    assert value(samples, "aiohttp_apim_cache_breaker_open", cache="redis", node="") == 1
    assert gateway.stats().cache_errors == 4


async def test_two_gateways_on_one_registry_add_up(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    registry = CollectorRegistry()
    policy = {"apis/shop/policy.xml": API_CACHING}
    first = await _metrics_app(aiohttp_client, clock, policy, registry=registry)
    second = await _metrics_app(aiohttp_client, clock, policy, registry=registry)
    await first[0].get()
    await second[0].get()
    samples = await scrape(first[0])
    scope = {"api": "shop", "operation": "list", "cache": "memory", "kind": "response"}
    assert value(samples, "aiohttp_apim_cache_misses_total", **scope) == 2


def test_importing_the_package_needs_neither_extra_and_using_one_without_it_says_what_to_install() -> (
    None
):
    script = textwrap.dedent(
        """
        import sys
        import aiohttp_apim
        assert "prometheus_client" not in sys.modules, "imported prometheus_client"
        assert "opentelemetry" not in sys.modules, "imported opentelemetry"
        sys.modules["prometheus_client"] = None  # as if it were not installed
        sys.modules["opentelemetry"] = None
        from aiohttp import web
        for option in ("metrics", "tracing"):
            try:
                aiohttp_apim.setup(web.Application(), policies={}, **{option: True})
            except ValueError as error:
                print(error)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert "pip install 'aiohttp_apim[prometheus]'" in done.stdout
    assert "pip install 'aiohttp_apim[otel]'" in done.stdout


async def _metrics_app(
    aiohttp_client: AiohttpClient,
    clock: FakeClock,
    policies: dict[str, str],
    *,
    registry: CollectorRegistry | None = None,
    external_cache: aiohttp_apim.Cache | None = None,
) -> tuple[Served, aiohttp_apim.Gateway]:
    registry = CollectorRegistry() if registry is None else registry
    app, gateway, backends = build_app(
        policies,
        clock=clock,
        routes=[("/shop/items", "shop:list")],
        external_cache=external_cache,
        metrics=registry,
    )
    add_metrics_route(app, registry=registry)
    assert isinstance(gateway, aiohttp_apim.Gateway)
    client = await aiohttp_client(app)
    return Served(client, gateway, Backends(backends)), gateway
